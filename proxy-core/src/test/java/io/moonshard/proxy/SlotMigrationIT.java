package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Online slot migration (issue 14) driven the way undermoon's coordinator drives it (mgr-0.2, spec
 * §9.1): tagged SETCLUSTER pushes, INFOMGR polling, the commit or cancel push. Two proxies, each
 * with one Redis: A (node 0) starts with every slot, B (node 1) with none, and slots 8192-16383 move.
 */
class SlotMigrationIT {

    private static final int[] R = {8192, 16383};
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration TRIM_TIMEOUT = Duration.ofSeconds(30);
    private static final int A = 0;
    private static final int B = 1;

    /** A owns every slot, B none (it is in the cluster as a peer with 0 slots). */
    private static MigrationCoordinator allAtA(LocalMoonshardCluster cluster) {
        MigrationCoordinator coordinator = cluster.coordinator();
        coordinator.assign(A, new int[] {0, 16383});
        coordinator.pushLayout();
        return coordinator;
    }

    /**
     * For the tests of the key copy's own behaviour on an empty destination: the source copies keys one
     * by one instead of seeding the destination by replication (SeedByReplicationIT covers that).
     */
    private static void copyKeys(LocalMoonshardCluster cluster) {
        try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
            assertThat(toA.call("CONFIG", "SET", "moonshard-migration-seed-by-replication", "no")).isEqualTo("+OK\r\n");
        }
    }

    private static RedisProcess backend(LocalMoonshardCluster cluster, int node) {
        return cluster.backends.get(node).get(0);
    }

    /**
     * How many keys a full SCAN through {@code client} returns. SCAN, KEYS, DBSIZE and RANDOMKEY at a
     * destination hide the keys it has staged (HiddenKeysIT checks the others).
     */
    static long scanCount(RawRedisClient client) {
        String cursor = "0";
        long keys = 0;
        do {
            String[] lines = client.call("SCAN", cursor, "COUNT", "1000").split("\r\n");
            // *2, $n, cursor, *m, then $len/key pairs
            cursor = lines[2];
            keys += Long.parseLong(lines[3].substring(1));
        } while (!cursor.equals("0"));
        return keys;
    }

    static long dbsize(RawRedisClient client) {
        String reply = client.call("DBSIZE");
        assertThat(reply).startsWith(":");
        return Long.parseLong(reply.substring(1).trim());
    }

    static long dbsize(RedisProcess redis) {
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            return dbsize(client);
        }
    }

    private static String bulk(String value) {
        return "$" + value.length() + "\r\n" + value + "\r\n";
    }

    // ---- the data of every type ---------------------------------------------------------------

    private enum Kind { STRING, HASH, LIST, SET, ZSET, STREAM }

    private static final long TTL_MS = 600_000;

    private static Kind kind(int i) {
        return Kind.values()[i % Kind.values().length];
    }

    private static boolean hasTtl(int i) {
        return (i / Kind.values().length) % 2 == 0;
    }

    /** Key i's element count: small collections for most keys; six in every 1000 (one per type) are big (a chunked copy). */
    private static int elements(int i) {
        return i % 1000 < 6 ? 2000 + i % 1000 : 3;
    }

    static void write(RedisAsyncCommands<String, String> redis, String key, int i, List<RedisFuture<?>> out) {
        int n = elements(i);
        switch (kind(i)) {
            case STRING -> out.add(redis.set(key, "s" + i + "-".repeat(i % 50)));
            case HASH -> {
                Map<String, String> fields = new LinkedHashMap<>();
                for (int f = 0; f < n; f++) {
                    fields.put("f" + f, "v" + i + ":" + f);
                }
                out.add(redis.hset(key, fields));
            }
            case LIST -> {
                List<String> items = new ArrayList<>();
                for (int f = 0; f < n; f++) {
                    items.add(f % 2 == 0 ? "x" : "y" + i + ":" + f);
                }
                out.add(redis.rpush(key, items.toArray(String[]::new)));
            }
            case SET -> {
                List<String> members = new ArrayList<>();
                for (int f = 0; f < n; f++) {
                    members.add("m" + i + ":" + f);
                }
                out.add(redis.sadd(key, members.toArray(String[]::new)));
            }
            case ZSET -> {
                List<ScoredValue<String>> members = new ArrayList<>();
                for (int f = 0; f < n; f++) {
                    members.add(ScoredValue.just(f * 1.5 + i, "z" + f));
                }
                @SuppressWarnings("unchecked")
                ScoredValue<String>[] array = members.toArray(ScoredValue[]::new);
                out.add(redis.zadd(key, array));
            }
            case STREAM -> {
                for (int f = 0; f < Math.min(n, 50); f++) {
                    out.add(redis.xadd(key, new XAddArgs().id("7-" + (f + 1)), Map.of("f", "v" + i + ":" + f)));
                }
            }
            default -> throw new IllegalStateException();
        }
        if (hasTtl(i)) {
            out.add(redis.pexpire(key, TTL_MS));
        }
    }

    /** Checks key i through {@code redis}: its type, value and its TTL (as set, less the time since the writes began). */
    static void verify(RedisCommands<String, String> redis, String key, int i, long writeStartNanos) {
        int n = elements(i);
        assertThat(redis.type(key)).as("type of %s", key).isEqualTo(kind(i).name().toLowerCase(java.util.Locale.ROOT));
        switch (kind(i)) {
            case STRING -> assertThat(redis.get(key)).as(key).isEqualTo("s" + i + "-".repeat(i % 50));
            case HASH -> {
                Map<String, String> fields = new HashMap<>();
                for (int f = 0; f < n; f++) {
                    fields.put("f" + f, "v" + i + ":" + f);
                }
                assertThat(redis.hgetall(key)).as(key).isEqualTo(fields);
            }
            case LIST -> {
                List<String> items = new ArrayList<>();
                for (int f = 0; f < n; f++) {
                    items.add(f % 2 == 0 ? "x" : "y" + i + ":" + f);
                }
                assertThat(redis.lrange(key, 0, -1)).as(key).isEqualTo(items);
            }
            case SET -> {
                Set<String> members = new HashSet<>();
                for (int f = 0; f < n; f++) {
                    members.add("m" + i + ":" + f);
                }
                assertThat(redis.smembers(key)).as(key).isEqualTo(members);
            }
            case ZSET -> {
                Map<String, Double> expected = new HashMap<>();
                for (int f = 0; f < n; f++) {
                    expected.put("z" + f, f * 1.5 + i);
                }
                Map<String, Double> actual = new HashMap<>();
                for (ScoredValue<String> sv : redis.zrangeWithScores(key, 0, -1)) {
                    actual.put(sv.getValue(), sv.getScore());
                }
                assertThat(actual).as(key).isEqualTo(expected);
            }
            case STREAM -> {
                List<StreamMessage<String, String>> messages = redis.xrange(key, Range.unbounded());
                assertThat(messages).as(key).hasSize(Math.min(n, 50));
                for (int f = 0; f < messages.size(); f++) {
                    assertThat(messages.get(f).getId()).isEqualTo("7-" + (f + 1));
                    assertThat(messages.get(f).getBody()).isEqualTo(Map.of("f", "v" + i + ":" + f));
                }
            }
            default -> throw new IllegalStateException();
        }
        long pttl = redis.pttl(key);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writeStartNanos);
        if (hasTtl(i)) {
            assertThat(pttl).as("PTTL of %s", key).isBetween(TTL_MS - elapsedMs - 2_000, TTL_MS);
        } else {
            assertThat(pttl).as("PTTL of %s", key).isEqualTo(-1);
        }
    }

    // ---- tests -------------------------------------------------------------------------------

    @Test
    void coordinatorSequenceMovesKeysOfEveryType() throws Exception {
        int keys = 5_000;
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            List<String> names = AckLedger.keysInSlots("typed", keys, R);
            RedisClient lettuce = RedisClient.create();
            long writeStart = System.nanoTime();
            try {
                try (StatefulRedisConnection<String, String> toA =
                             lettuce.connect(RedisURI.create("127.0.0.1", cluster.port(A)))) {
                    List<RedisFuture<?>> futures = new ArrayList<>();
                    for (int i = 0; i < keys; i++) {
                        write(toA.async(), names.get(i), i, futures);
                    }
                    assertThat(LettuceFutures.awaitAll(60, TimeUnit.SECONDS, futures.toArray(RedisFuture[]::new))).isTrue();
                    for (RedisFuture<?> f : futures) {
                        assertThat(f.getError()).isNull();
                    }
                }
                RedisProcess a = backend(cluster, A);
                RedisProcess b = backend(cluster, B);
                assertThat(dbsize(a)).isEqualTo(keys);
                long e = coordinator.epoch();

                coordinator.startMove(A, B, R);
                // until B lists the task, its SCAN must not show what it has staged in Redis b
                long hiddenSamples = 0;
                try (RawRedisClient rawB = new RawRedisClient(b.port());
                     RawRedisClient proxyB = new RawRedisClient(cluster.port(B))) {
                    long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
                    for (int sample = 0; sample < 20_000 && System.nanoTime() < deadline; sample++) {
                        long staged = dbsize(rawB);
                        long shown = scanCount(proxyB);
                        long counted = dbsize(proxyB);
                        if (coordinator.infoMgr(B).contains(coordinator.importingLine())) {
                            break;
                        }
                        assertThat(shown).as("keys SCAN shows at B while %d keys are staged in its Redis", staged).isZero();
                        assertThat(counted).as("DBSIZE at B while %d keys are staged in its Redis", staged).isZero();
                        if (staged > 0) {
                            hiddenSamples++;
                        }
                    }
                }
                System.out.println("SCAN at B sampled while keys were staged and hidden: " + hiddenSamples + " times");

                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                String tail = "1 8192-16383 " + (e + 1) + " " + cluster.proxyAddresses.get(A) + " " + a.address() + " "
                        + cluster.proxyAddresses.get(B) + " " + b.address();
                assertThat(coordinator.infoMgrRaw(A)).isEqualTo("*1\r\n" + bulk("testcluster MIGRATING " + tail));
                assertThat(coordinator.infoMgrRaw(B)).isEqualTo("*1\r\n" + bulk("testcluster IMPORTING " + tail));

                coordinator.commit();
                await("INFOMGR empty after the commit").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(25))
                        .until(() -> coordinator.infoMgrRaw(A).equals("*0\r\n") && coordinator.infoMgrRaw(B).equals("*0\r\n"));

                try (StatefulRedisConnection<String, String> toB =
                             lettuce.connect(RedisURI.create("127.0.0.1", cluster.port(B)))) {
                    for (int i = 0; i < keys; i++) {
                        verify(toB.sync(), names.get(i), i, writeStart);
                    }
                    assertThat(toB.sync().dbsize()).isEqualTo(keys);
                }
                assertThat(dbsize(b)).isEqualTo(keys);
                await("the moved keys trimmed from Redis a").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> dbsize(a) == 0);
            } finally {
                lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void writesDuringTheMoveAreNotLost() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            // filler, so the copy takes a while: ~10,000 keys in the moving range (the proxy keeps no key state)
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "20000", "fill", "64")).isEqualTo("+OK\r\n");
            try (AckLedger ledger = AckLedgerIT.ledger(cluster, "move")) {
                ledger.start(Duration.ofSeconds(60));
                ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(20));
                coordinator.startMove(A, B, R);
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20)); // flipped, not yet committed by SETCLUSTER
                coordinator.commit();
                ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(20));
                ledger.stop();
                AckLedger.Summary summary = ledger.check();
                System.out.println(summary.describe());
                assertThat(summary.violations()).as(summary.describe()).isEmpty();
                assertThat(summary.acknowledged()).isPositive();
            }
        }
    }

    @Test
    void cancelBeforeCommitKeepsOwnershipAtTheSource() {
        int tracked = 1_000;
        int filler = 400_000; // ~200,000 in the moving range: the copy takes far longer than the cancel
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            copyKeys(cluster);
            RedisProcess a = backend(cluster, A);
            RedisProcess b = backend(cluster, B);
            assertThat(a.rawCommand("DEBUG", "POPULATE", Integer.toString(filler), "fill", "32")).isEqualTo("+OK\r\n");
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
            // cancel as soon as the copy has begun (some key staged in Redis b), long before it can finish
            await("the copy to begin").atMost(COMMIT_TIMEOUT).pollInterval(Duration.ofMillis(5))
                    .until(() -> dbsize(b) > 0 || coordinator.infoMgr(B).contains(coordinator.importingLine()));
            try (RawRedisClient proxyB = new RawRedisClient(cluster.port(B))) {
                long shown = scanCount(proxyB);
                if (!coordinator.infoMgr(B).contains(coordinator.importingLine())) {
                    assertThat(shown).as("keys SCAN shows at B while its Redis holds staged keys").isZero();
                }
            }
            MigrationCoordinator.CancelOutcome outcome = coordinator.cancel();

            if (outcome == MigrationCoordinator.CancelOutcome.COMMITTED_INSTEAD) {
                // the copy won the race: the move happened, so check it did, completely
                System.out.println("the move committed before the cancel; checking the committed move instead");
                try (RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                    for (int i = 0; i < tracked; i++) {
                        assertThat(toB.call("GET", names.get(i))).isEqualTo(bulk("value-" + i));
                    }
                }
                await("the moved keys trimmed from Redis a").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> names.stream().noneMatch(k -> a.rawCommand("EXISTS", k).equals(":1\r\n")));
                return;
            }

            assertThat(coordinator.owner(R[0])).isEqualTo(A);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                for (int i = 0; i < tracked; i++) {
                    assertThat(toA.call("GET", names.get(i))).as("served by A").isEqualTo(bulk("value-" + i));
                }
                String first = names.get(0);
                assertThat(toB.call("GET", first))
                        .isEqualTo("-MOVED " + Slots.slotOf(first) + " " + cluster.proxyAddresses.get(A) + "\r\n");
                assertThat(dbsize(toA)).as("DBSIZE through A").isEqualTo(filler + tracked);
            }
            assertThat(dbsize(a)).as("nothing left Redis a").isEqualTo(filler + tracked);
            await("Redis b to discard what it staged").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> dbsize(b) == 0);
            await("INFOMGR empty after the cancel").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(25))
                    .until(() -> coordinator.infoMgrRaw(A).equals("*0\r\n") && coordinator.infoMgrRaw(B).equals("*0\r\n"));
        }
    }

    /**
     * A proxy whose event loops have not all served a client yet (one just restarted, or with more
     * threads than clients): the drain before tracking waits only for the loops that exist, instead of
     * for a pool on every loop, which aborted the move after 10 s.
     */
    @Test
    void aMoveStartsOnAProxyWhoseLoopsHaveNoClientsYet() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1, b -> b.threads(16))) {
            MigrationCoordinator coordinator = allAtA(cluster);
            copyKeys(cluster);
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "2000", "idle", "16")).isEqualTo("+OK\r\n");
            long movingKeys = 0;
            for (int i = 0; i < 2000; i++) { // DEBUG POPULATE's names: idle:0 ... idle:1999
                int slot = Slots.slotOf("idle:" + i);
                movingKeys += slot >= R[0] && slot <= R[1] ? 1 : 0;
            }
            assertThat(movingKeys).isPositive();
            coordinator.startMove(A, B, R);
            coordinator.awaitCommitted(COMMIT_TIMEOUT);
            coordinator.commit();
            assertThat(dbsize(backend(cluster, B))).isEqualTo(movingKeys);
        }
    }

    @Test
    void backAndForthMovesUnderLoad() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "10000", "fill", "64")).isEqualTo("+OK\r\n");
            try (AckLedger ledger = AckLedgerIT.ledger(cluster, "pingpong")) {
                ledger.start(Duration.ofSeconds(70));
                ledger.awaitMoreAcknowledged(300, Duration.ofSeconds(20));
                for (int round = 0; round < 4; round++) {
                    coordinator.startMove(A, B, R);
                    coordinator.awaitCommitted(COMMIT_TIMEOUT);
                    coordinator.commit();
                    ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
                    coordinator.startMove(B, A, R);
                    coordinator.awaitCommitted(COMMIT_TIMEOUT);
                    coordinator.commit();
                    ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
                }
                ledger.stop();
                AckLedger.Summary summary = ledger.check();
                System.out.println(summary.describe());
                assertThat(summary.violations()).as(summary.describe()).isEmpty();
                assertThat(summary.acknowledged()).isPositive();
            }
            assertThat(coordinator.owner(R[0])).isEqualTo(A);
            await("Redis b emptied after the last move back").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> dbsize(backend(cluster, B)) == 0);
        }
    }

    @Test
    void flipAnswersMovedBeforeTheCommit() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            List<String> names = AckLedger.keysInSlots("flip", 100, R);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                for (int i = 0; i < names.size(); i++) {
                    assertThat(toA.call("SET", names.get(i), "value-" + i)).isEqualTo("+OK\r\n");
                }
            }
            coordinator.startMove(A, B, R);
            coordinator.awaitCommitted(COMMIT_TIMEOUT);
            String dst = cluster.proxyAddresses.get(B);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                for (int i = 0; i < names.size(); i++) {
                    String key = names.get(i);
                    assertThat(toA.call("GET", key)).as("A, flipped before the commit SETCLUSTER")
                            .isEqualTo("-MOVED " + Slots.slotOf(key) + " " + dst + "\r\n");
                    assertThat(toB.call("GET", key)).as("B, committed").isEqualTo(bulk("value-" + i));
                }
            }
            coordinator.commit();
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                String key = names.get(0);
                assertThat(toA.call("GET", key)).isEqualTo("-MOVED " + Slots.slotOf(key) + " " + dst + "\r\n");
                assertThat(toB.call("GET", key)).isEqualTo(bulk("value-0"));
            }
        }
    }

    /**
     * A key that expires at the source while its slot moves is not brought back at the destination:
     * the copy carries the absolute expiry, and a key gone when copied is deleted there.
     */
    @Test
    void keysThatExpireDuringTheMoveStayExpired() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            copyKeys(cluster);
            RedisProcess a = backend(cluster, A);
            assertThat(a.rawCommand("DEBUG", "POPULATE", "200000", "fill", "64")).isEqualTo("+OK\r\n");
            List<String> shortLived = AckLedger.keysInSlots("short", 1000, R);
            List<String> longLived = AckLedger.keysInSlots("long", 1000, R);
            List<String> forever = AckLedger.keysInSlots("forever", 1000, R);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                for (int i = 0; i < 1000; i++) {
                    toA.send("SET", shortLived.get(i), "s", "PX", Integer.toString(200 + i));
                    toA.send("SET", longLived.get(i), "l", "PX", "600000");
                    toA.send("SET", forever.get(i), "f");
                }
                for (int i = 0; i < 3000; i++) {
                    assertThat(toA.readReply()).isEqualTo("+OK\r\n");
                }
            }
            long writtenAt = System.currentTimeMillis();
            coordinator.startMove(A, B, R);
            coordinator.awaitCommitted(COMMIT_TIMEOUT);
            coordinator.commit();
            // every short-lived key's expiry has passed: none may exist anywhere
            await("the short TTLs to pass").atMost(Duration.ofSeconds(5))
                    .until(() -> System.currentTimeMillis() - writtenAt > 1300);
            RedisProcess b = backend(cluster, B);
            try (RawRedisClient toB = new RawRedisClient(cluster.port(B));
                 RawRedisClient rawB = new RawRedisClient(b.port())) {
                for (int i = 0; i < 1000; i++) {
                    assertThat(toB.call("EXISTS", shortLived.get(i))).as(shortLived.get(i)).isEqualTo(":0\r\n");
                    assertThat(rawB.call("EXISTS", shortLived.get(i))).isEqualTo(":0\r\n");
                    String pttl = toB.call("PTTL", longLived.get(i));
                    long left = Long.parseLong(pttl.substring(1).trim());
                    assertThat(left).as(longLived.get(i)).isBetween(1L, 600_000L);
                    assertThat(toB.call("PTTL", forever.get(i))).isEqualTo(":-1\r\n");
                    assertThat(toB.call("GET", forever.get(i))).isEqualTo(bulk("f"));
                }
            }
        }
    }

    /**
     * Transactions on a moving slot keep working through the move (EXEC's writes are tracked and
     * copied again), and a client blocked on a key of the slot is answered MOVED at the flip, as a
     * Redis 7 node answers clients blocked on a slot that moved.
     */
    @Test
    void transactionsAndBlockedClientsAcrossTheFlip() throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "100000", "fill", "64")).isEqualTo("+OK\r\n");
            String counter = AckLedger.keysInSlots("txcounter", 1, R).get(0);
            String queue = AckLedger.keysInSlots("txqueue", 1, R).get(0);
            String dst = cluster.proxyAddresses.get(B);
            try (RawRedisClient blocked = new RawRedisClient(cluster.port(A));
                 RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                blocked.send("BLPOP", queue, "0");
                await("the BLPOP to block").atMost(Duration.ofSeconds(5))
                        .until(() -> toA.call("INFO", "clients").contains("blocked_clients:1"));
                coordinator.startMove(A, B, R);
                long acknowledged = 0;
                boolean movedSeen = false;
                long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
                // transactions at A until the flip sends them to B
                while (!movedSeen && System.nanoTime() < deadline) {
                    toA.send("MULTI");
                    toA.send("INCR", counter);
                    toA.send("EXEC");
                    String multi = toA.readReply();
                    String queued = toA.readReply();
                    String exec = toA.readReply();
                    assertThat(multi).isEqualTo("+OK\r\n");
                    if (queued.startsWith("-MOVED") || exec.startsWith("-MOVED")) {
                        movedSeen = true;
                    } else {
                        assertThat(queued).isEqualTo("+QUEUED\r\n");
                        assertThat(exec).startsWith("*1\r\n:");
                        acknowledged++;
                    }
                }
                assertThat(movedSeen).as("A redirected the slot within the commit timeout").isTrue();
                assertThat(blocked.readReply()).isEqualTo("-MOVED " + Slots.slotOf(queue) + " " + dst + "\r\n");
                for (int i = 0; i < 50; i++) {
                    assertThat(toB.call("MULTI")).isEqualTo("+OK\r\n");
                    assertThat(toB.call("INCR", counter)).isEqualTo("+QUEUED\r\n");
                    assertThat(toB.call("EXEC")).startsWith("*1\r\n:");
                    acknowledged++;
                }
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                // handed over: A's CLUSTER NODES already gives B the range, before the coordinator says so
                assertThat(toA.call("CLUSTER", "NODES")).containsPattern(
                        java.util.regex.Pattern.quote(dst) + "[^\\n]* connected 8192-16383");
                coordinator.commit();
                assertThat(toB.call("GET", counter)).isEqualTo(bulk(Long.toString(acknowledged)));
            }
        }
    }

    /**
     * A source with no expiring key when the move begins is copied without asking each key's expiry;
     * an expiry set during the move makes its key dirty, and the destination gets it.
     */
    @Test
    void anExpirySetDuringTheMoveReachesTheDestination() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            copyKeys(cluster);
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "200000", "fill", "64")).isEqualTo("+OK\r\n");
            List<String> names = AckLedger.keysInSlots("later", 500, R);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                for (String name : names) {
                    assertThat(toA.call("SET", name, "v")).isEqualTo("+OK\r\n");
                }
                coordinator.startMove(A, B, R);
                int expired = 0;
                for (String name : names) {
                    String reply = toA.call("PEXPIRE", name, "600000");
                    if (reply.startsWith("-MOVED")) {
                        break; // flipped already: the rest are set at B below
                    }
                    assertThat(reply).isEqualTo(":1\r\n");
                    expired++;
                }
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                coordinator.commit();
                try (RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                    for (int i = 0; i < names.size(); i++) {
                        long left = Long.parseLong(toB.call("PTTL", names.get(i)).substring(1).trim());
                        if (i < expired) {
                            assertThat(left).as("%s, PEXPIRE acknowledged by A", names.get(i)).isBetween(1L, 600_000L);
                        } else {
                            assertThat(left).as(names.get(i)).isEqualTo(-1L);
                        }
                    }
                }
                assertThat(expired).as("some PEXPIRE ran at A during the move").isPositive();
            }
        }
    }

    /** The copy budget, set live, holds a move to it: 20,000 keys at 10,000 keys/s take at least 1.5 s. */
    @Test
    void theBudgetSetLiveSlowsTheCopy() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            // 40,000 keys: about half in the moving range
            assertThat(backend(cluster, A).rawCommand("DEBUG", "POPULATE", "40000", "fill", "16")).isEqualTo("+OK\r\n");
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                assertThat(toA.call("CONFIG", "SET", "moonshard-migration-keys-per-second", "10000")).isEqualTo("+OK\r\n");
                long started = System.nanoTime();
                coordinator.startMove(A, B, R);
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                assertThat(tookMillis).as("a budget of 10,000 keys/s for ~20,000 keys").isGreaterThanOrEqualTo(1500);
                assertThat(toA.call("CONFIG", "SET", "moonshard-migration-keys-per-second", "0")).isEqualTo("+OK\r\n");
                coordinator.commit();
            }
        }
    }

    /**
     * Subscribers of a moving slot's shard channel get Redis 7's {@code sunsubscribe} at the flip; a
     * new SSUBSCRIBE at the source is sent to the destination, where SPUBLISH reaches it.
     */
    @Test
    void shardSubscribersAreToldAtTheFlip() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = allAtA(cluster);
            String channel = AckLedger.keysInSlots("news", 1, R).get(0);
            String dst = cluster.proxyAddresses.get(B);
            try (RawRedisClient subscriber = new RawRedisClient(cluster.port(A));
                 RawRedisClient toA = new RawRedisClient(cluster.port(A))) {
                assertThat(subscriber.call("SSUBSCRIBE", channel))
                        .isEqualTo("*3\r\n$10\r\nssubscribe\r\n" + bulk(channel) + ":1\r\n");
                coordinator.startMove(A, B, R);
                assertThat(subscriber.readReply())
                        .isEqualTo("*3\r\n$12\r\nsunsubscribe\r\n" + bulk(channel) + ":0\r\n");
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                assertThat(toA.call("SSUBSCRIBE", channel))
                        .isEqualTo("-MOVED " + Slots.slotOf(channel) + " " + dst + "\r\n");
            }
            try (RawRedisClient subscriber = new RawRedisClient(cluster.port(B));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B))) {
                assertThat(subscriber.call("SSUBSCRIBE", channel))
                        .isEqualTo("*3\r\n$10\r\nssubscribe\r\n" + bulk(channel) + ":1\r\n");
                assertThat(toB.call("SPUBLISH", channel, "hello")).isEqualTo(":1\r\n");
                assertThat(subscriber.readReply())
                        .isEqualTo("*3\r\n$8\r\nsmessage\r\n" + bulk(channel) + bulk("hello"));
            }
            coordinator.commit();
        }
    }
}
