package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A deleted cluster's data never reaches the next cluster, every part a real process (1 etcd, 2
 * controllers, 4 proxies on 2 hosts, 8 Redis): two clusters, one with a password and one without, hold
 * keys and are deleted; each proxy shows free only once every Redis beside it is empty (asked of the Redis
 * directly, at every sample); a cluster then created on the same proxies sees none of the keys. Then a
 * delete that a paused proxy holds up survives a {@code kill -9} of the leading controller: the standby
 * wipes the proxy once it answers, and finishes the delete.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerWipeIT {

    private static final int KEYS = 300;
    private static final String PASSWORD = "pw-of-a2";
    private ControllerTestbed bed;

    @BeforeAll
    void start() {
        bed = ControllerTestbed.start(Path.of("target", "controller-wipe"), 1, 4, 2, 2, List.of(), List.of());
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void deletedClustersProxiesAreFreeOnlyOnceEmpty_andTheNextClusterSeesNoneOfTheirKeys() {
        bed.expect(201, "POST", "/api/v1/clusters", "{\"name\":\"a1\",\"shards\":2,\"replicas\":1}");
        bed.expect(201, "POST", "/api/v1/clusters",
                "{\"name\":\"a2\",\"shards\":2,\"replicas\":1,\"password\":\"" + PASSWORD + "\"}");
        bed.awaitHealthy("a1", Duration.ofSeconds(30));
        bed.awaitHealthy("a2", Duration.ofSeconds(30));
        write("a1", null);
        write("a2", PASSWORD);
        List<String> members = new ArrayList<>(proxiesOf("a1"));
        members.addAll(proxiesOf("a2"));
        assertThat(members).hasSize(4);
        for (String p : members) {
            assertThat(bed.proxy(p).redis.stream().mapToLong(ControllerWipeIT::dbsize).sum()).as(p).isPositive();
        }

        JsonNode marked = bed.expect(202, "DELETE", "/api/v1/clusters/a1", null);
        assertThat(marked.path("deleting").asBoolean()).isTrue();
        bed.expect(202, "DELETE", "/api/v1/clusters/a2", null);
        bed.expect(202, "DELETE", "/api/v1/clusters/a2", null); // again: the same mark
        // at every sample, a proxy shown free has only empty Redis beside it
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            Map<String, String> owners = owners();
            for (String p : members) {
                if (owners.get(p) == null) {
                    for (RedisProcess r : bed.proxy(p).redis) {
                        assertThat(dbsize(r)).as("%s is free, so %s must be empty", p, r.address()).isZero();
                        assertThat(r.rawCommand("INFO", "replication")).as(r.address()).contains("role:master");
                    }
                }
            }
            assertThat(members).allSatisfy(p -> assertThat(owners.get(p)).as(p).isNull());
        });
        assertThat(bed.api("GET", "/api/v1/clusters/a1", null).statusCode()).isEqualTo(404);
        assertThat(bed.api("GET", "/api/v1/clusters/a2", null).statusCode()).isEqualTo(404);
        for (String p : members) {
            // the password of a2 was cleared after the wipe; nothing is served
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                    assertThat(bed.call(bed.proxy(p), "PING")).as(p).isEqualTo("+PONG\r\n"));
            assertThat(bed.call(bed.proxy(p), "CLUSTER", "SLOTS")).as(p).isEqualTo("*0\r\n");
        }

        // the next cluster takes all four proxies and finds nothing of a1 or a2
        bed.expect(201, "POST", "/api/v1/clusters", "{\"name\":\"b\",\"shards\":4,\"replicas\":1}");
        bed.awaitHealthy("b", Duration.ofSeconds(30));
        assertThat(proxiesOf("b")).containsExactlyInAnyOrderElementsOf(members);
        try (RedisClusterClient client = client("b", null);
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            assertThat(c.sync().dbsize()).isZero();
            for (int i = 0; i < KEYS; i += 7) {
                assertThat(c.sync().get("a1:" + i)).isNull();
                assertThat(c.sync().get("a2:" + i)).isNull();
            }
        }
        write("b", null);
    }

    @Test
    @Order(2)
    void aLeaderKilledWhileADeleteWaitsForAPausedProxy_theStandbyFinishesIt() {
        List<String> members = proxiesOf("b");
        ControllerTestbed.PoolProxy paused = bed.proxy(members.get(0));
        int leader = bed.awaitLeader(Duration.ofSeconds(15));
        paused.process.pause();
        try {
            bed.expect(202, "DELETE", "/api/v1/clusters/b", null);
            // the others get wiped; the paused one keeps the delete waiting
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                JsonNode s = bed.status("b");
                assertThat(s.path("deleting").asBoolean()).isTrue();
                assertThat(s.path("wipe_pending")).extracting(JsonNode::asText).containsExactly(paused.address());
            });
            for (String p : members.subList(1, members.size())) {
                for (RedisProcess r : bed.proxy(p).redis) {
                    assertThat(dbsize(r)).as(r.address()).isZero();
                }
            }
            assertThat(owners().get(paused.address())).isEqualTo("b");
            bed.controllers.get(leader).kill9();
            int standby = bed.awaitLeader(Duration.ofSeconds(15));
            assertThat(standby).isNotEqualTo(leader);
            assertThat(bed.status("b").path("deleting").asBoolean()).as("still waiting for the paused proxy").isTrue();
            assertThat(paused.redis.stream().mapToLong(ControllerWipeIT::dbsize).sum()).isPositive();
        } finally {
            paused.process.resume();
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                bed.api("GET", "/api/v1/clusters/b", null).statusCode() == 404);
        Map<String, String> owners = owners();
        for (String p : members) {
            assertThat(owners.get(p)).as(p).isNull();
            for (RedisProcess r : bed.proxy(p).redis) {
                assertThat(dbsize(r)).as(r.address()).isZero();
            }
        }
    }

    // ---- helpers ----

    private void write(String cluster, String password) {
        try (RedisClusterClient client = client(cluster, password);
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int i = 0; i < KEYS; i++) {
                assertThat(c.sync().set(cluster + ":" + i, "v" + i)).isEqualTo("OK");
            }
        }
    }

    /** Proxy address to the cluster owning it (absent: free), as the API lists the pool. */
    private Map<String, String> owners() {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode p : bed.expect(200, "GET", "/api/v1/proxies", null).path("proxies")) {
            out.put(p.path("address").asText(), p.hasNonNull("cluster") ? p.path("cluster").asText() : null);
        }
        return out;
    }

    private List<String> proxiesOf(String cluster) {
        List<String> out = new ArrayList<>();
        bed.expect(200, "GET", "/api/v1/clusters/" + cluster, null).path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    private static long dbsize(RedisProcess r) {
        return Long.parseLong(r.rawCommand("DBSIZE").trim().substring(1));
    }

    private RedisClusterClient client(String cluster, String password) {
        List<RedisURI> seeds = new ArrayList<>();
        for (String address : proxiesOf(cluster)) {
            ControllerTestbed.PoolProxy p = bed.proxy(address);
            RedisURI.Builder uri = RedisURI.builder().withHost(p.host).withPort(p.port).withTimeout(Duration.ofSeconds(5));
            if (password != null) {
                uri.withPassword(password.toCharArray());
            }
            seeds.add(uri.build());
        }
        RedisClusterClient client = RedisClusterClient.create(seeds);
        client.setOptions(ClusterClientOptions.builder()
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
                .maxRedirects(8).build());
        return client;
    }
}
