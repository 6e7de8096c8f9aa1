package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Failover on the real jar, two "hosts" ({@link ReplicationJarPair}), under load from a Lettuce cluster
 * client whose every acknowledged reply the {@link AckLedger} records: a master Redis killed with
 * {@code kill -9}, its replica promoted with the offset check, the new layout pushed.
 */
class ReplicationFaultsJarIT {

    private static final Duration SYNC = Duration.ofSeconds(30);

    @Test
    void aKilledMasterIsReplacedByItsReplicaAndAsyncAcksLoseAtMostTheLag() throws Exception {
        Path logs = Path.of("target", "replication-faults", "async-kill");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs)) {
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            try (AckLedger ledger = ledger(pair, "async")) {
                ledger.start(Duration.ofMinutes(3));
                ledger.awaitMoreAcknowledged(1_000, SYNC);

                pair.killMaster(0);
                pair.awaitState(1, r1, "parked", SYNC); // its master is gone: nothing may sync into it now
                long offset = offsetOf(pair.entry(1, r1));
                long promotion = pair.epoch + 1;
                assertThat(pair.call(1, "UMCTL", "PROMOTE", Long.toString(promotion), r1, "MINOFFSET", Long.toString(offset)))
                        .as(pair.replicationLog()).isEqualTo("+OK\r\n");
                pair.pushFailedOver(promotion + 1);
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                ledger.stop();
                ledger.awaitFinished(SYNC);

                AckLedger.Summary summary = ledger.check();
                List<String> twice = new ArrayList<>();
                long lostIncrs = 0;
                Matcher m = Pattern.compile(": (\\d+) acknowledged INCR\\(s\\) lost").matcher("");
                for (String v : summary.violations()) {
                    if (v.contains("applied twice")) {
                        twice.add(v);
                    }
                    if (m.reset(v).find()) {
                        lostIncrs += Long.parseLong(m.group(1));
                    }
                }
                record(logs, "async acks, master kill -9, promotion: " + summary.acknowledged() + " acknowledged, "
                        + summary.violations().size() + " keys off, " + lostIncrs + " acknowledged INCRs lost (the replication lag)\n"
                        + summary.describe());
                assertThat(twice).as(summary.describe()).isEmpty();
                assertThat(summary.acknowledged()).isGreaterThan(2_000);
            }
        }
    }

    @Test
    void withReplicaAcksAKilledMasterLosesNoAcknowledgedWrite() throws Exception {
        Path logs = Path.of("target", "replication-faults", "replica-acks-kill");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs, "--write-ack", "replica",
                "--write-ack-timeout-ms", "500")) {
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            pair.awaitState(0, pair.replicas.get(0).address(), "in_sync", SYNC);
            try (AckLedger ledger = ledger(pair, "wack")) {
                ledger.start(Duration.ofMinutes(3));
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                pair.killMaster(0);
                pair.awaitState(1, r1, "parked", SYNC);
                long promotion = pair.epoch + 1;
                assertThat(pair.call(1, "UMCTL", "PROMOTE", Long.toString(promotion), r1, "MINOFFSET",
                        Long.toString(offsetOf(pair.entry(1, r1))))).as(pair.replicationLog()).isEqualTo("+OK\r\n");
                pair.pushFailedOver(promotion + 1);
                // until the shard has a replica again its writes cannot be confirmed (NOTREPLICATED): the
                // dead node comes back empty and, as SETREPL now says, follows the promoted one
                pair.restartMasterEmpty(0);
                pair.awaitState(0, pair.masters.get(0).address(), "in_sync", SYNC);
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                ledger.stop();
                ledger.awaitFinished(SYNC);
                AckLedger.Summary summary = ledger.check();
                record(logs, "replica acks, master kill -9, promotion:\n" + summary.describe());
                assertThat(summary.clean()).as(summary.describe() + "\n" + pair.replicationLog()).isTrue();
            }
        }
    }

    @Test
    void withReplicaAcksAMasterRestartedEmptyUnderLoadKeepsTheShardsData() throws Exception {
        Path logs = Path.of("target", "replication-faults", "replica-acks-empty-restart");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs, "--write-ack", "replica",
                "--write-ack-timeout-ms", "500")) {
            String m0 = pair.masters.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            pair.awaitState(0, pair.replicas.get(0).address(), "in_sync", SYNC);
            try (AckLedger ledger = ledger(pair, "wempty")) {
                ledger.start(Duration.ofMinutes(3));
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                pair.killMaster(0);
                pair.restartMasterEmpty(0); // at once, on the same port: no persistence, a new run_id
                pair.awaitState(0, m0, "held", SYNC); // its slots refused: nothing reads or writes the empty node
                pair.awaitState(1, r1, "held", SYNC); // its replica keeps the data and syncs from nobody
                long promotion = pair.epoch + 1;
                assertThat(pair.call(1, "UMCTL", "PROMOTE", Long.toString(promotion), r1, "MINOFFSET",
                        Long.toString(offsetOf(pair.entry(1, r1))))).as(pair.replicationLog()).isEqualTo("+OK\r\n");
                pair.pushFailedOver(promotion + 1);
                pair.awaitState(0, m0, "in_sync", SYNC); // the restarted node now follows the promoted one
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                ledger.stop();
                ledger.awaitFinished(SYNC);
                AckLedger.Summary summary = ledger.check();
                record(logs, "replica acks, master restarted empty, promotion:\n" + summary.describe());
                assertThat(summary.clean()).as(summary.describe() + "\n" + pair.replicationLog()).isTrue();
            }
        }
    }

    /**
     * The replica retries its master from Redis's replication cron, once a second, and its proxy is
     * not there to park it (paused): the master restarted empty must still serve it no sync. Only the
     * replication user, which a restarted process lacks until its proxy decides, stands in the way;
     * without it the replica full-syncs from the empty node within a second and this fails.
     */
    @Test
    void aMasterRestartedEmptyServesItsReplicaNoSyncEvenWhileTheReplicasProxyCannotPark() throws Exception {
        Path logs = Path.of("target", "replication-faults", "restart-unparked");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs)) {
            String m0 = pair.masters.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            List<String> keys = AckLedger.keysInSlots("unparked", 200, ReplicationJarPair.SLOTS[0]);
            for (String key : keys) {
                assertThat(pair.call(0, "SET", key, "v")).isEqualTo("+OK\r\n");
            }
            RedisProcess replica = pair.replicas.get(1);
            await().atMost(SYNC).until(() -> dbSize(replica) == keys.size());
            pair.pauseProxy(1);
            try {
                pair.killMaster(0);
                pair.restartMasterEmpty(0);
                RedisProcess restarted = pair.masters.get(0);
                // two or three of the replica's retries fall in this window; each is refused at AUTH
                await("the replica keeps its keys and the restarted master serves no replica")
                        .during(Duration.ofMillis(2_500)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                        .until(() -> dbSize(replica) == keys.size() && restarted.rawCommand("INFO", "replication")
                                .contains("connected_slaves:0"));
                assertThat(restarted.rawCommand("ACL", "LOG")).as("the replica tried and was refused")
                        .contains("moonshard-replication"); // the user the proxies' replicas authenticate as
                assertThat(restarted.rawCommand("INFO", "stats")).contains("sync_full:0");
            } finally {
                pair.resumeProxy(1);
            }
            pair.awaitState(0, m0, "held", SYNC);
            pair.awaitState(1, r1, "held", SYNC);
            assertThat(dbSize(replica)).as(pair.replicationLog()).isEqualTo(keys.size());
        }
    }

    private static long dbSize(RedisProcess redis) {
        return Long.parseLong(redis.rawCommand("DBSIZE").replaceAll("[^0-9]", ""));
    }

    @Test
    void aPlannedSwitchoverUnderLoadLosesNothing() throws Exception {
        Path logs = Path.of("target", "replication-faults", "switchover");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs)) {
            String m0 = pair.masters.get(0).address();
            String r1 = pair.replicas.get(1).address();
            pair.awaitState(1, r1, "in_sync", SYNC);
            try (AckLedger ledger = ledger(pair, "switch")) {
                ledger.start(Duration.ofMinutes(3));
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                long switchEpoch = pair.epoch + 1;
                long started = System.nanoTime();
                assertThat(pair.call(0, "UMCTL", "SWITCHOVER", Long.toString(switchEpoch), m0, r1, pair.proxyAddress(1),
                        "TIMEOUT", "3000")).as(pair.replicationLog()).isEqualTo("+OK\r\n");
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                pair.pushFailedOver(switchEpoch + 1);
                ledger.awaitMoreAcknowledged(1_000, SYNC);
                ledger.stop();
                ledger.awaitFinished(SYNC);
                AckLedger.Summary summary = ledger.check();
                Matcher held = Pattern.compile("switched .* in (\\d+) µs").matcher(pair.replicationLog());
                assertThat(held.find()).as(pair.replicationLog()).isTrue();
                long heldMillis = Long.parseLong(held.group(1)) / 1_000;
                record(logs, "switchover under load: shard held " + heldMillis + " ms, UMCTL SWITCHOVER answered in "
                        + tookMillis + " ms\n" + summary.describe());
                assertThat(summary.clean()).as(summary.describe() + "\n" + pair.replicationLog()).isTrue();
                assertThat(heldMillis).as("how long the proxy held the shard's commands, ms").isLessThan(500);
            }
        }
    }

    @Test
    void onTheJarReplicasAreShownAndServeReadOnlyReads() throws Exception {
        Path logs = Path.of("target", "replication-faults", "replica-reads");
        try (ReplicationJarPair pair = ReplicationJarPair.start(logs)) {
            pair.awaitState(1, pair.replicas.get(1).address(), "in_sync", SYNC);
            pair.awaitState(0, pair.replicas.get(0).address(), "in_sync", SYNC);
            Process check = new ProcessBuilder("redis-cli", "--cluster", "check", pair.proxyAddress(0))
                    .redirectErrorStream(true).start();
            String checked = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(check.waitFor()).as(checked).isZero();
            assertThat(checked).contains("[OK] All 16384 slots covered.").contains("1 additional replica(s)");

            io.lettuce.core.cluster.RedisClusterClient client = AckLedger.clusterClient(List.of(pair.port(0)));
            try (var connection = client.connect()) {
                List<String> keys = AckLedger.keysInSlots("ro", 50, ReplicationJarPair.SLOTS[0]);
                for (String key : keys) {
                    connection.sync().set(key, "v-" + key);
                }
                org.awaitility.Awaitility.await().atMost(SYNC).until(() -> pair.entry(1, pair.replicas.get(1).address())
                        .contains("lag:0\n"));
                long masterGets = calls(pair.masters.get(0), "get");
                connection.setReadFrom(io.lettuce.core.ReadFrom.REPLICA);
                for (String key : keys) {
                    assertThat(connection.sync().get(key)).isEqualTo("v-" + key);
                }
                // host 1's proxy served them from its replica of shard 0; the master saw none of them
                assertThat(calls(pair.replicas.get(1), "get")).isEqualTo(keys.size());
                assertThat(calls(pair.masters.get(0), "get")).isEqualTo(masterGets);
            } finally {
                client.shutdown();
            }
        }
    }

    private static long calls(io.moonshard.testkit.RedisProcess redis, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+),").matcher(redis.rawCommand("INFO", "commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    static AckLedger ledger(ReplicationJarPair pair, String prefix) {
        List<String> counters = new ArrayList<>(AckLedger.keysInSlots(prefix + "-c", 32, ReplicationJarPair.SLOTS[0]));
        List<String> versioned = new ArrayList<>(AckLedger.keysInSlots(prefix + "-v", 96, ReplicationJarPair.SLOTS[0]));
        counters.addAll(AckLedger.keysInSlots(prefix + "-cc", 16, ReplicationJarPair.SLOTS[1]));
        versioned.addAll(AckLedger.keysInSlots(prefix + "-vc", 48, ReplicationJarPair.SLOTS[1]));
        return AckLedger.builder(List.of(pair.port(0)), 6, counters, versioned).rejectUnansweredAfterReconnect(true).build();
    }

    /** The run's account, kept beside the proxies' logs ({@code target/replication-faults/<test>/summary.txt}). */
    static void record(Path logs, String text) throws java.io.IOException {
        java.nio.file.Files.writeString(logs.resolve("summary.txt"), text + "\n");
    }

    static long offsetOf(String entry) {
        Matcher m = Pattern.compile("offset:(-?\\d+)\n").matcher(entry);
        if (!m.find()) {
            throw new AssertionError("no offset in " + entry);
        }
        return Long.parseLong(m.group(1));
    }
}
