package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.cluster.RedisClusterClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The proxy's half of high availability, on two "hosts" (127.0.0.1 and 127.0.0.2; {@link TwoHostReplicatedCluster}):
 * SETREPL roles applied to real Redis, a master that restarts empty does not wipe its replica, offset-checked
 * promotion, and a FAILOVER-based switchover under load that loses no acknowledged write.
 */
class ReplicationIT {

    private static final Duration SYNC = Duration.ofSeconds(20);

    @Test
    void aWriteThroughOneProxyReachesTheReplicaOnTheOtherHost() {
        try (TwoHostReplicatedCluster pair = TwoHostReplicatedCluster.start(b -> b)) {
            String r0 = pair.replicas.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            pair.awaitState(0, r0, "in_sync", SYNC);
            String key = AckLedger.keysInSlots("repl", 1, TwoHostReplicatedCluster.RANGES[0]).get(0);
            assertThat(pair.call(0, "SET", key, "v1")).isEqualTo("+OK\r\n");
            await().atMost(SYNC).until(() -> pair.replicas.get(1).rawCommand("GET", key).equals("$2\r\nv1\r\n"));
            assertThat(pair.replicas.get(1).rawCommand("ROLE")).contains("slave").contains(pair.masters.get(0).address().split(":")[0]);

            String master = TwoHostReplicatedCluster.entryOf(pair.infoRepl(0), pair.masters.get(0).address());
            assertThat(master).contains("role:master\n").contains("replica:" + r1 + "@" + pair.proxyAddresses.get(1) + "\n")
                    .contains("state:master\n").containsPattern("offset:[1-9][0-9]*\n");
            String replica = TwoHostReplicatedCluster.entryOf(pair.infoRepl(1), r1);
            assertThat(replica).contains("role:replica\n").contains("state:in_sync\n").contains("link:up\n")
                    .containsPattern("lag:[0-9]+\n");
        }
    }

    @Test
    void aMasterRestartedEmptyKeepsItsReplicasDataUntilAPromotionServesIt() throws Exception {
        try (TwoHostReplicatedCluster pair = TwoHostReplicatedCluster.start(b -> b)) {
            String m0 = pair.masters.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            List<String> keys = AckLedger.keysInSlots("kept", 200, TwoHostReplicatedCluster.RANGES[0]);
            for (String key : keys) {
                assertThat(pair.call(0, "SET", key, "value-of-" + key)).isEqualTo("+OK\r\n");
            }
            await().atMost(SYNC).until(() -> pair.replicas.get(1).rawCommand("DBSIZE").equals(":200\r\n")
                    && TwoHostReplicatedCluster.entryOf(pair.infoRepl(1), r1).contains("lag:0\n"));

            int port = pair.masters.get(0).port();
            pair.masters.get(0).kill();
            // the same port, no persistence: it comes back empty, with a new run_id
            pair.masters.set(0, RedisProcess.startOn(TwoHostReplicatedCluster.HOSTS[0], port, "--repl-diskless-sync-delay", "0"));

            pair.awaitState(1, r1, "held", SYNC);
            pair.awaitState(0, m0, "held", SYNC);
            String role = pair.replicas.get(1).rawCommand("INFO", "replication");
            assertThat(role).contains("role:slave").contains("master_port:0"); // parked: it syncs from nobody
            assertThat(pair.replicas.get(1).rawCommand("DBSIZE")).isEqualTo(":200\r\n");
            assertThat(pair.call(0, "GET", keys.get(0))).startsWith("-TRYAGAIN ");
            assertThat(pair.call(0, "SET", keys.get(0), "lost")).startsWith("-TRYAGAIN ");
            assertThat(pair.call(0, "UMCTL", "READY")).isEqualTo(":0\r\n");
            assertThat(pair.masters.get(0).rawCommand("DBSIZE")).isEqualTo(":0\r\n"); // the refused write never reached it

            // a SETREPL that only repeats the old layout does not release the hold
            pair.push();
            pair.awaitState(1, r1, "held", SYNC);
            assertThat(pair.replicas.get(1).rawCommand("DBSIZE")).isEqualTo(":200\r\n");

            long offset = offsetOf(TwoHostReplicatedCluster.entryOf(pair.infoRepl(1), r1));
            long promotion = pair.epoch() + 1;
            assertThat(pair.call(1, "UMCTL", "PROMOTE", Long.toString(promotion), r1, "MINOFFSET", Long.toString(offset)))
                    .isEqualTo("+OK\r\n");
            pair.awaitState(1, r1, "promoted", SYNC);
            // served at once by the promoted node, before the controller's SETCLUSTER
            assertThat(pair.call(1, "GET", keys.get(1))).isEqualTo(bulk("value-of-" + keys.get(1)));
            assertThat(pair.call(1, "CLUSTER", "NODES")).contains(pair.proxyAddresses.get(1) + " myself,master - 0 0 ")
                    .contains(" connected 0-16383\n");

            pair.pushFailedOver(promotion + 1);
            for (String key : keys) {
                assertThat(pair.call(1, "GET", key)).isEqualTo(bulk("value-of-" + key));
            }
            assertThat(pair.call(0, "GET", keys.get(2))).startsWith("-MOVED ").endsWith(pair.proxyAddresses.get(1) + "\r\n");
            // the restarted node now follows the promoted one: the data flows the right way
            pair.awaitState(0, m0, "in_sync", SYNC);
            await().atMost(SYNC).until(() -> pair.masters.get(0).rawCommand("DBSIZE").equals(":200\r\n"));
            assertThat(pair.replicas.get(1).rawCommand("DBSIZE")).isEqualTo(":200\r\n");
        }
    }

    @Test
    void promotionChecksItsEpochItsOffsetAndItsNode() {
        try (TwoHostReplicatedCluster pair = TwoHostReplicatedCluster.start(b -> b)) {
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            String now = Long.toString(pair.epoch());
            assertThat(pair.call(1, "UMCTL", "PROMOTE", now, r1, "MINOFFSET", "0")).isEqualTo("-OLD_EPOCH\r\n");
            assertThat(pair.call(1, "UMCTL", "PROMOTE", "99", r1, "MINOFFSET", "999999999999"))
                    .startsWith("-ERR " + r1 + " replication offset ").contains(" is behind 999999999999");
            assertThat(pair.call(1, "UMCTL", "PROMOTE", "99", pair.masters.get(1).address(), "FORCE"))
                    .startsWith("-ERR " + pair.masters.get(1).address() + " is not a replica");
            assertThat(pair.call(1, "UMCTL", "PROMOTE", "99", r1)).isEqualTo("-Invalid arguments\r\n");
            assertThat(pair.call(1, "UMCTL", "PROMOTE", "x", r1, "FORCE")).isEqualTo("-Invalid arguments\r\n");
            assertThat(pair.call(1, "UMCTL", "SWITCHOVER", "99", pair.masters.get(1).address(), r1, pair.proxyAddresses.get(0)))
                    .startsWith("-ERR ").contains("is not a master with replica");
            // none of it changed anything
            assertThat(TwoHostReplicatedCluster.entryOf(pair.infoRepl(1), r1)).contains("state:in_sync\n");
            assertThat(pair.replicas.get(1).rawCommand("INFO", "replication")).contains("role:slave")
                    .contains("master_port:" + pair.masters.get(0).port());
        }
    }

    @Test
    void aSwitchoverUnderLoadLosesNoAcknowledgedWriteAndPausesTheShardBriefly() throws Exception {
        try (TwoHostReplicatedCluster pair = TwoHostReplicatedCluster.start(b -> b)) {
            String m0 = pair.masters.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            List<String> counters = new ArrayList<>(AckLedger.keysInSlots("sw-c", 32, TwoHostReplicatedCluster.RANGES[0]));
            List<String> versioned = new ArrayList<>(AckLedger.keysInSlots("sw-v", 96, TwoHostReplicatedCluster.RANGES[0]));
            counters.addAll(AckLedger.keysInSlots("sw-cc", 16, TwoHostReplicatedCluster.RANGES[1]));
            versioned.addAll(AckLedger.keysInSlots("sw-vc", 32, TwoHostReplicatedCluster.RANGES[1]));
            String probeKey = AckLedger.keysInSlots("sw-probe", 1, TwoHostReplicatedCluster.RANGES[0]).get(0);
            try (AckLedger ledger = AckLedger.builder(List.of(pair.port(0)), 4, counters, versioned)
                    .rejectUnansweredAfterReconnect(true).build();
                 GapProbe probe = new GapProbe(pair.port(0), probeKey)) {
                ledger.start(Duration.ofMinutes(3));
                ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(30));
                probe.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> probe.acks.get() > 50);
                probe.resetGap();

                long switchEpoch = pair.epoch() + 1;
                assertThat(pair.call(0, "UMCTL", "SWITCHOVER", Long.toString(switchEpoch), m0, r1,
                        pair.proxyAddresses.get(1), "TIMEOUT", "3000")).isEqualTo("+OK\r\n");
                long acksAtSwitch = probe.acks.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> probe.acks.get() > acksAtSwitch + 50);
                long gapDuringSwitch = probe.maxGapMillis();
                ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(30));

                pair.awaitState(0, m0, "demoted", SYNC);
                pair.awaitState(1, r1, "promoted", SYNC);
                assertThat(pair.masters.get(0).rawCommand("INFO", "replication")).contains("role:slave");
                pair.pushFailedOver(switchEpoch + 1);
                ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(30));
                ledger.stop();
                ledger.awaitFinished(Duration.ofSeconds(30));
                AckLedger.Summary summary = ledger.check();
                assertThat(summary.clean()).as(summary.describe()).isTrue();
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                pair.proxies.get(0).metrics().bindTo(registry);
                long heldMicros = (long) registry.get("moonshard.replication.last.switchover.pause.microseconds").gauge().value();
                java.nio.file.Path out = java.nio.file.Path.of("target", "replication-switchover.txt");
                String steps = " (barrier " + (long) registry.get("moonshard.replication.last.switchover.barrier.microseconds").gauge().value()
                        + " us, catch-up " + (long) registry.get("moonshard.replication.last.switchover.catchup.microseconds").gauge().value()
                        + " us, FAILOVER " + (long) registry.get("moonshard.replication.last.switchover.failover.microseconds").gauge().value()
                        + " us, peer " + (long) registry.get("moonshard.replication.last.switchover.peer.microseconds").gauge().value()
                        + " us, caught up " + (long) registry.get("moonshard.replication.last.switchover.caught.up").gauge().value() + ")";
                java.nio.file.Files.writeString(out, "switchover: held " + heldMicros + " us" + steps + ", longest client wait "
                        + gapDuringSwitch + " ms, " + summary.acknowledged() + " acknowledged, clean=" + summary.clean() + "\n");
                assertThat(heldMicros).as("how long the proxy held the shard's commands, µs" + steps).isBetween(1L, 500_000L);
                // what a client saw: the hold, then the MOVED to the new master's proxy and Lettuce's way there
                assertThat(gapDuringSwitch).as("longest wait for a write ack across the switchover, ms (held "
                        + heldMicros + " µs" + steps + "; probe errors " + probe.errors + ")").isLessThan(1_000);
            }
        }
    }

    @Test
    void aBadSetReplGetsUndermoonsErrorAndChangesNothing() {
        try (TwoHostReplicatedCluster pair = TwoHostReplicatedCluster.start(b -> b)) {
            String before = undermoonLines(pair.infoRepl(0));
            String e = Long.toString(pair.epoch() + 1);
            String m0 = pair.masters.get(0).address();
            assertThat(pair.call(0, "UMCTL", "SETREPL", e, "NOFLAG", "leader", TwoHostReplicatedCluster.NAME, m0, "0"))
                    .isEqualTo("-Invalid arguments\r\n");
            assertThat(pair.call(0, "UMCTL", "SETREPL", e, "NOFLAG", "master", TwoHostReplicatedCluster.NAME, m0, "2",
                    pair.replicas.get(1).address(), pair.proxyAddresses.get(1))).isEqualTo("-Invalid arguments\r\n");
            assertThat(pair.call(0, "UMCTL", "SETREPL", e, "NOFLAG", "master", TwoHostReplicatedCluster.NAME, "127.0.0.9:7000", "0"))
                    .isEqualTo("-ERR_NOT_MY_META\r\n");
            assertThat(pair.call(0, "UMCTL", "SETREPL", Long.toString(pair.epoch()), "NOFLAG", "master", TwoHostReplicatedCluster.NAME,
                    m0, "0")).isEqualTo("-OLD_EPOCH\r\n");
            assertThat(undermoonLines(pair.infoRepl(0))).isEqualTo(before);
            pair.awaitState(0, m0, "master", SYNC);
        }
    }

    private static String undermoonLines(String infoRepl) {
        return infoRepl.replaceAll("\\$\\d+\r\n(state|offset|lag|link):[^\n]*\n\r\n", "").replaceAll("\\*\\d+\r\n", "*\r\n");
    }

    private static long offsetOf(String entry) {
        Matcher m = Pattern.compile("offset:(-?\\d+)\n").matcher(entry);
        if (!m.find()) {
            throw new AssertionError("no offset in " + entry);
        }
        return Long.parseLong(m.group(1));
    }

    private static String bulk(String value) {
        return "$" + value.length() + "\r\n" + value + "\r\n";
    }

    /** One Lettuce cluster connection writing one key in a loop, noting the longest time between two acks. */
    private static final class GapProbe implements AutoCloseable {
        final AtomicLong acks = new AtomicLong();
        final List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicLong lastAck = new AtomicLong();
        private final AtomicLong maxGap = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final RedisClusterClient client;
        private final String key;
        private Thread thread;

        GapProbe(int seedPort, String key) {
            this.client = AckLedger.clusterClient(List.of(seedPort), true);
            this.key = key;
        }

        void start() {
            StatefulRedisClusterConnection<String, String> connection = client.connect();
            thread = new Thread(() -> {
                long i = 0;
                while (running.get()) {
                    try {
                        connection.sync().set(key, Long.toString(i++));
                        long now = System.nanoTime();
                        long last = lastAck.getAndSet(now);
                        if (last != 0) {
                            maxGap.accumulateAndGet(now - last, Math::max);
                        }
                        acks.incrementAndGet();
                    } catch (RuntimeException e) {
                        // an error is not an ack: the gap grows until the next one
                        errors.add(e.toString());
                    }
                }
                connection.close();
            }, "gap-probe");
            thread.start();
        }

        void resetGap() {
            maxGap.set(0);
        }

        long maxGapMillis() {
            return maxGap.get() / 1_000_000;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(10_000);
            }
            client.shutdown();
        }
    }
}
