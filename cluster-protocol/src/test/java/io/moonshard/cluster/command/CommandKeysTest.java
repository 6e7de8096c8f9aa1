package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden key positions, as Redis 7.0.15's COMMAND GETKEYS reports them (CommandKeysIT checks against it). */
class CommandKeysTest {

    private static final int[] INVALID = null;

    private final CommandTable table = CommandTable.standard();
    private final KeyPositions keys = new KeyPositions(2);

    /** Key positions of the request, or null when findKeys says INVALID. */
    private int[] keys(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return positions(table.lookup(cmd).findKeys(cmd, keys));
        } finally {
            cmd.release();
        }
    }

    private int[] keys(byte[]... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return positions(table.lookup(cmd).findKeys(cmd, keys));
        } finally {
            cmd.release();
        }
    }

    private int[] positions(int n) {
        if (n == KeyPositions.INVALID) {
            assertThat(keys.isInvalid()).isTrue();
            assertThat(keys.count()).isZero();
            return INVALID;
        }
        assertThat(keys.isInvalid()).isFalse();
        assertThat(keys.count()).isEqualTo(n);
        return keys.toArray();
    }

    /** {@link KeyPositions#access} of each key found, as ACL key permissions read Redis's key-spec flags. */
    private int[] access(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            int n = table.lookup(cmd).findKeys(cmd, keys);
            int[] out = new int[Math.max(n, 0)];
            for (int i = 0; i < out.length; i++) {
                out[i] = keys.access(i);
            }
            return out;
        } finally {
            cmd.release();
        }
    }

    @Test
    void access_followsKeySpecFlagsAndTheKeyFinders() {
        int r = KeyPositions.READ;
        int w = KeyPositions.WRITE;
        assertThat(access("GET", "k")).containsExactly(r);
        assertThat(access("DEL", "k")).containsExactly(w);
        assertThat(access("COPY", "a", "b")).containsExactly(r, w);
        assertThat(access("LMOVE", "a", "b", "LEFT", "LEFT")).containsExactly(r | w, w);
        assertThat(access("SET", "k", "v")).containsExactly(w);
        assertThat(access("SET", "k", "v", "GET")).containsExactly(r | w);
        assertThat(access("BITFIELD", "k", "GET", "u8", "0")).containsExactly(r);
        assertThat(access("BITFIELD", "k", "SET", "u8", "0", "1")).containsExactly(r | w);
        assertThat(access("SORT", "k", "STORE", "d")).containsExactly(r, w);
        assertThat(access("EVAL", "s", "2", "a", "b")).containsExactly(r | w, r | w);
        assertThat(access("MIGRATE", "h", "1", "k", "0", "10")).containsExactly(r | w);
    }

    private static int[] at(int... positions) {
        return positions;
    }

    @Test
    void findsFixedPositionKeys() {
        assertThat(keys("GET", "k")).containsExactly(1);
        assertThat(keys("set", "k", "v", "GET")).containsExactly(1);
        assertThat(keys("bitfield", "k", "GET", "u8", "0")).containsExactly(1);
        assertThat(keys("rename", "a", "b")).containsExactly(1, 2);
        assertThat(keys("lmove", "a", "b", "LEFT", "RIGHT")).containsExactly(1, 2);
        assertThat(keys("bitop", "AND", "dest", "a", "b")).containsExactly(2, 3, 4);
        assertThat(keys("blpop", "a", "b", "0")).containsExactly(1, 2);
        assertThat(keys("mget", "a", "b", "c")).containsExactly(1, 2, 3);
        assertThat(keys("mset", "a", "1", "b", "2")).containsExactly(1, 3);
        assertThat(keys("msetnx", "a", "1", "b", "2", "c", "3")).containsExactly(1, 3, 5);
        assertThat(keys("del", "a")).containsExactly(1);
        assertThat(keys("ping")).isEmpty();
        assertThat(keys("ping", "hello")).isEmpty();
        assertThat(keys("flushall")).isEmpty();
    }

    @Test
    void findsKeysOfSubcommands() {
        assertThat(keys("OBJECT", "ENCODING", "k")).containsExactly(2);
        assertThat(keys("object", "freq", "k")).containsExactly(2);
        assertThat(keys("object", "help")).isEmpty();
        assertThat(keys("MEMORY", "USAGE", "k", "SAMPLES", "5")).containsExactly(2);
        assertThat(keys("memory", "stats")).isEmpty();
        assertThat(keys("xinfo", "stream", "s", "FULL")).containsExactly(2);
        assertThat(keys("xgroup", "create", "s", "g", "$", "MKSTREAM")).containsExactly(2);
        assertThat(keys("config", "get", "maxmemory")).isEmpty();
        assertThat(keys("config", "nosuch", "x")).isEmpty(); // the container: no keys
    }

    @Test
    void growsTheBufferForManyKeys() {
        List<String> args = new ArrayList<>(List.of("mget"));
        for (int i = 0; i < 100; i++) {
            args.add("k" + i);
        }
        int[] found = keys(args.toArray(String[]::new));
        assertThat(found).hasSize(100);
        assertThat(found[0]).isEqualTo(1);
        assertThat(found[99]).isEqualTo(100);
    }

    @Test
    void reportsWrongArityAsInvalid() {
        assertThat(keys("get")).isEqualTo(INVALID);
        assertThat(keys("get", "a", "b")).isEqualTo(INVALID);
        assertThat(keys("config", "get")).isEqualTo(INVALID);
        assertThat(keys("echo")).isEqualTo(INVALID);
    }

    @Test
    void findsEvalAndFcallKeysByNumkeys() {
        for (String cmd : List.of("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO")) {
            assertThat(keys(cmd, "body", "2", "a", "b", "arg")).as(cmd).containsExactly(3, 4);
            assertThat(keys(cmd, "body", "0")).as(cmd).isEmpty();
            assertThat(keys(cmd, "body", "0", "arg")).as(cmd).isEmpty();
            assertThat(keys(cmd, "body", "1", "a")).as(cmd).containsExactly(3);
        }
    }

    @Test
    void reportsMalformedNumkeysAsInvalidWithoutThrowing() {
        assertThat(keys("eval", "s", "3", "a", "b")).isEqualTo(INVALID);      // more keys than arguments
        assertThat(keys("eval", "s", "-1", "a")).isEqualTo(INVALID);          // negative
        assertThat(keys("eval", "s", "abc", "a")).isEqualTo(INVALID);         // not a number
        assertThat(keys("eval", "s", "", "a")).isEqualTo(INVALID);
        assertThat(keys("eval", "s", "99999999999999999999999", "a")).isEqualTo(INVALID);
        assertThat(keys("zunionstore", "d", "3", "a", "b")).isEqualTo(INVALID);
        assertThat(keys("zunionstore", "d", "0", "a")).isEqualTo(INVALID);
        assertThat(keys("zunionstore", "d", "x", "a")).isEqualTo(INVALID);
        assertThat(keys("zinter", "-2", "a")).isEqualTo(INVALID);
        assertThat(keys("sintercard", "5", "a")).isEqualTo(INVALID);
        assertThat(keys("lmpop", "2", "a", "LEFT")).containsExactly(2, 3);   // "LEFT" is a key here, as in Redis
        assertThat(keys("lmpop", "3", "a", "LEFT")).isEqualTo(INVALID);
        assertThat(keys("blmpop", "0", "nan", "a", "LEFT")).isEqualTo(INVALID);
    }

    @Test
    void fallsBackToAtoiLikeRedisWhenTheKeySpecCannotParseNumkeys() {
        // key specs use string2ll and give up; Redis then runs evalGetKeys, which uses atoi
        assertThat(keys("eval", "s", "1abc", "a")).containsExactly(3);
        assertThat(keys("eval", "s", " 1", "a")).containsExactly(3);
        assertThat(keys("eval", "s", "+1", "a")).containsExactly(3);
        assertThat(keys("eval", "s", "01", "a")).containsExactly(3); // string2ll rejects the leading zero
        // genericGetKeys reports the destination last
        assertThat(keys("zunionstore", "d", "02", "a", "b")).containsExactly(3, 4, 1);
        assertThat(keys("zunionstore", "d", "2", "a", "b")).containsExactly(1, 3, 4);
    }

    @Test
    void findsSortedSetAndListNumkeysCommands() {
        assertThat(keys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2")).containsExactly(1, 3, 4);
        assertThat(keys("zinterstore", "d", "1", "a")).containsExactly(1, 3);
        assertThat(keys("zdiffstore", "d", "2", "a", "b")).containsExactly(1, 3, 4);
        assertThat(keys("zunion", "2", "a", "b", "WITHSCORES")).containsExactly(2, 3);
        assertThat(keys("zinter", "1", "a")).containsExactly(2);
        assertThat(keys("zdiff", "2", "a", "b")).containsExactly(2, 3);
        assertThat(keys("zintercard", "2", "a", "b", "LIMIT", "5")).containsExactly(2, 3);
        assertThat(keys("sintercard", "2", "a", "b", "LIMIT", "5")).containsExactly(2, 3);
        assertThat(keys("LMPOP", "2", "a", "b", "LEFT", "COUNT", "2")).containsExactly(2, 3);
        assertThat(keys("zmpop", "1", "a", "MIN")).containsExactly(2);
        assertThat(keys("BLMPOP", "0", "2", "a", "b", "RIGHT")).containsExactly(3, 4);
        assertThat(keys("bzmpop", "0.5", "1", "a", "MAX")).containsExactly(3);
    }

    @Test
    void findsXreadStreamsKeys() {
        assertThat(keys("XREAD", "STREAMS", "a", "0")).containsExactly(2);
        assertThat(keys("xread", "COUNT", "2", "BLOCK", "0", "streams", "a", "b", "0", "0")).containsExactly(6, 7);
        assertThat(keys("xread", "STREAMS", "streams", "0")).containsExactly(2);
        assertThat(keys("xreadgroup", "GROUP", "g", "c", "STREAMS", "a", "b", ">", ">")).containsExactly(5, 6);
        assertThat(keys("xreadgroup", "GROUP", "streams", "c", "NOACK", "STREAMS", "a", ">")).containsExactly(6);
        // key specs: 'limit 2' halves what follows STREAMS, rounding down, as Redis does
        assertThat(keys("xread", "STREAMS", "a", "b", "0")).containsExactly(2);
        assertThat(keys("xread", "COUNT", "1", "STREAMS")).isEqualTo(INVALID); // keyword last: not found
        assertThat(keys("xread", "COUNT", "1", "a", "b")).isEqualTo(INVALID);  // no STREAMS at all
        // strcasecmp stops at NUL: "STREAMS\0x" is the keyword
        assertThat(keys(b("xread"), new byte[] {'S', 'T', 'R', 'E', 'A', 'M', 'S', 0, 'x'}, b("a"), b("0")))
                .containsExactly(2);
    }

    @Test
    void findsSortStoreKeys() {
        assertThat(keys("SORT", "k")).containsExactly(1);
        assertThat(keys("sort", "k", "BY", "w_*", "GET", "o_*", "LIMIT", "0", "10", "STORE", "dst")).containsExactly(1, 10);
        assertThat(keys("sort", "k", "STORE", "a", "ALPHA", "STORE", "b")).containsExactly(1, 6);
        assertThat(keys("sort", "k", "LIMIT", "store", "x", "DESC")).containsExactly(1);  // LIMIT takes two operands
        assertThat(keys("sort", "k", "GET", "store", "ALPHA")).containsExactly(1);        // GET takes one
        assertThat(keys("sort", "k", "ALPHA", "STORE")).containsExactly(1);               // STORE without a key
        assertThat(keys("sort_ro", "k", "BY", "x", "GET", "#")).containsExactly(1);
        assertThat(keys("sort_ro", "k", "STORE", "x")).containsExactly(1);
    }

    @Test
    void findsGeoradiusStoreKeys() {
        assertThat(keys("GEORADIUS", "k", "0", "0", "10", "m")).containsExactly(1);
        assertThat(keys("georadius", "k", "0", "0", "10", "m", "STORE", "d")).containsExactly(1, 7);
        assertThat(keys("georadius", "k", "0", "0", "10", "m", "storedist", "d")).containsExactly(1, 7);
        // key specs: STORE and STOREDIST are separate specs, so both destinations are reported
        assertThat(keys("georadius", "k", "0", "0", "10", "m", "STORE", "a", "STOREDIST", "b")).containsExactly(1, 7, 9);
        // STORE without a key: the spec is invalid, georadiusGetKeys finds no store key
        assertThat(keys("georadius", "k", "0", "0", "10", "m", "WITHDIST", "STORE")).containsExactly(1);
        assertThat(keys("GEORADIUSBYMEMBER", "k", "m", "10", "km", "STORE", "d")).containsExactly(1, 6);
        assertThat(keys("georadius_ro", "k", "0", "0", "10", "m", "STORE", "d")).containsExactly(1);
    }

    @Test
    void findsMigrateKeys() {
        assertThat(keys("MIGRATE", "h", "6379", "k", "0", "5000")).containsExactly(3);
        assertThat(keys("migrate", "h", "6379", "k", "0", "5000", "COPY", "REPLACE")).containsExactly(3);
        assertThat(keys("migrate", "h", "6379", "", "0", "5000", "KEYS", "a", "b")).containsExactly(7, 8);
        assertThat(keys("migrate", "h", "6379", "", "0", "5000", "COPY", "REPLACE", "AUTH", "pw", "KEYS", "a", "b"))
                .containsExactly(11, 12);
        assertThat(keys("migrate", "h", "6379", "", "0", "5000", "AUTH2", "keys", "keys", "KEYS", "a"))
                .containsExactly(10);
        assertThat(keys("migrate", "h", "6379", "k", "0", "5000", "KEYS", "a")).isEqualTo(INVALID); // key must be ""
    }

    @Test
    void treatsShardChannelsAsSlotArgumentsButNotAsKeys() {
        RespCommand cmd = RespCommand.of("SPUBLISH", "ch", "msg");
        try {
            CommandSpec spec = table.lookup(cmd);
            assertThat(spec.findKeys(cmd, keys)).isZero();
            assertThat(spec.findSlotArguments(cmd, keys)).isEqualTo(1);
            assertThat(keys.get(0)).isEqualTo(1);
        } finally {
            cmd.release();
        }
        cmd = RespCommand.of("ssubscribe", "a", "b");
        try {
            assertThat(table.lookup(cmd).findSlotArguments(cmd, keys)).isEqualTo(2);
            assertThat(keys.toArray()).containsExactly(1, 2);
        } finally {
            cmd.release();
        }
        cmd = RespCommand.of("get", "k");
        try {
            assertThat(table.lookup(cmd).findSlotArguments(cmd, keys)).isEqualTo(1);
        } finally {
            cmd.release();
        }
    }

    @Test
    void helpersFollowRedisNumberAndWordRules() {
        RespCommand cmd = RespCommand.of(new byte[][] {b("x"), b("42"), b("-3"), b("0"), b("007"), b(" \t-12z"),
                b("99999999999999999999"), b("store"), new byte[] {'s', 't', 'o', 'r', 'e', 0, 'z'}, b("stor")});
        try {
            assertThat(KeyLocator.parseNonNegative(cmd, 1)).isEqualTo(42);
            assertThat(KeyLocator.parseNonNegative(cmd, 2)).isEqualTo(-1);
            assertThat(KeyLocator.parseNonNegative(cmd, 3)).isZero();
            assertThat(KeyLocator.parseNonNegative(cmd, 4)).isEqualTo(-1);
            assertThat(KeyLocator.atoi(cmd, 4)).isEqualTo(7);
            assertThat(KeyLocator.atoi(cmd, 5)).isEqualTo(-12);
            assertThat(KeyLocator.atoi(cmd, 6)).isEqualTo(-1); // strtol saturates at LONG_MAX; (int) keeps the low bits
            assertThat(KeyLocator.isWord(cmd, 7, "STORE")).isTrue();
            assertThat(KeyLocator.isWord(cmd, 8, "store")).isTrue();
            assertThat(KeyLocator.isWord(cmd, 9, "store")).isFalse();
        } finally {
            cmd.release();
        }
    }

    @Test
    void allocatesNothingOnTheSingleKeyPath() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        RespCommand get = RespCommand.of("GET", "some-key");
        RespCommand eval = RespCommand.of("EVALSHA", "abc", "2", "a", "b");
        RespCommand config = RespCommand.of("CONFIG", "GET", "maxmemory");
        try {
            KeyPositions out = new KeyPositions();
            long sink = 0;
            for (int round = 0; round < 2; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20_000; i++) {
                    sink += table.lookup(get).findKeys(get, out);
                    sink += table.lookup(eval).findKeys(eval, out);
                    sink += table.lookup(config).arity();
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                if (round == 1) { // round 0 warms up
                    assertThat(allocated).as("bytes allocated by 60,000 lookups").isLessThan(4096);
                }
            }
            assertThat(sink).isEqualTo(2 * 20_000 * (1 + 2 - 3));
        } finally {
            get.release();
            eval.release();
            config.release();
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
