package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.moonshard.proxy.DifferentialStream.Norm;
import io.moonshard.proxy.DifferentialStream.Op;
import io.moonshard.proxy.MiniClusterClient.Step;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Differential test: one random, seeded command stream ({@link DifferentialStream}) goes to a real
 * three-node Redis Cluster and to a three-proxy Moonshard cluster, each through the same tiny cluster
 * client ({@link MiniClusterClient}, which follows MOVED), and every reply must be byte-identical.
 * The slot split differs (redis-cli's 0-5460 / 5461-10922 / 10923-16383 against Moonshard's 16384/3),
 * which the client absorbs by following MOVED. At the end every key of the pool is read back
 * (TYPE, OBJECT ENCODING, TTL class, and a type-appropriate read) on both sides.
 *
 * <p>The seed is random per run and printed; rerun one with {@code -Dmoonshard.differential.seed=<n>}
 * (the RESP3 stream uses seed + 1); {@code -Dmoonshard.differential.ops=<n>} changes the length and
 * {@code -Dmoonshard.differential.trace=true} prints every operation with Redis's reply.
 */
class DifferentialIT {

    private static final int OPS = Integer.getInteger("moonshard.differential.ops", 3000);
    private static final long SEED = Long.getLong("moonshard.differential.seed", ThreadLocalRandom.current().nextLong());
    private static final int MAX_MISMATCHES = 15;
    /** {@code -Dmoonshard.differential.trace=true}: print every operation and Redis's reply. */
    private static final boolean TRACE = Boolean.getBoolean("moonshard.differential.trace");

    private static RealRedisCluster redis;
    private static LocalMoonshardCluster moonshard;

    @BeforeAll
    static void start() {
        redis = RealRedisCluster.start(3);
        moonshard = LocalMoonshardCluster.start(3, 1);
    }

    @AfterAll
    static void stop() {
        if (moonshard != null) {
            moonshard.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void flushBothSides() {
        for (RedisProcess node : redis.nodes) {
            assertThat(node.rawCommand("FLUSHALL")).isEqualTo("+OK\r\n");
        }
        for (List<RedisProcess> backends : moonshard.backends) {
            for (RedisProcess backend : backends) {
                assertThat(backend.rawCommand("FLUSHALL")).isEqualTo("+OK\r\n");
            }
        }
    }

    @Test
    void resp2Stream_repliesAreByteIdentical() {
        runStream(SEED, 2);
    }

    @Test
    void resp3Stream_repliesAreByteIdentical() {
        runStream(SEED + 1, 3);
    }

    /**
     * Two slots served by the same node (real node 0 and Moonshard proxy 0 both own slots 100 and 200).
     * Redis Cluster checks each command alone while queueing (both QUEUED) and all of them together
     * at EXEC, which answers CROSSSLOT and discards the transaction.
     */
    @Test
    void transactionOverTwoSlotsOfOneNode_isQueuedThenCrossSlotAtExec() {
        String a = Slots.keyIn(100, "diff:tx:");
        String b = Slots.keyIn(200, "diff:tx:");
        assertThat(moonshard.proxyOwning(100)).isEqualTo(moonshard.proxyOwning(200));
        assertThat(redis.ranges.get(0)[1]).isGreaterThan(200);
        List<Step> steps = List.of(new Step(false, "MULTI"), new Step(false, "SET", a, "1"),
                new Step(false, "SET", b, "2"), new Step(false, "EXEC"), new Step(false, "EXISTS", a));
        try (MiniClusterClient r = new MiniClusterClient("redis", 2, redis.port(0));
             MiniClusterClient m = new MiniClusterClient("moonshard", 2, moonshard.port(0))) {
            List<String> expected = r.callSequence(100, steps);
            assertThat(expected).containsExactly("+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
                    "-CROSSSLOT Keys in request don't hash to the same slot\r\n", ":0\r\n");
            assertThat(m.callSequence(100, steps)).isEqualTo(expected);
        }
    }

    // ------------------------------------------------------------------------------------------

    private void runStream(long seed, int protocol) {
        System.out.println("DifferentialIT: RESP" + protocol + " stream, seed=" + seed + ", ops=" + OPS
                + " (rerun with -Dmoonshard.differential.seed=" + (protocol == 3 ? seed - 1 : seed) + ")");
        long started = System.nanoTime();
        DifferentialStream stream = new DifferentialStream(seed, moonshard::proxyOwning);
        Random clientChoices = new Random(seed * 31 + 7);
        List<String> mismatches = new ArrayList<>();
        Deque<String> recent = new ArrayDeque<>();
        Stats stats = new Stats();
        try (MiniClusterClient r = new MiniClusterClient("redis", protocol, redis.port(0));
             MiniClusterClient m = new MiniClusterClient("moonshard", protocol, moonshard.port(0))) {
            for (int i = 0; i < OPS && mismatches.size() < MAX_MISMATCHES; i++) {
                Op op = stream.next();
                if (clientChoices.nextInt(100) < 2) {
                    // a client that lost its slot map (restart, reconnect): it learns again from MOVED
                    r.forgetSlots();
                    m.forgetSlots();
                }
                int redirectsBefore = r.redirects();
                int movedBefore = m.redirects();
                String expected;
                String actual;
                if (op.sequence()) {
                    expected = String.join("", r.callSequence(op.slot(), op.steps()));
                    actual = String.join("", m.callSequence(op.slot(), op.steps()));
                } else {
                    String[] args = op.steps().get(0).args();
                    expected = normalize(op.norm(), r.call(op.slot(), args));
                    actual = normalize(op.norm(), m.call(op.slot(), args));
                }
                stats.count(op, expected);
                if (TRACE) {
                    System.out.println("#" + i + " " + op.describe() + "  ->  " + show(expected));
                }
                if (!expected.equals(actual)) {
                    mismatches.add(mismatch("#" + i + " " + op.describe(), expected, actual, recent));
                } else if (sameOwnerIndex(op.slot())
                        && r.redirects() - redirectsBefore != m.redirects() - movedBefore) {
                    // same final reply, but one side answered MOVED where the other answered at once
                    // (e.g. an error before or after routing): the node indexes own the same slots here
                    mismatches.add(mismatch("#" + i + " " + op.describe() + " (MOVED replies followed: redis "
                            + (r.redirects() - redirectsBefore) + ", moonshard " + (m.redirects() - movedBefore) + ")",
                            expected, actual, recent));
                }
                recent.addLast("#" + i + " " + op.describe() + "  ->  " + show(expected));
                if (recent.size() > 6) {
                    recent.removeFirst();
                }
            }
            if (mismatches.size() < MAX_MISMATCHES) {
                compareDump(r, m, mismatches);
            }
            stats.redirectsRedis = r.redirects();
            stats.redirectsMoonshard = m.redirects();
        }
        System.out.println("DifferentialIT: RESP" + protocol + " " + stats + " in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
        if (!mismatches.isEmpty()) {
            fail("Moonshard differs from Redis Cluster (RESP" + protocol + ", seed=" + seed
                    + (protocol == 3 ? ", i.e. -Dmoonshard.differential.seed=" + (seed - 1) : "") + "):\n\n"
                    + String.join("\n\n", mismatches));
        }
        // the stream must have exercised what it is for
        assertThat(stats.ops).isEqualTo(OPS);
        assertThat(stats.redirectsRedis).isPositive();
        assertThat(stats.redirectsMoonshard).isPositive();
        assertThat(stats.sequences).isPositive();
        assertThat(stats.wrongType).isPositive();
        assertThat(stats.crossSlot).isPositive();
    }

    /**
     * Whether real node i and Moonshard proxy i own {@code slot} for the same i (true for every slot
     * but 10922), so that both clients, routing alike, must see the same MOVED replies.
     */
    private static boolean sameOwnerIndex(int slot) {
        if (slot < 0) {
            return true;
        }
        for (int i = 0; i < redis.ranges.size(); i++) {
            int[] range = redis.ranges.get(i);
            if (slot >= range[0] && slot <= range[1]) {
                return moonshard.proxyOwning(slot) == i;
            }
        }
        return false;
    }

    /** After the stream: every key of the pool, its type, encoding, TTL class and content, on both sides. */
    private static void compareDump(MiniClusterClient r, MiniClusterClient m, List<String> mismatches) {
        for (String key : DifferentialStream.allKeys()) {
            int slot = Slots.slotOf(key);
            String type = r.call(slot, "TYPE", key);
            List<String[]> reads = new ArrayList<>();
            reads.add(new String[] {"TYPE", key});
            reads.add(new String[] {"TTL", key});
            reads.add(new String[] {"OBJECT", "ENCODING", key});
            switch (type.trim()) {
                case "+string" -> reads.add(new String[] {"GET", key});
                case "+hash" -> reads.add(new String[] {"HGETALL", key});
                case "+list" -> reads.add(new String[] {"LRANGE", key, "0", "-1"});
                case "+set" -> reads.add(new String[] {"SMEMBERS", key});
                case "+zset" -> reads.add(new String[] {"ZRANGE", key, "0", "-1", "WITHSCORES"});
                case "+stream" -> reads.add(new String[] {"XRANGE", key, "-", "+"});
                default -> {
                    // +none: TYPE, TTL (-2) and OBJECT ENCODING (nil) are the check
                }
            }
            for (String[] read : reads) {
                Norm norm = switch (read[0]) {
                    case "TTL" -> Norm.TTL_CLASS;
                    case "SMEMBERS" -> Norm.SORTED;
                    default -> Norm.NONE;
                };
                String expected = normalize(norm, r.call(slot, read));
                String actual = normalize(norm, m.call(slot, read));
                if (!expected.equals(actual)) {
                    mismatches.add(mismatch("dump: " + show(String.join(" ", read)), expected, actual, List.of()));
                }
            }
        }
        long redisKeys = 0;
        for (RedisProcess node : redis.nodes) {
            redisKeys += integer(node.rawCommand("DBSIZE"));
        }
        long moonshardKeys = 0;
        for (int i = 0; i < moonshard.proxies.size(); i++) {
            try (RawRedisClient c = new RawRedisClient(moonshard.port(i))) {
                moonshardKeys += integer(c.call("DBSIZE"));
            }
        }
        if (redisKeys != moonshardKeys) {
            mismatches.add(mismatch("dump: DBSIZE summed over the nodes", ":" + redisKeys + "\r\n",
                    ":" + moonshardKeys + "\r\n", List.of()));
        }
    }

    private static long integer(String reply) {
        assertThat(reply).startsWith(":");
        return Long.parseLong(reply.substring(1).trim());
    }

    private static String mismatch(String what, String expected, String actual, Iterable<String> before) {
        StringBuilder sb = new StringBuilder(what)
                .append("\n    redis:     ").append(show(expected))
                .append("\n    moonshard: ").append(show(actual));
        boolean first = true;
        for (String line : before) {
            sb.append(first ? "\n    after:\n      " : "\n      ").append(line);
            first = false;
        }
        return sb.toString();
    }

    /** A reply or command with CR and LF visible. */
    static String show(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    private static final Pattern POSITIVE_INTEGER = Pattern.compile(":([1-9][0-9]*)\r\n");
    private static final Pattern AGGREGATE_HEADER = Pattern.compile("([*~])([0-9]+)\r\n");

    static String normalize(Norm norm, String reply) {
        switch (norm) {
            case TTL_CLASS:
                return POSITIVE_INTEGER.matcher(reply).matches() ? ":<positive>\r\n" : reply;
            case SORTED:
                return sortedElements(reply);
            default:
                return reply;
        }
    }

    /** A flat array (or RESP3 set) of bulk strings with its elements sorted; anything else unchanged. */
    private static String sortedElements(String reply) {
        int headerEnd = reply.indexOf("\r\n");
        Matcher header = AGGREGATE_HEADER.matcher(reply.substring(0, headerEnd + 2));
        if (!header.matches()) {
            return reply;
        }
        int n = Integer.parseInt(header.group(2));
        List<String> elements = new ArrayList<>(n);
        int pos = headerEnd + 2;
        for (int i = 0; i < n; i++) {
            if (pos >= reply.length() || reply.charAt(pos) != '$') {
                return reply;
            }
            int lineEnd = reply.indexOf("\r\n", pos);
            int len = Integer.parseInt(reply.substring(pos + 1, lineEnd));
            int end = lineEnd + 2 + len + 2;
            elements.add(reply.substring(pos, end));
            pos = end;
        }
        if (pos != reply.length()) {
            return reply;
        }
        elements.sort(null);
        return reply.substring(0, headerEnd + 2) + String.join("", elements);
    }

    /** What the stream covered, for the log and for a sanity check. */
    private static final class Stats {
        int ops;
        int sequences;
        int errors;
        int wrongType;
        int crossSlot;
        int execNull;
        int execAbort;
        int redirectsRedis;
        int redirectsMoonshard;

        void count(Op op, String expected) {
            ops++;
            if (op.sequence()) {
                sequences++;
                if (expected.endsWith("*-1\r\n") || expected.endsWith("_\r\n")) {
                    execNull++;
                }
                if (expected.contains("-EXECABORT")) {
                    execAbort++;
                }
            }
            if (expected.startsWith("-")) {
                errors++;
            }
            if (expected.contains("-WRONGTYPE")) {
                wrongType++;
            }
            if (expected.startsWith("-CROSSSLOT")) {
                crossSlot++;
            }
        }

        @Override
        public String toString() {
            return ops + " ops (" + sequences + " transactions: " + execNull + " aborted by WATCH, " + execAbort
                    + " EXECABORT; " + errors + " error replies, " + wrongType + " with WRONGTYPE, " + crossSlot
                    + " CROSSSLOT), MOVED followed: redis " + redirectsRedis + ", moonshard " + redirectsMoonshard;
        }
    }
}
