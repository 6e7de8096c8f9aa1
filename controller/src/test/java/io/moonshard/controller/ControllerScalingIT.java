package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.AckLedger;
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
 * Scaling through the controller, every part a real process: 2 shards grow to 4 and shrink back to 2
 * while a ledger of acknowledged writes runs and 3000 keys wait to be found again, and a planned
 * handover (`cluster failover`) in between. After each step every live proxy agrees on each slot's owner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerScalingIT {

    private static final String CLUSTER = "grow";
    private static final int KEYS = 3000;
    private ControllerTestbed bed;

    @BeforeAll
    void start() {
        bed = ControllerTestbed.start(Path.of("target", "controller-scaling"), 1, 4, 2, 1, List.of(), List.of());
        bed.expect(201, "POST", "/api/v1/clusters", "{\"name\":\"" + CLUSTER + "\",\"shards\":2,\"replicas\":1}");
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(20));
        try (RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int i = 0; i < KEYS; i++) {
                c.sync().set("key:" + i, "value:" + i);
            }
        }
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void growsFromTwoToFourShardsOnlineWithNothingLost() {
        long took = underLedger("up", () -> {
            JsonNode answer = bed.expect(202, "POST", "/api/v1/clusters/" + CLUSTER + "/scale", "{\"shards\":4}");
            assertThat(answer.path("shards")).hasSize(4);
            awaitSettled(Duration.ofSeconds(90));
        });
        System.out.println("controller-scaling: 2 -> 4 shards (" + KEYS + " keys) settled in " + took + " ms");
        JsonNode status = bed.status(CLUSTER);
        assertThat(status.path("shards")).hasSize(4);
        for (JsonNode shard : status.path("shards")) {
            int owned = 0;
            for (JsonNode r : shard.path("slots")) {
                String[] ends = r.asText().split("-");
                owned += Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
            }
            assertThat(owned).as("an even share").isBetween(4095, 4097);
        }
        assertEveryKeyThere();
    }

    @Test
    @Order(2)
    void plannedHandoverLosesNothing() {
        String before = bed.status(CLUSTER).path("shards").get(0).path("master").path("node").asText();
        underLedger("handover", () -> bed.expect(200, "POST", "/api/v1/clusters/" + CLUSTER + "/failover", "{\"shard\":0}"));
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(20));
        assertThat(bed.status(CLUSTER).path("shards").get(0).path("master").path("node").asText()).isNotEqualTo(before);
        assertEveryKeyThere();
    }

    @Test
    @Order(3)
    void shrinksBackToTwoAndReleasesProxies() {
        long took = underLedger("down", () -> {
            bed.expect(202, "POST", "/api/v1/clusters/" + CLUSTER + "/scale", "{\"shards\":2}");
            awaitSettled(Duration.ofSeconds(90));
        });
        System.out.println("controller-scaling: 4 -> 2 shards settled in " + took + " ms");
        assertThat(bed.status(CLUSTER).path("shards")).hasSize(2);
        assertEveryKeyThere();
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            int free = 0;
            for (JsonNode p : bed.expect(200, "GET", "/api/v1/proxies", null).path("proxies")) {
                if ((p.path("cluster").isNull() || p.path("cluster").isMissingNode()) && !p.has("released_by")) {
                    free++;
                    // free only once wiped: the moved keys' trim and the released replica left nothing behind
                    for (io.moonshard.testkit.RedisProcess r : bed.proxy(p.path("address").asText()).redis) {
                        assertThat(r.rawCommand("DBSIZE")).as(r.address()).isEqualTo(":0\r\n");
                    }
                }
            }
            assertThat(free).as("proxies given back to the pool").isPositive();
        });
    }

    // ---- helpers ----

    private void awaitSettled(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            JsonNode s = bed.status(CLUSTER);
            return s.path("healthy").asBoolean() && !s.path("scaling").asBoolean();
        });
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
    }

    /** Runs {@code step} under a ledger; checks it; returns how long the step took in ms. */
    private long underLedger(String run, Runnable step) {
        List<String> counters = AckLedger.keysInSlots(run + "c", 16, new int[] {0, 16383});
        List<String> versioned = AckLedger.keysInSlots(run + "v", 32, new int[] {0, 16383});
        try (AckLedger ledger = AckLedger.builder(seedPorts(), 3, counters, versioned).build()) {
            ledger.start(Duration.ofSeconds(150));
            ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
            long started = System.nanoTime();
            step.run();
            long took = (System.nanoTime() - started) / 1_000_000;
            ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
            ledger.stop();
            ledger.awaitFinished(Duration.ofSeconds(20));
            AckLedger.Summary summary = ledger.check();
            System.out.println("controller-scaling " + run + ": " + summary.describe());
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            return took;
        }
    }

    private void assertEveryKeyThere() {
        try (RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                if (!("value:" + i).equals(c.sync().get("key:" + i))) {
                    missing.add("key:" + i);
                }
            }
            assertThat(missing).as("keys written before the scaling").isEmpty();
        }
    }

    private List<String> clusterProxies() {
        List<String> out = new ArrayList<>();
        bed.status(CLUSTER).path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    private List<Integer> seedPorts() {
        List<Integer> ports = new ArrayList<>();
        for (ControllerTestbed.PoolProxy p : bed.proxies) {
            if (p.host.equals("127.0.0.1")) {
                ports.add(p.port);
            }
        }
        return ports;
    }
}
