package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.RawRedisClient;
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
 * One pool, every part a real process, driven through the controller's API as a user would, in steps
 * that each leave the cluster healthy for the next: create a cluster; kill -9 a master Redis under an
 * acknowledged-write ledger (write_ack replica); kill -9 the leading controller, then fail over again
 * under the standby; pause a proxy (SIGSTOP) past its lease. After each step every live proxy of the
 * cluster must agree on who owns each slot, with no slot owned twice or by none.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerScenarioIT {

    private static final String CLUSTER = "mydb";
    private ControllerTestbed bed;
    private int ledgerRuns;

    @BeforeAll
    void start() {
        // 5 proxies on 3 hosts: 3 for the cluster (one master and one replica each), 2 free for replacements
        bed = ControllerTestbed.start(Path.of("target", "controller-scenario"), 3, 5, 3, 2,
                List.of("--write-ack", "replica", "--write-ack-timeout-ms", "200"), List.of());
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void createsAClusterThatClientsUse() {
        JsonNode created = bed.expect(201, "POST", "/api/v1/clusters",
                "{\"name\":\"" + CLUSTER + "\",\"shards\":3,\"replicas\":1}");
        assertThat(created.path("shards")).hasSize(3);
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(20));
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
        // masters on three different hosts, each replica on another host than its master
        List<String> masterHosts = new ArrayList<>();
        for (JsonNode shard : bed.status(CLUSTER).path("shards")) {
            String master = shard.path("master").path("proxy").asText();
            masterHosts.add(host(master));
            for (JsonNode r : shard.path("replicas")) {
                assertThat(host(r.path("proxy").asText())).isNotEqualTo(host(master));
            }
        }
        assertThat(masterHosts).doesNotHaveDuplicates();
        try (RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int i = 0; i < 200; i++) {
                assertThat(c.sync().set("k" + i, "v" + i)).isEqualTo("OK");
            }
            for (int i = 0; i < 200; i++) {
                assertThat(c.sync().get("k" + i)).isEqualTo("v" + i);
            }
        }
    }

    @Test
    @Order(2)
    void killedMasterRedisIsReplacedWithNoAcknowledgedWriteLost() {
        JsonNode shard = bed.status(CLUSTER).path("shards").get(0);
        String masterProxy = shard.path("master").path("proxy").asText();
        String masterNode = shard.path("master").path("node").asText();
        List<int[]> slots = ranges(shard.path("slots"));
        long took = failOverUnderLedger(slots, () -> redisAt(masterProxy, masterNode).kill());
        System.out.println("controller-scenario: master Redis kill -9 -> writes to its slots again after " + took + " ms");
        assertThat(took).as("writes to the dead master's slots succeed again (target 2 s p99, scripts/controller-chaos.sh)")
                .isLessThan(8_000);
        JsonNode after = bed.status(CLUSTER).path("shards").get(0);
        assertThat(after.path("master").path("node").asText()).isNotEqualTo(masterNode);
        // a live node took the dead one's place as replica at once (write_ack replica needs one)
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> replicaStates(0).contains("in_sync"));
        // the dead node comes back empty: it is never made a master again
        RedisProcess dead = redisAt(masterProxy, masterNode);
        restart(masterProxy, masterNode, dead);
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(20));
        assertThat(redisAt(masterProxy, masterNode).rawCommand("DBSIZE")).isEqualTo(":0\r\n");
        assertThat(bed.status(CLUSTER).path("shards").get(0).path("master").path("node").asText()).isNotEqualTo(masterNode);
        awaitMastersEvenedOut(); // and then no slot owned twice or by none
    }

    @Test
    @Order(3)
    void standbyControllerTakesOverAndFailsOver() {
        int leader = bed.awaitLeader(Duration.ofSeconds(10));
        long killed = System.nanoTime();
        bed.controllers.get(leader).kill9();
        int next = bed.awaitLeader(Duration.ofSeconds(10));
        long takeover = (System.nanoTime() - killed) / 1_000_000;
        System.out.println("controller-scenario: leader kill -9 -> standby leads after " + takeover + " ms");
        assertThat(next).isNotEqualTo(leader);
        assertThat(takeover).as("a standby leads within about the leader's TTL (2 s)").isLessThan(6_000);
        JsonNode shard = bed.status(CLUSTER).path("shards").get(1);
        String masterProxy = shard.path("master").path("proxy").asText();
        String masterNode = shard.path("master").path("node").asText();
        long took = failOverUnderLedger(ranges(shard.path("slots")), () -> redisAt(masterProxy, masterNode).kill());
        System.out.println("controller-scenario: under the standby, master kill -9 -> writes again after " + took + " ms");
        restart(masterProxy, masterNode, redisAt(masterProxy, masterNode));
        bed.startController(leader); // back as a standby
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(20));
        awaitMastersEvenedOut(); // and then no slot owned twice or by none
    }

    @Test
    @Order(4)
    void pausedProxyIsFencedAndItsSlotsServedElsewhere() {
        JsonNode status = bed.status(CLUSTER);
        JsonNode shard = status.path("shards").get(2);
        String paused = shard.path("master").path("proxy").asText();
        String pausedMasterNode = shard.path("master").path("node").asText();
        List<int[]> slots = ranges(shard.path("slots"));
        String lostKey = AckLedger.keysInSlots("fenced", 1, slots.toArray(int[][]::new)).get(0);
        ControllerTestbed.PoolProxy p = bed.proxy(paused);
        try (RawRedisClient before = new RawRedisClient(p.host, p.port)) {
            assertThat(before.call("PING")).isEqualTo("+PONG\r\n");
            long stopped = System.nanoTime();
            p.process.pause();
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> !bed.status(CLUSTER).path("shards").get(2).path("master").path("proxy").asText()
                                .equals(paused));
                long moved = (System.nanoTime() - stopped) / 1_000_000;
                System.out.println("controller-scenario: proxy SIGSTOP -> its master's slots reassigned after " + moved + " ms");
                assertThat(moved).as("target 5 s p99").isLessThan(10_000);
                try (RedisClusterClient client = AckLedger.clusterClient(seedPorts(paused));
                     StatefulRedisClusterConnection<String, String> c = client.connect()) {
                    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                            .until(() -> "OK".equals(c.sync().set("elsewhere-" + lostKey, "x")));
                }
            } finally {
                p.process.resume();
            }
            // the resumed proxy must not take a write for the slots it lost: fenced, then redirecting
            String reply = before.call("SET", lostKey, "from-the-paused-proxy");
            assertThat(reply).as("first write on a connection made before the pause").matches("-(CLUSTERDOWN|MOVED) .*\r\n");
            assertThat(redisAt(paused, pausedMasterNode).rawCommand("EXISTS", lostKey)).isEqualTo(":0\r\n");
        }
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
    }

    /**
     * A SWITCHOVER whose answer the controller never saw (its read timed out while the proxies did the
     * handover all the same): the proxies serve the replica as master, the record still names the old
     * one. It happened in a 20-trial chaos run; every later handover of the shard then found "no
     * replica in sync" and the cluster never showed healthy. The switchover is sent here by hand, at the
     * epoch the controller would have used, and the next handover must record it instead of refusing.
     */
    @Test
    @Order(5)
    void aHandoverWhoseAnswerWasLostIsRecordedByTheNextOne() {
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        JsonNode described = bed.expect(200, "GET", "/api/v1/clusters/" + CLUSTER, null);
        JsonNode shard = described.path("shards").get(1);
        String masterProxy = shard.path("master").path("proxy").asText();
        String masterNode = shard.path("master").path("node").asText();
        String replicaProxy = shard.path("replicas").get(0).path("proxy").asText();
        String replicaNode = shard.path("replicas").get(0).path("node").asText();
        long epoch = 2 * (described.path("revision").asLong() + 1); // Epochs.promotion(revision + 1)
        try (RawRedisClient admin = new RawRedisClient(bed.proxy(masterProxy).host, bed.proxy(masterProxy).port)) {
            assertThat(admin.call("UMCTL", "AUTH", ControllerTestbed.ADMIN)).isEqualTo("+OK\r\n");
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    admin.call("UMCTL", "SWITCHOVER", Long.toString(epoch), masterNode, replicaNode, replicaProxy)
                            .equals("+OK\r\n"));
        }
        // the controller's record is behind: its next handover of the shard adopts what the proxies did
        JsonNode after = bed.expect(200, "POST", "/api/v1/clusters/" + CLUSTER + "/failover", "{\"shard\":1}");
        assertThat(after.path("shards").get(1).path("master").path("node").asText()).isEqualTo(replicaNode);
        assertThat(after.path("shards").get(1).path("replicas").get(0).path("node").asText()).isEqualTo(masterNode);
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
    }

    // ---- helpers ----

    /**
     * A failover leaves two masters on the host of the promoted replica; the leader then hands one back
     * (a planned switchover) once the cluster has settled: every host ends with at most
     * ceil(shards / hosts) masters, the record's rebalance mark cleared, every slot still owned once.
     * Until the mark is cleared a handover may be under way, during which proxies that have not taken
     * the new epoch yet still name the old master: slots are compared only after it.
     */
    private void awaitMastersEvenedOut() {
        await("masters evened out over the hosts").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().untilAsserted(() -> {
                    JsonNode status = bed.status(CLUSTER);
                    assertThat(status.path("rebalancing").asBoolean()).as("rebalance mark in %s", status).isFalse();
                    assertThat(status.path("healthy").asBoolean()).isTrue();
                });
        JsonNode status = bed.status(CLUSTER);
        java.util.Map<String, Integer> mastersPerHost = new java.util.TreeMap<>();
        java.util.Set<String> hosts = new java.util.TreeSet<>();
        int shards = 0;
        for (JsonNode shard : status.path("shards")) {
            shards++;
            String master = host(shard.path("master").path("proxy").asText());
            mastersPerHost.merge(master, 1, Integer::sum);
            hosts.add(master);
            shard.path("replicas").forEach(r -> hosts.add(host(r.path("proxy").asText())));
        }
        int limit = (shards + hosts.size() - 1) / hosts.size();
        System.out.println("controller-scenario: masters per host after the rebalance " + mastersPerHost + " (limit " + limit + ")");
        assertThat(mastersPerHost.values()).as("masters per host %s", mastersPerHost).allMatch(n -> n <= limit);
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
    }

    /**
     * Runs a ledger of INCR and versioned SET/DEL over keys of {@code slots} and elsewhere, does
     * {@code fault}, measures how long until a write to {@code slots} succeeds again, and checks that no
     * acknowledged write was lost or applied twice. Returns that time in ms.
     */
    private long failOverUnderLedger(List<int[]> slots, Runnable fault) {
        int[][] r = slots.toArray(int[][]::new);
        String run = "run" + (++ledgerRuns); // each ledger its own keys: a counter must start from nothing
        List<String> counters = new ArrayList<>(AckLedger.keysInSlots(run + "c", 8, r));
        counters.addAll(AckLedger.keysOutsideSlots(run + "c", 4, r));
        List<String> versioned = new ArrayList<>(AckLedger.keysInSlots(run + "v", 16, r));
        versioned.addAll(AckLedger.keysOutsideSlots(run + "v", 8, r));
        String probeKey = AckLedger.keysInSlots("probe", 1, r).get(0);
        try (AckLedger ledger = AckLedger.builder(seedPorts(), 3, counters, versioned)
                .rejectUnansweredAfterReconnect(true).build();
             RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> probe = client.connect()) {
            ledger.start(Duration.ofSeconds(40));
            ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));
            assertThat(probe.sync().set(probeKey, "before")).isEqualTo("OK");
            long faulted = System.nanoTime();
            fault.run();
            long[] firstOk = {0};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().until(() -> {
                probe.sync().set(probeKey, "after");
                firstOk[0] = System.nanoTime();
                return true;
            });
            ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));
            ledger.stop();
            ledger.awaitFinished(Duration.ofSeconds(20));
            AckLedger.Summary summary = ledger.check();
            System.out.println("controller-scenario: " + summary.describe());
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            return (firstOk[0] - faulted) / 1_000_000;
        }
    }

    private List<String> clusterProxies() {
        List<String> out = new ArrayList<>();
        bed.status(CLUSTER).path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    private List<String> replicaStates(int shard) {
        List<String> out = new ArrayList<>();
        bed.status(CLUSTER).path("shard_status").get(shard).path("replicas").forEach(r -> out.add(r.path("state").asText()));
        return out;
    }

    private List<Integer> seedPorts(String... except) {
        List<Integer> ports = new ArrayList<>();
        for (ControllerTestbed.PoolProxy p : bed.proxies) {
            if (p.host.equals("127.0.0.1") && !List.of(except).contains(p.address())) {
                ports.add(p.port);
            }
        }
        return ports;
    }

    private RedisProcess redisAt(String proxy, String node) {
        for (RedisProcess r : bed.proxy(proxy).redis) {
            if (r.address().equals(node)) {
                return r;
            }
        }
        throw new IllegalArgumentException(node + " is not beside " + proxy);
    }

    private void restart(String proxy, String node, RedisProcess dead) {
        List<RedisProcess> redis = bed.proxy(proxy).redis;
        redis.set(redis.indexOf(dead), RedisProcess.startOn(dead.host(), dead.port(), "--repl-diskless-sync-delay", "0"));
    }

    private static List<int[]> ranges(JsonNode slots) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode range : slots) {
            String[] ends = range.asText().split("-");
            out.add(new int[] {Integer.parseInt(ends[0]), Integer.parseInt(ends[ends.length - 1])});
        }
        return out;
    }

    private static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }
}
