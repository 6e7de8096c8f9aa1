package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A move into an empty destination that owns nothing, seeded by replication (the destination's Redis
 * becomes a replica of the source's, is promoted inside the fence, and deletes the slots it does not
 * import): two in-process proxies, A (node 0) with every slot and B (node 1) with none, one Redis each,
 * slots 8192-16383 moving. The mode shows in {@code UMCTL INFOMGR PROGRESS} ({@code mode=replication});
 * whether Redis a ran a full sync shows in its {@code INFO stats} ({@code sync_full}).
 */
class SeedByReplicationIT {

    private static final int[] R = {8192, 16383};
    private static final BitSet R_BITS = MigrationCoordinator.toBits(List.of(new int[][] {R}));
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(60);
    private static final int A = 0;
    private static final int B = 1;

    private static MigrationCoordinator allAtA(LocalMoonshardCluster cluster) {
        MigrationCoordinator coordinator = cluster.coordinator();
        coordinator.assign(A, new int[] {0, 16383});
        coordinator.pushLayout();
        return coordinator;
    }

    private static RedisProcess backend(LocalMoonshardCluster cluster, int node) {
        return cluster.backends.get(node).get(0);
    }

    /** One field of {@code INFO <section>} of {@code redis}. */
    private static String info(RedisProcess redis, String section, String field) {
        for (String line : redis.rawCommand("INFO", section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    /** Keys of database 0 of {@code redis} (but the proxy's own) whose slot {@code wanted} accepts. */
    private static long keysWhere(RedisProcess redis, Predicate<Integer> wanted) {
        long n = 0;
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            String cursor = "0";
            do {
                String[] lines = client.call("SCAN", cursor, "COUNT", "5000").split("\r\n");
                cursor = lines[2]; // *2, $n, cursor, *m, then $len/key pairs
                for (int i = 5; i < lines.length; i += 2) {
                    if (!lines[i].startsWith("moonshard:") && wanted.test(Slots.slotOf(lines[i]))) {
                        n++;
                    }
                }
            } while (!cursor.equals("0"));
        }
        return n;
    }

    /** Database 1 of {@code redis} (the migration registers): {@code key={field=value,...}; ...}. */
    private static String registers(RedisProcess redis) {
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            assertThat(client.call("SELECT", "1")).isEqualTo("+OK\r\n");
            StringBuilder sb = new StringBuilder();
            for (String key : MigrationCoordinator.parseBulkArray(client.call("KEYS", "*"))) {
                List<String> fields = MigrationCoordinator.parseBulkArray(client.call("HGETALL", key));
                sb.append(sb.isEmpty() ? "" : "; ").append(key).append("={");
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    sb.append(i == 0 ? "" : ",").append(fields.get(i)).append('=').append(fields.get(i + 1));
                }
                sb.append('}');
            }
            return sb.toString();
        }
    }

    /** The source's INFOMGR PROGRESS line of the move, once one matches {@code wanted}. */
    private static String awaitSourceProgress(MigrationCoordinator coordinator, Predicate<String> wanted) {
        String[] seen = {null};
        await("the source's progress line").atMost(COMMIT_TIMEOUT).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    for (String line : coordinator.progress(A)) {
                        if (line.contains(" MIGRATING ") && wanted.test(line)) {
                            seen[0] = line;
                            return true;
                        }
                    }
                    return false;
                });
        return seen[0];
    }

    private static AckLedger ledger(LocalMoonshardCluster cluster, String prefix) {
        List<String> counters = new ArrayList<>(AckLedger.keysInSlots(prefix + "-c", 16, R));
        counters.addAll(AckLedger.keysOutsideSlots(prefix + "-cc", 8, R));
        List<String> versioned = new ArrayList<>(AckLedger.keysInSlots(prefix + "-v", 64, R));
        versioned.addAll(AckLedger.keysOutsideSlots(prefix + "-vc", 32, R));
        return new AckLedger(AckLedgerIT.ports(cluster), 3, counters, versioned); // a light load: 3 workers
    }

    /**
     * 200,000 filler keys and 3,000 keys of every type (half with a TTL) at A; half the slots move to
     * B under a light write load. The move seeds B, every key arrives, nothing acknowledged is lost,
     * B's DBSIZE counts only its own slots' keys while it deletes the others (its deletion budgeted to
     * last), they are gone at the end, A trims the moved keys, B's Redis is a master again and so is
     * it in B's replication engine.
     */
    @Test
    void anEmptyDestinationIsSeeded_everyKeyArrives_andTheOthersAreHiddenThenDeleted() throws Exception {
        int typed = 3_000;
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            RedisProcess a = backend(cluster, A);
            RedisProcess b = backend(cluster, B);
            // B's Redis as a SETREPL master entry: its keeper reports the seed, and master again after it
            try (RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                assertThat(toB.call("UMCTL", "SETREPL", "1", "NOFLAG", "master", LocalMoonshardCluster.NAME,
                        b.address(), "0")).isEqualTo("+OK\r\n");
                // the purge of what B does not import is budgeted, so DBSIZE is sampled while it runs
                assertThat(toB.call("CONFIG", "SET", "moonshard-migration-keys-per-second", "15000")).isEqualTo("+OK\r\n");
            }
            awaitReplicationState(cluster, B, b, "master");
            assertThat(a.rawCommand("DEBUG", "POPULATE", "200000", "fill", "64")).isEqualTo("+OK\r\n");
            List<String> names = AckLedger.keysInSlots("typed", typed, R);
            RedisClient lettuce = RedisClient.create();
            long writeStart = System.nanoTime();
            try {
                try (StatefulRedisConnection<String, String> toA =
                             lettuce.connect(RedisURI.create("127.0.0.1", cluster.port(A)))) {
                    List<RedisFuture<?>> futures = new ArrayList<>();
                    for (int i = 0; i < typed; i++) {
                        SlotMigrationIT.write(toA.async(), names.get(i), i, futures);
                    }
                    assertThat(LettuceFutures.awaitAll(60, TimeUnit.SECONDS, futures.toArray(RedisFuture[]::new))).isTrue();
                    for (RedisFuture<?> f : futures) {
                        assertThat(f.getError()).isNull();
                    }
                }
                long fillerInR = keysWhere(a, R_BITS::get) - typed;
                assertThat(fillerInR).isBetween(90_000L, 110_000L);

                String seenDemoted;
                try (AckLedger ledger = ledger(cluster, "seed")) {
                    ledger.start(Duration.ofMinutes(3));
                    ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));
                    coordinator.startMove(A, B, R);
                    String chosen = awaitSourceProgress(coordinator, l -> !l.contains(" mode=- "));
                    System.out.println("the source's progress once it chose: " + chosen);
                    assertThat(chosen).contains(" mode=replication ");
                    seenDemoted = sampleReplicationStateUntilCommitted(cluster, coordinator, b);
                    coordinator.awaitCommitted(COMMIT_TIMEOUT);
                    String flipped = awaitSourceProgress(coordinator, l -> l.contains(" state=FLIPPED "));
                    System.out.println("the source's progress at the flip: " + flipped);
                    assertThat(flipped).contains(" mode=replication ").doesNotContain(" seed_ms=-1");
                    ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20)); // flipped: served by B, not yet committed
                    ledger.stop();
                    AckLedger.Summary summary = ledger.check();
                    System.out.println(summary.describe());
                    assertThat(summary.violations()).as(summary.describe()).isEmpty();
                    assertThat(summary.acknowledged()).isPositive();
                }
                System.out.println("B's replication engine saw its node as: " + seenDemoted);
                assertThat(info(a, "stats", "sync_full")).as("full syncs Redis a served").isEqualTo("1");
                coordinator.commit();

                // nothing writes now: the keys of R at B are what B's clients may see, and all they may see
                long mine = keysWhere(b, R_BITS::get);
                assertThat(mine).isGreaterThanOrEqualTo(fillerInR + typed);
                long samples = 0;
                long whilePurging = 0;
                try (RawRedisClient proxyB = new RawRedisClient(cluster.port(B))) {
                    long deadline = System.nanoTime() + CLEANUP_TIMEOUT.toNanos();
                    while (true) {
                        long raw = SlotMigrationIT.dbsize(b);
                        long shown = SlotMigrationIT.dbsize(proxyB);
                        assertThat(shown).as("DBSIZE at B while Redis b holds %d keys (%d of them B's)", raw, mine)
                                .isEqualTo(mine);
                        samples++;
                        if (raw == mine) {
                            break;
                        }
                        whilePurging++;
                        if (whilePurging == 1) {
                            assertThat(SlotMigrationIT.scanCount(proxyB)).as("SCAN at B while it deletes the others")
                                    .isEqualTo(mine);
                        }
                        assertThat(System.nanoTime() < deadline).as("Redis b still holds %d keys of other slots after %s",
                                raw - mine, CLEANUP_TIMEOUT).isTrue();
                    }
                }
                System.out.println("DBSIZE at B sampled " + samples + " times, " + whilePurging + " while it deleted the others");
                assertThat(whilePurging).as("samples while the foreign keys were still there").isPositive();
                assertThat(keysWhere(b, slot -> !R_BITS.get(slot))).as("keys of other slots in Redis b").isZero();
                assertThat(keysWhere(b, R_BITS::get)).isEqualTo(mine);

                try (StatefulRedisConnection<String, String> toB =
                             lettuce.connect(RedisURI.create("127.0.0.1", cluster.port(B)))) {
                    for (int i = 0; i < typed; i++) {
                        SlotMigrationIT.verify(toB.sync(), names.get(i), i, writeStart);
                    }
                }
                assertThat(keysWhere(b, slot -> R_BITS.get(slot)) - typed).as("filler of R at B")
                        .isGreaterThanOrEqualTo(fillerInR);
                await("the moved keys trimmed from Redis a").atMost(CLEANUP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                        .until(() -> keysWhere(a, R_BITS::get) == 0);
                assertThat(info(b, "replication", "role")).isEqualTo("master");
                awaitReplicationState(cluster, B, b, "master");
                String left = registers(b);
                assertThat(left).as("registers at B").doesNotContain("seed=").doesNotContain("fence=");
                await("INFOMGR empty").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> coordinator.progress(A).isEmpty() && coordinator.progress(B).isEmpty());
            } finally {
                lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
            }
        }
    }

    /**
     * The coordinator's cancel while B's Redis loads the full sync: it stops following A, B drops every
     * key it got (database 1 included), A keeps serving the slots with all its keys.
     */
    @Test
    void aCancelDuringTheSeedDropsItsKeys_andTheSourceKeepsTheSlots() {
        int tracked = 1_000;
        int filler = 1_000_000;
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            RedisProcess a = backend(cluster, A);
            RedisProcess b = backend(cluster, B);
            assertThat(a.rawCommand("DEBUG", "POPULATE", Integer.toString(filler), "fill", "128")).isEqualTo("+OK\r\n");
            List<String> names = AckLedger.keysInSlots("kept", tracked, R);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                for (int i = 0; i < tracked; i++) {
                    toA.send("SET", names.get(i), "value-" + i);
                }
                for (int i = 0; i < tracked; i++) {
                    assertThat(toA.readReply()).isEqualTo("+OK\r\n");
                }
            }
            coordinator.startMove(A, B, R);
            String seeding = awaitSourceProgress(coordinator, l -> l.contains(" state=SEEDING "));
            await("Redis b following Redis a").atMost(COMMIT_TIMEOUT).pollInterval(Duration.ofMillis(5))
                    .until(() -> "slave".equals(info(b, "replication", "role")));
            MigrationCoordinator.CancelOutcome outcome = coordinator.cancel();
            System.out.println("cancelled at: " + seeding);
            assertThat(outcome).as("the cancel came before the commit").isEqualTo(MigrationCoordinator.CancelOutcome.CANCELLED);

            await("Redis b a master again, and empty").atMost(CLEANUP_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> "master".equals(info(b, "replication", "role")) && SlotMigrationIT.dbsize(b) == 0);
            await("Redis b's database 1 without the seed's registers").atMost(CLEANUP_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> !registers(b).contains("seed=") && !registers(b).contains("copying="));
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                for (int i = 0; i < tracked; i++) {
                    assertThat(toA.call("GET", names.get(i))).as("served by A").isEqualTo(
                            "$" + ("value-" + i).length() + "\r\nvalue-" + i + "\r\n");
                }
                String first = names.get(0);
                assertThat(toB.call("GET", first))
                        .isEqualTo("-MOVED " + Slots.slotOf(first) + " " + cluster.proxyAddresses.get(A) + "\r\n");
                assertThat(SlotMigrationIT.dbsize(toA)).as("DBSIZE through A").isEqualTo(filler + tracked);
                assertThat(SlotMigrationIT.dbsize(toB)).as("DBSIZE through B").isZero();
            }
            assertThat(SlotMigrationIT.dbsize(a)).as("nothing left Redis a").isEqualTo(filler + tracked);
            await("Redis a without the replica").atMost(CLEANUP_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> "0".equals(info(a, "replication", "connected_slaves")));
            await("INFOMGR empty after the cancel").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(25))
                    .until(() -> coordinator.infoMgrRaw(A).equals("*0\r\n") && coordinator.infoMgrRaw(B).equals("*0\r\n"));
            assertThat(coordinator.progress(B)).as("B's import task ended").isEmpty();
        }
    }

    /** {@code moonshard-migration-seed-by-replication no}: the same move copies keys; Redis a runs no full sync. */
    @Test
    void theSettingNoMakesTheSameMoveCopyKeys() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            RedisProcess a = backend(cluster, A);
            RedisProcess b = backend(cluster, B);
            assertThat(a.rawCommand("DEBUG", "POPULATE", "200000", "fill", "64")).isEqualTo("+OK\r\n");
            long inR = keysWhere(a, R_BITS::get);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                assertThat(toA.call("CONFIG", "GET", "moonshard-migration-seed-by-replication")).isEqualTo(
                        "*2\r\n$39\r\nmoonshard-migration-seed-by-replication\r\n$3\r\nyes\r\n");
                assertThat(toA.call("CONFIG", "SET", "moonshard-migration-seed-by-replication", "no")).isEqualTo("+OK\r\n");
            }
            coordinator.startMove(A, B, R);
            String chosen = awaitSourceProgress(coordinator, l -> !l.contains(" mode=- "));
            assertThat(chosen).contains(" mode=keys ");
            coordinator.awaitCommitted(COMMIT_TIMEOUT);
            assertThat(awaitSourceProgress(coordinator, l -> l.contains(" state=FLIPPED "))).contains(" mode=keys ")
                    .contains(" seed_ms=-1");
            coordinator.commit();
            assertThat(info(a, "stats", "sync_full")).as("full syncs Redis a served").isEqualTo("0");
            assertThat(keysWhere(b, slot -> !R_BITS.get(slot))).as("keys of other slots in Redis b").isZero();
            assertThat(keysWhere(b, R_BITS::get)).isEqualTo(inR);
            await("the moved keys trimmed from Redis a").atMost(CLEANUP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                    .until(() -> keysWhere(a, R_BITS::get) == 0);
        }
    }

    private static void awaitReplicationState(LocalMoonshardCluster cluster, int proxy, RedisProcess node, String state) {
        await("INFOREPL state " + state).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> TwoHostReplicatedCluster.entryOf(infoRepl(cluster, proxy), node.address()).contains("state:" + state + "\n"));
    }

    private static String infoRepl(LocalMoonshardCluster cluster, int proxy) {
        try (RawRedisClient client = new RawRedisClient(cluster.port(proxy))) {
            return client.call("UMCTL", "INFOREPL");
        }
    }

    /** B's INFOREPL state of its node, sampled until the move committed: the states seen, in order. */
    private static String sampleReplicationStateUntilCommitted(LocalMoonshardCluster cluster,
                                                               MigrationCoordinator coordinator, RedisProcess b) {
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && !coordinator.lists(B, coordinator.importingLine())) {
            String entry = TwoHostReplicatedCluster.entryOf(infoRepl(cluster, B), b.address());
            int at = entry.indexOf("state:");
            String state = at < 0 ? "?" : entry.substring(at + 6, entry.indexOf('\n', at));
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(state)) {
                seen.add(state);
            }
        }
        return String.join(" -> ", seen);
    }
}
