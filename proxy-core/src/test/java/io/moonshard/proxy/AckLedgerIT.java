package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness checks itself, with no migration engine needed: {@link AckLedger} finds nothing wrong
 * with a stable cluster and does find a value changed behind the proxies' back, and
 * {@link MigrationCoordinator}'s pushes (a proxy with no slots, the tagged ranges, the cancel) are
 * accepted by the proxies while the ledger runs.
 */
class AckLedgerIT {

    private static final int[] UPPER = {8192, 16383};

    @Test
    void stableClusterRunHasNoViolations() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1);
             AckLedger ledger = ledger(cluster, "stable")) {
            ledger.start(Duration.ofSeconds(3));
            ledger.awaitFinished(Duration.ofSeconds(40));
            AckLedger.Summary summary = ledger.check();
            System.out.println(summary.describe());
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            assertThat(summary.acknowledged()).as(summary.describe()).isPositive();
            assertThat(summary.incrsAcked()).isPositive();
            assertThat(summary.setsAcked()).isPositive();
            assertThat(summary.delsAcked()).isPositive();
            assertThat(summary.inDoubt()).as(summary.describe()).isZero();
        }
    }

    @Test
    void aValueChangedBehindTheProxiesIsReported() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            List<String> counters = AckLedger.keysInSlots("neg-c", 16, new int[] {0, 16383});
            List<String> versioned = AckLedger.keysInSlots("neg-v", 32, new int[] {0, 16383});
            try (AckLedger ledger = new AckLedger(ports(cluster), 4, counters, versioned)) {
                ledger.start(Duration.ofSeconds(30));
                ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
                ledger.stop();
                assertThat(ledger.check().violations()).isEmpty();

                String counter = counters.stream()
                        .max(java.util.Comparator.comparingLong(k -> ledger.counterExpectation(k).acked())).orElseThrow();
                AckLedger.CounterExpectation expected = ledger.counterExpectation(counter);
                RedisProcess owner = cluster.backendOwning(Slots.slotOf(counter));
                long tampered = expected.acked() + expected.maybe() + 7;
                assertThat(owner.rawCommand("SET", counter, Long.toString(tampered))).isEqualTo("+OK\r\n");

                AckLedger.Summary summary = ledger.check();
                assertThat(summary.violations()).as(summary.describe()).hasSize(1);
                assertThat(summary.violations().get(0)).contains("counter " + counter + " = " + tampered)
                        .contains("applied twice");
                assertThat(summary.describe()).contains("1 violation(s)").contains(counter);

                String key = versioned.get(0);
                RedisProcess keyOwner = cluster.backendOwning(Slots.slotOf(key));
                assertThat(keyOwner.rawCommand("SET", key, "tampered")).isEqualTo("+OK\r\n");
                summary = ledger.check();
                assertThat(summary.violations()).as(summary.describe()).hasSize(2);
                assertThat(summary.violations().get(1)).startsWith("key " + key + " holds 'tampered'");
            }
        }
    }

    @Test
    void coordinatorPushesAreAcceptedAndACancelledMoveLosesNothing() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(3, 1)) {
            MigrationCoordinator coordinator = cluster.coordinator();
            // A (node 0) takes every slot, B (node 1) none, C (node 2) keeps nothing either
            coordinator.assign(0, new int[] {0, 16383});
            coordinator.pushLayout();
            long e = coordinator.epoch();
            assertThat(e).isEqualTo(cluster.epoch() + 1);
            MigrationCoordinator.Node a = coordinator.node(0);
            MigrationCoordinator.Node b = coordinator.node(1);
            MigrationCoordinator.Node c = coordinator.node(2);
            assertThat(String.join(" ", coordinator.setClusterArgs(1))).isEqualTo("UMCTL SETCLUSTER v2 " + e
                    + " NOFLAGS testcluster " + b.backend() + " 0 PEER " + a.proxy() + " 1 0-16383 " + c.proxy() + " 0");
            try (RawRedisClient raw = new RawRedisClient(cluster.port(1))) {
                String key = Slots.keyIn(9000, "probe");
                assertThat(raw.call("GET", key)).isEqualTo("-MOVED 9000 " + a.proxy() + "\r\n");
            }

            try (AckLedger ledger = ledger(cluster, "push")) {
                ledger.start(Duration.ofSeconds(30));
                ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));

                coordinator.startMove(0, 1, UPPER);
                String tail = "1 8192-16383 " + (e + 1) + " " + a.proxy() + " " + a.backend() + " " + b.proxy() + " "
                        + b.backend();
                assertThat(coordinator.migratingLine()).isEqualTo("testcluster MIGRATING " + tail);
                assertThat(coordinator.importingLine()).isEqualTo("testcluster IMPORTING " + tail);
                assertThat(String.join(" ", coordinator.setClusterArgs(1))).isEqualTo("UMCTL SETCLUSTER v2 " + (e + 1)
                        + " NOFLAGS testcluster " + b.backend() + " 0 " + b.backend() + " IMPORTING " + tail
                        + " PEER " + a.proxy() + " 1 0-8191 " + a.proxy() + " MIGRATING " + tail + " " + c.proxy() + " 0");
                assertThat(String.join(" ", coordinator.setClusterArgs(0))).isEqualTo("UMCTL SETCLUSTER v2 " + (e + 1)
                        + " NOFLAGS testcluster " + a.backend() + " 1 0-8191 " + a.backend() + " MIGRATING " + tail
                        + " PEER " + b.proxy() + " 0 " + b.proxy() + " IMPORTING " + tail + " " + c.proxy() + " 0");
                assertThat(String.join(" ", coordinator.setClusterArgs(2))).isEqualTo("UMCTL SETCLUSTER v2 " + (e + 1)
                        + " NOFLAGS testcluster " + c.backend() + " 0 PEER " + a.proxy() + " 1 0-8191 " + a.proxy()
                        + " MIGRATING " + tail + " " + b.proxy() + " 0 " + b.proxy() + " IMPORTING " + tail);
                for (int i = 0; i < 3; i++) {
                    List<String> lines = coordinator.infoMgr(i); // parses, whatever the engine's progress
                    assertThat(lines).allMatch(l -> l.startsWith("testcluster "));
                }

                MigrationCoordinator.CancelOutcome outcome = coordinator.cancel();
                assertThat(coordinator.epoch()).isEqualTo(e + 2);
                ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));
                ledger.stop();
                AckLedger.Summary summary = ledger.check();
                System.out.println("cancel outcome " + outcome + "; " + summary.describe());
                assertThat(summary.violations()).as(summary.describe()).isEmpty();
                if (outcome == MigrationCoordinator.CancelOutcome.CANCELLED) {
                    assertThat(coordinator.owner(9000)).isEqualTo(0);
                    assertThat(String.join(" ", coordinator.setClusterArgs(0))).isEqualTo("UMCTL SETCLUSTER v2 "
                            + (e + 2) + " NOFLAGS testcluster " + a.backend() + " 1 0-16383 PEER " + b.proxy() + " 0 "
                            + c.proxy() + " 0");
                } else {
                    assertThat(coordinator.owner(9000)).isEqualTo(1);
                }
            }
            for (int i = 0; i < 3; i++) {
                assertThat(coordinator.infoMgrRaw(i)).isEqualTo("*0\r\n");
            }
        }
    }

    @Test
    void infoMgrRepliesParse() {
        assertThat(MigrationCoordinator.parseBulkArray("*0\r\n")).isEmpty();
        String line = "mycluster MIGRATING 1 233-666 7799 127.0.0.1:6000 127.0.0.1:7000 127.0.0.1:6001 127.0.0.1:7001";
        assertThat(MigrationCoordinator.parseBulkArray("*2\r\n$" + line.length() + "\r\n" + line + "\r\n$1\r\nx\r\n"))
                .containsExactly(line, "x");
    }

    /** 8 workers over 48 counters and 192 versioned keys, both inside and outside slots 8192-16383. */
    static AckLedger ledger(LocalMoonshardCluster cluster, String prefix) {
        List<String> counters = new java.util.ArrayList<>(AckLedger.keysInSlots(prefix + "-c", 32, UPPER));
        counters.addAll(AckLedger.keysOutsideSlots(prefix + "-cc", 16, UPPER));
        List<String> versioned = new java.util.ArrayList<>(AckLedger.keysInSlots(prefix + "-v", 128, UPPER));
        versioned.addAll(AckLedger.keysOutsideSlots(prefix + "-vc", 64, UPPER));
        return new AckLedger(ports(cluster), 8, counters, versioned);
    }

    static List<Integer> ports(LocalMoonshardCluster cluster) {
        List<Integer> ports = new java.util.ArrayList<>();
        for (int i = 0; i < cluster.proxies.size(); i++) {
            ports.add(cluster.port(i));
        }
        return ports;
    }
}
