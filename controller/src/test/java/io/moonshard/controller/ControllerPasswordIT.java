package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A cluster created with a password, every part a real process: the controller sets it on every proxy
 * of the cluster before giving it slots, so a client without it gets {@code NOAUTH} and one with it
 * works; a proxy killed and restarted, the replacement replica of the failover and the proxies of a
 * scale-out demand it too; and after {@code cluster delete} the released proxies serve no slot and
 * need no password.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerPasswordIT {

    private static final String CLUSTER = "locked";
    private static final String PASSWORD = "s3cret-pw";
    private static final String NOAUTH = "-NOAUTH Authentication required.\r\n";
    private static final int KEYS = 300;
    private ControllerTestbed bed;

    @BeforeAll
    void start() {
        // 6 proxies on 2 hosts: 2 for the cluster, the others for the failover's replacements and the scale-out
        bed = ControllerTestbed.start(Path.of("target", "controller-password"), 1, 6, 2, 1, List.of(), List.of());
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void clientsNeedTheClusterPassword() {
        JsonNode created = bed.expect(201, "POST", "/api/v1/clusters",
                "{\"name\":\"" + CLUSTER + "\",\"shards\":2,\"replicas\":1,\"password\":\"" + PASSWORD + "\"}");
        assertThat(created.path("spec").path("password").asText()).isEqualTo("(set)");
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        assertEveryProxyDemandsThePassword();

        try (RedisClusterClient client = client(null)) {
            // Lettuce opens with HELLO 3, refused as Redis refuses it before AUTH
            assertThatThrownBy(client::connect)
                    .hasStackTraceContaining("NOAUTH HELLO must be called with the client already authenticated");
        }
        try (RedisClusterClient client = client(PASSWORD);
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int i = 0; i < KEYS; i++) {
                assertThat(c.sync().set("key:" + i, "value:" + i)).isEqualTo("OK");
            }
        }
        assertEveryKeyThere();
    }

    @Test
    @Order(2)
    void aKilledAndRestartedMasterProxy_andItsReplacements_demandThePassword() {
        String masterProxy = bed.status(CLUSTER).path("shards").get(0).path("master").path("proxy").asText();
        ControllerTestbed.PoolProxy killed = bed.proxy(masterProxy);
        killed.process.kill9();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                !bed.status(CLUSTER).path("shards").get(0).path("master").path("proxy").asText().equals(masterProxy));
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        assertThat(clusterProxies()).doesNotContain(masterProxy);
        assertEveryProxyDemandsThePassword(); // the promoted side and the replacement replica's proxy
        assertEveryKeyThere();

        // restarted, it has forgotten the password and its metadata: the password comes back before the
        // metadata (as a retired proxy, owning nothing), so it never answers without it
        bed.startProxy(bed.proxies.indexOf(killed));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(epochOf(masterProxy)).isEqualTo(bed.status(CLUSTER).path("epoch").asLong()));
        try (RawRedisClient raw = new RawRedisClient(killed.host, killed.port)) {
            assertThat(raw.call("PING")).isEqualTo(NOAUTH);
            assertThat(raw.call("AUTH", PASSWORD)).isEqualTo("+OK\r\n");
            // it owns nothing now: CLUSTER SLOTS names the others only
            assertThat(raw.call("CLUSTER", "SLOTS")).startsWith("*")
                    .doesNotContain("$" + killed.host.length() + "\r\n" + killed.host + "\r\n:" + killed.port + "\r\n");
        }
        assertEveryKeyThere();
    }

    @Test
    @Order(3)
    void aScaleOutMovesTheKeysAndItsNewProxiesDemandThePassword() {
        bed.expect(202, "POST", "/api/v1/clusters/" + CLUSTER + "/scale", "{\"shards\":3}");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            JsonNode s = bed.status(CLUSTER);
            return s.path("healthy").asBoolean() && !s.path("scaling").asBoolean() && s.path("shards").size() == 3;
        });
        assertEveryProxyDemandsThePassword();
        // the keys moved to the new shard's master (migration traffic runs on the cluster secret)
        JsonNode added = bed.status(CLUSTER).path("shards").get(2).path("master");
        RedisProcess newMaster = bed.proxy(added.path("proxy").asText()).redis.stream()
                .filter(r -> r.address().equals(added.path("node").asText())).findFirst().orElseThrow();
        assertThat(Long.parseLong(newMaster.rawCommand("DBSIZE").trim().substring(1))).isPositive();
        assertEveryKeyThere();
    }

    @Test
    @Order(4)
    void afterTheDeleteTheReleasedProxiesServeNothingAndNeedNoPassword() {
        List<String> members = clusterProxies();
        bed.expect(202, "DELETE", "/api/v1/clusters/" + CLUSTER, null);
        // the record goes once every proxy of the cluster is wiped (ControllerWipeIT checks their Redis)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                bed.api("GET", "/api/v1/clusters/" + CLUSTER, null).statusCode() == 404);
        for (String address : members) {
            ControllerTestbed.PoolProxy p = bed.proxy(address);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                    assertThat(bed.call(p, "PING")).as(address).isEqualTo("+PONG\r\n"));
            // wiped (it serves no slot, its Redis are flushed) before its password went
            assertThat(bed.call(p, "CLUSTER", "SLOTS")).as(address).isEqualTo("*0\r\n");
            assertThat(bed.call(p, "GET", "key:1")).as(address).startsWith("-");
        }
    }

    // ---- helpers ----

    /** Every proxy of the cluster refuses a command before AUTH, takes the password, then answers. */
    private void assertEveryProxyDemandsThePassword() {
        List<String> proxies = clusterProxies();
        assertThat(proxies).isNotEmpty();
        for (String address : proxies) {
            ControllerTestbed.PoolProxy p = bed.proxy(address);
            try (RawRedisClient raw = new RawRedisClient(p.host, p.port)) {
                assertThat(raw.call("PING")).as(address).isEqualTo(NOAUTH);
                assertThat(raw.call("GET", "key:1")).as(address).isEqualTo(NOAUTH);
                assertThat(raw.call("AUTH", "wrong")).as(address)
                        .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
                assertThat(raw.call("AUTH", PASSWORD)).as(address).isEqualTo("+OK\r\n");
                assertThat(raw.call("PING")).as(address).isEqualTo("+PONG\r\n");
            }
        }
    }

    private void assertEveryKeyThere() {
        try (RedisClusterClient client = client(PASSWORD);
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                if (!("value:" + i).equals(c.sync().get("key:" + i))) {
                    missing.add("key:" + i);
                }
            }
            assertThat(missing).as("keys written with the password").isEmpty();
        }
    }

    /** A Lettuce cluster client seeded with the cluster's live proxies, with {@code password} (null: none). */
    private RedisClusterClient client(String password) {
        List<RedisURI> seeds = new ArrayList<>();
        for (String address : clusterProxies()) {
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

    private List<String> clusterProxies() {
        List<String> out = new ArrayList<>();
        bed.status(CLUSTER).path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    private long epochOf(String proxy) {
        for (JsonNode p : bed.expect(200, "GET", "/api/v1/proxies", null).path("proxies")) {
            if (p.path("address").asText().equals(proxy)) {
                return p.path("epoch").asLong(-1);
            }
        }
        return -1;
    }
}
