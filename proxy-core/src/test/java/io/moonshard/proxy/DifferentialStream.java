package io.moonshard.proxy;

import io.moonshard.proxy.MiniClusterClient.Step;
import io.moonshard.testkit.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * A random, seeded stream of data commands for {@link DifferentialIT}. Keys come from a small pool:
 * for each hash tag {@code u0 ... u7}, a few keys per type ({@code {u3}:s0} a string, {@code {u3}:h1}
 * a hash, ...), so multi-key commands and transactions can stay in one slot; now and then a key of
 * another type is used on purpose (WRONGTYPE). Every reply must be deterministic: no command whose
 * answer depends on time or on a random seed of the server (SPOP, SRANDMEMBER, HRANDFIELD, RANDOMKEY,
 * SCAN, OBJECT IDLETIME, EXPIRETIME...). Replies that are deterministic only up to order or clock get
 * a {@link Norm}.
 *
 * <p>The stream depends only on the seed and on which Moonshard proxy owns each tag's slot (used to
 * pick cross-slot key pairs both sides refuse, see {@link #crossSlotSplittable}).
 */
final class DifferentialStream {

    /** How a reply is normalised before comparing. */
    enum Norm {
        NONE,
        /** A flat array / RESP3 set of bulk strings whose order is the server's hash order: sorted. */
        SORTED,
        /** TTL / PTTL: a positive count becomes {@code :<positive>} (the clocks differ). */
        TTL_CLASS
    }

    /** One unit of the stream: a single command or a sequence (WATCH / MULTI ... EXEC) on one connection. */
    record Op(int slot, List<Step> steps, boolean sequence, Norm norm) {

        String describe() {
            StringBuilder sb = new StringBuilder();
            for (Step s : steps) {
                if (sb.length() > 0) {
                    sb.append(" ; ");
                }
                if (s.side()) {
                    sb.append("[other client] ");
                }
                sb.append(DifferentialIT.show(String.join(" ", s.args())));
            }
            return (slot >= 0 ? "(slot " + slot + ") " : "(keyless) ") + sb;
        }
    }

    /** A command before it becomes an {@link Op}; {@code inTx}: its reply may be compared inside EXEC's. */
    private record Cmd(String[] args, Norm norm, boolean inTx) {
    }

    static final List<String> TAGS = List.of("u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7");
    static final List<String> STRINGS = List.of("s0", "s1", "s2");
    static final List<String> HASHES = List.of("h0", "h1");
    static final List<String> LISTS = List.of("l0", "l1");
    static final List<String> SETS = List.of("set0", "set1", "set2");
    static final List<String> ZSETS = List.of("z0", "z1", "z2");
    static final List<String> STREAMS = List.of("x0", "x1");
    static final List<List<String>> FAMILIES = List.of(STRINGS, HASHES, LISTS, SETS, ZSETS, STREAMS);

    private static final String[] WORDS = {"a", "b", "hello", "world", "x y", "", "\u00e9t\u00e9", "a\r\nb", "0", "-1",
        "3.5", "1e3", "007", " 12", "9223372036854775807", "nan"};
    private static final String[] SCORES = {"0", "1", "2", "3", "-1", "1.5", "-0.25", "10", "100", "+inf", "-inf", "2.5e1"};

    private static final String INCRBY_SCRIPT = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    private static final String SET_GET_SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[2])";
    private static final String MIXED_SCRIPT = "return {1, 'two', {3, 'four'}, false, redis.call('EXISTS', KEYS[1]), 3.99}";
    private static final String HGETALL_SCRIPT = "return redis.call('HGETALL', KEYS[1])";
    private static final String STATUS_SCRIPT = "return redis.call('SET', KEYS[1], ARGV[1])";
    private static final String ERROR_SCRIPT = "return redis.error_reply('MYERR custom ' .. KEYS[1])";
    private static final String LPUSH_TWO_SCRIPT = "redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('LRANGE', KEYS[2], 0, -1)";

    private final Random rnd;
    private final IntUnaryOperator moonshardProxyOfSlot;
    private long streamId = 1;

    /**
     * @param seed                 the stream's seed
     * @param moonshardProxyOfSlot which Moonshard proxy owns a slot
     */
    DifferentialStream(long seed, IntUnaryOperator moonshardProxyOfSlot) {
        this.rnd = new Random(seed);
        this.moonshardProxyOfSlot = moonshardProxyOfSlot;
    }

    static String key(String tag, String name) {
        return "{" + tag + "}:" + name;
    }

    static int slotOfTag(String tag) {
        return Slots.slotOf(tag);
    }

    /** Every key the stream can touch. */
    static List<String> allKeys() {
        List<String> keys = new ArrayList<>();
        for (String tag : TAGS) {
            for (List<String> family : FAMILIES) {
                for (String name : family) {
                    keys.add(key(tag, name));
                }
            }
        }
        return keys;
    }

    /** The next operation. */
    Op next() {
        int roll = rnd.nextInt(100);
        if (roll < 10) {
            return sequence(tag());
        }
        if (roll < 14) {
            return errorOp();
        }
        if (roll < 16) {
            return keyless();
        }
        if (roll < 19) {
            // keeps the pool from drifting into the wrong types (a write to a key of another type creates it)
            String t = tag();
            return single(slotOfTag(t), c("DEL", key(t, pick(pick(FAMILIES))), key(t, pick(pick(FAMILIES)))));
        }
        String tag = tag();
        Cmd cmd = command(tag);
        return single(slotOfTag(tag), cmd);
    }

    private static Op single(int slot, Cmd cmd) {
        return new Op(slot, List.of(new Step(false, cmd.args())), false, cmd.norm());
    }

    // ---------------------------------------------------------------- choices

    private String tag() {
        return TAGS.get(rnd.nextInt(TAGS.size()));
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    @SafeVarargs
    private <T> T pick(T... items) {
        return items[rnd.nextInt(items.length)];
    }

    private boolean chance(int percent) {
        return rnd.nextInt(100) < percent;
    }

    /** A key of {@code family} in {@code tag}, or (3%) a key of any type: the WRONGTYPE path. */
    private String k(String tag, List<String> family) {
        List<String> f = chance(3) ? pick(FAMILIES) : family;
        return key(tag, pick(f));
    }

    private String value() {
        int r = rnd.nextInt(10);
        if (r < 4) {
            return Integer.toString(rnd.nextInt(206) - 5);
        }
        if (r < 7) {
            return pick(WORDS);
        }
        StringBuilder sb = new StringBuilder();
        int len = 1 + rnd.nextInt(12);
        for (int i = 0; i < len; i++) {
            sb.append((char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    /** Now and then a value of several KB, so replies span many TCP segments (strings and lists only). */
    private String valueOrBig() {
        if (!chance(2)) {
            return value();
        }
        int len = 1000 + rnd.nextInt(20_000);
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append((char) ('a' + (i * 7 + len) % 26));
        }
        return sb.toString();
    }

    private String field() {
        return "f" + rnd.nextInt(8);
    }

    private String member() {
        return chance(40) ? Integer.toString(rnd.nextInt(20)) : "m" + rnd.nextInt(10);
    }

    private String zmember() {
        return "m" + rnd.nextInt(10);
    }

    private String score() {
        return chance(70) ? Integer.toString(rnd.nextInt(21) - 5) : pick(SCORES);
    }

    private String smallInt(int from, int to) {
        return Integer.toString(from + rnd.nextInt(to - from + 1));
    }

    private static String[] a(String... args) {
        return args;
    }

    private static Cmd c(String... args) {
        return new Cmd(args, Norm.NONE, true);
    }

    private static Cmd sorted(String... args) {
        return new Cmd(args, Norm.SORTED, false);
    }

    private static Cmd ttl(String... args) {
        return new Cmd(args, Norm.TTL_CLASS, false);
    }

    // ---------------------------------------------------------------- data commands of one tag

    private Cmd command(String tag) {
        int family = rnd.nextInt(100);
        if (family < 22) {
            return stringCommand(tag);
        }
        if (family < 36) {
            return hashCommand(tag);
        }
        if (family < 50) {
            return listCommand(tag);
        }
        if (family < 63) {
            return setCommand(tag);
        }
        if (family < 76) {
            return zsetCommand(tag);
        }
        if (family < 84) {
            return streamCommand(tag);
        }
        if (family < 94) {
            return keyspaceCommand(tag);
        }
        return scriptCommand(tag);
    }

    private Cmd stringCommand(String t) {
        String k = k(t, STRINGS);
        switch (rnd.nextInt(22)) {
            case 0, 1, 2: {
                List<String> args = new ArrayList<>(List.of("SET", k, valueOrBig()));
                switch (rnd.nextInt(5)) {
                    case 0 -> args.addAll(List.of("EX", "100000"));
                    case 1 -> args.addAll(List.of("PX", "100000000"));
                    case 2 -> args.add("KEEPTTL");
                    default -> { }
                }
                if (chance(30)) {
                    args.add(pick("NX", "XX"));
                }
                if (chance(25)) {
                    args.add("GET");
                }
                return c(args.toArray(String[]::new));
            }
            case 3, 4:
                return c("GET", k);
            case 5:
                return c("APPEND", k, value());
            case 6:
                return c("INCR", k);
            case 7:
                return c("INCRBY", k, smallInt(-100, 100));
            case 8:
                return c("DECR", k);
            case 9:
                return c("INCRBYFLOAT", k, pick("1.5", "-0.25", "3", "1e2", "0.1"));
            case 10:
                return c("GETRANGE", k, smallInt(-5, 10), smallInt(-5, 10));
            case 11:
                return c("SETRANGE", k, smallInt(0, 15), value());
            case 12:
                return c("STRLEN", k);
            case 13: {
                List<String> args = new ArrayList<>(List.of("MSET"));
                int n = 1 + rnd.nextInt(3);
                for (int i = 0; i < n; i++) {
                    args.add(key(t, pick(STRINGS)));
                    args.add(value());
                }
                return c(args.toArray(String[]::new));
            }
            case 14:
                return c("MGET", key(t, pick(STRINGS)), key(t, pick(STRINGS)), k(t, STRINGS));
            case 15:
                return c("MSETNX", key(t, pick(STRINGS)), value(), key(t, pick(STRINGS)), value());
            case 16:
                return c("GETDEL", k);
            case 17:
                return c("GETSET", k, value());
            case 18:
                return c("SETNX", k, value());
            case 19:
                return c(pick(a("GETEX", k), a("GETEX", k, "PERSIST"), a("GETEX", k, "EX", "100000")));
            case 20:
                return c("DECRBY", k, smallInt(-10, 10));
            default:
                return c("SET", k, Integer.toString(rnd.nextInt(50)));
        }
    }

    private Cmd hashCommand(String t) {
        String k = k(t, HASHES);
        switch (rnd.nextInt(15)) {
            case 0, 1, 2: {
                List<String> args = new ArrayList<>(List.of("HSET", k));
                int n = 1 + rnd.nextInt(3);
                for (int i = 0; i < n; i++) {
                    args.add(field());
                    args.add(value());
                }
                return c(args.toArray(String[]::new));
            }
            case 3:
                return c("HGET", k, field());
            case 4:
                return c("HMGET", k, field(), field());
            case 5:
                return c("HINCRBY", k, field(), smallInt(-20, 20));
            case 6:
                return c("HINCRBYFLOAT", k, field(), pick("0.5", "-1.25", "2"));
            case 7:
                return chance(50) ? c("HDEL", k, field()) : c("HDEL", k, field(), field());
            case 8, 9:
                return c("HGETALL", k); // small hashes are listpacks: insertion order on both sides
            case 10:
                return c("HLEN", k);
            case 11:
                return c("HEXISTS", k, field());
            case 12:
                return c(pick("HKEYS", "HVALS"), k);
            case 13:
                return c("HSETNX", k, field(), value());
            default:
                return c("HSTRLEN", k, field());
        }
    }

    private Cmd listCommand(String t) {
        String k = k(t, LISTS);
        switch (rnd.nextInt(18)) {
            case 0, 1, 2: {
                List<String> args = new ArrayList<>(List.of(pick("LPUSH", "RPUSH"), k));
                int n = 1 + rnd.nextInt(3);
                for (int i = 0; i < n; i++) {
                    args.add(valueOrBig());
                }
                return c(args.toArray(String[]::new));
            }
            case 3:
                return c(pick("LPUSHX", "RPUSHX"), k, value());
            case 4:
                return chance(50) ? c("LPOP", k) : c("LPOP", k, smallInt(0, 3));
            case 5:
                return chance(50) ? c("RPOP", k) : c("RPOP", k, smallInt(1, 3));
            case 6, 7:
                return c("LRANGE", k, smallInt(-6, 3), smallInt(-3, 10));
            case 8:
                return c("LLEN", k);
            case 9:
                return c("LMOVE", k, k(t, LISTS), pick("LEFT", "RIGHT"), pick("LEFT", "RIGHT"));
            case 10:
                return c("LINDEX", k, smallInt(-4, 4));
            case 11:
                return c("LREM", k, smallInt(-2, 2), value());
            case 12:
                return c("LTRIM", k, smallInt(0, 2), smallInt(5, 25));
            case 13:
                return c("LINSERT", k, pick("BEFORE", "AFTER"), value(), value());
            case 14:
                return c("LPOS", k, value());
            case 15:
                return c("LSET", k, smallInt(-3, 3), value());
            case 16:
                return c("RPOPLPUSH", k, k(t, LISTS));
            default:
                return c("LRANGE", k, "0", "-1");
        }
    }

    private Cmd setCommand(String t) {
        String k = k(t, SETS);
        switch (rnd.nextInt(17)) {
            case 0, 1, 2: {
                List<String> args = new ArrayList<>(List.of("SADD", k));
                int n = 1 + rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    args.add(member());
                }
                return c(args.toArray(String[]::new));
            }
            case 3:
                return chance(50) ? c("SREM", k, member()) : c("SREM", k, member(), member());
            case 4, 5:
                return sorted("SMEMBERS", k); // a hashtable's order depends on the server's hash seed
            case 6:
                return c("SCARD", k);
            case 7:
                return c("SISMEMBER", k, member());
            case 8:
                return c("SMISMEMBER", k, member(), member());
            case 9:
                return c("SUNIONSTORE", k, k(t, SETS), k(t, SETS));
            case 10:
                return c("SINTERSTORE", k, k(t, SETS), k(t, SETS));
            case 11:
                return c("SDIFFSTORE", k, k(t, SETS), k(t, SETS));
            case 12:
                return sorted(pick("SINTER", "SUNION", "SDIFF"), k, k(t, SETS));
            case 13:
                return c("SINTERCARD", "2", k, k(t, SETS));
            case 14:
                return c("SMOVE", k, k(t, SETS), member());
            default:
                return c("SADD", k, Integer.toString(rnd.nextInt(20)));
        }
    }

    private Cmd zsetCommand(String t) {
        String k = k(t, ZSETS);
        switch (rnd.nextInt(20)) {
            case 0, 1, 2, 3: {
                List<String> args = new ArrayList<>(List.of("ZADD", k));
                if (chance(15)) {
                    args.add(pick("NX", "XX"));
                }
                if (chance(15)) {
                    args.add(pick("GT", "LT"));
                }
                if (chance(15)) {
                    args.add("CH");
                }
                boolean incr = chance(8);
                if (incr) {
                    args.add("INCR");
                }
                int n = incr && chance(80) ? 1 : 1 + rnd.nextInt(3);
                for (int i = 0; i < n; i++) {
                    args.add(score());
                    args.add(zmember());
                }
                return c(args.toArray(String[]::new));
            }
            case 4:
                return c("ZINCRBY", k, score(), zmember());
            case 5, 6:
                return c("ZRANGE", k, "0", "-1", "WITHSCORES");
            case 7:
                return c("ZRANGE", k, smallInt(-3, 1), smallInt(-1, 4));
            case 8:
                return c("ZRANGE", k, pick("-inf", "(0", "1"), pick("+inf", "(5", "10"), "BYSCORE", "LIMIT", "0",
                        smallInt(1, 4));
            case 9:
                return c("ZREVRANGE", k, "0", smallInt(0, 3), "WITHSCORES");
            case 10:
                return c("ZSCORE", k, zmember());
            case 11:
                return c("ZMSCORE", k, zmember(), zmember());
            case 12:
                return c("ZREM", k, zmember());
            case 13:
                return c("ZCARD", k);
            case 14:
                return c(pick("ZRANK", "ZREVRANK"), k, zmember());
            case 15:
                return c("ZCOUNT", k, pick("-inf", "0", "(1"), pick("+inf", "5"));
            case 16:
                return chance(50) ? c("ZUNIONSTORE", k, "2", k(t, ZSETS), k(t, ZSETS))
                        : c("ZUNIONSTORE", k, "2", k(t, ZSETS), k(t, ZSETS), "WEIGHTS", "1", "2", "AGGREGATE",
                                pick("SUM", "MIN", "MAX"));
            case 17:
                return c("ZINTERSTORE", k, "2", k(t, ZSETS), k(t, ZSETS));
            case 18:
                return chance(50) ? c(pick("ZPOPMIN", "ZPOPMAX"), k) : c(pick("ZPOPMIN", "ZPOPMAX"), k, smallInt(1, 3));
            default:
                return c("ZRANGESTORE", k, k(t, ZSETS), "0", smallInt(0, 3));
        }
    }

    private Cmd streamCommand(String t) {
        String k = k(t, STREAMS);
        switch (rnd.nextInt(9)) {
            case 0, 1, 2, 3: {
                String id;
                int r = rnd.nextInt(100);
                if (r < 4) {
                    id = "1-1"; // equal or smaller than the top item: an error (unless the stream is new)
                } else if (r < 6) {
                    id = "0-0"; // always an error
                } else {
                    id = (streamId++) + "-1"; // explicit, increasing: no clock involved
                }
                List<String> args = new ArrayList<>(List.of("XADD", k));
                if (chance(20)) {
                    args.addAll(List.of("MAXLEN", smallInt(3, 10)));
                }
                args.add(id);
                int n = 1 + rnd.nextInt(2);
                for (int i = 0; i < n; i++) {
                    args.add(field());
                    args.add(value());
                }
                return c(args.toArray(String[]::new));
            }
            case 4:
                return c("XRANGE", k, "-", "+");
            case 5:
                return c("XREVRANGE", k, "+", "-", "COUNT", smallInt(1, 3));
            case 6:
                return c("XLEN", k);
            case 7:
                return c("XDEL", k, rnd.nextInt((int) streamId + 1) + "-1");
            default:
                return c("XTRIM", k, "MAXLEN", smallInt(2, 12));
        }
    }

    private Cmd keyspaceCommand(String t) {
        List<String> family = pick(FAMILIES);
        String k = key(t, pick(family));
        switch (rnd.nextInt(16)) {
            case 0:
                return c("DEL", k);
            case 1:
                return c(pick("DEL", "UNLINK"), k, key(t, pick(pick(FAMILIES))));
            case 2:
                return c("EXISTS", k, key(t, pick(pick(FAMILIES))), k);
            case 3:
                return c("TYPE", k);
            case 4:
                return chance(60) ? c("EXPIRE", k, "100000") : c("EXPIRE", k, pick("200000", "50000"), pick("NX", "XX", "GT", "LT"));
            case 5:
                return c("PEXPIRE", k, "100000000");
            case 6:
                return c("PERSIST", k);
            case 7, 8:
                return ttl("TTL", k);
            case 9:
                return ttl("PTTL", k);
            case 10:
                return c("RENAME", k, key(t, pick(family))); // within the type, so the pool keeps its types
            case 11:
                return c("RENAMENX", k, key(t, pick(family)));
            case 12:
                return chance(50) ? c("COPY", k, key(t, pick(family))) : c("COPY", k, key(t, pick(family)), "REPLACE");
            case 13:
                return c("TOUCH", k);
            case 14:
                return c("EXPIRE", k, chance(80) ? "100000" : "-1"); // -1 deletes the key
            default:
                return c("OBJECT", "ENCODING", k);
        }
    }

    private Cmd scriptCommand(String t) {
        switch (rnd.nextInt(7)) {
            case 0, 1:
                return c("EVAL", INCRBY_SCRIPT, "1", k(t, STRINGS), smallInt(-5, 50));
            case 2:
                return c("EVAL", SET_GET_SCRIPT, "2", k(t, STRINGS), k(t, STRINGS), value());
            case 3:
                return c("EVAL", MIXED_SCRIPT, "1", key(t, pick(pick(FAMILIES))));
            case 4:
                return c("EVAL", HGETALL_SCRIPT, "1", k(t, HASHES));
            case 5:
                return c(pick(a("EVAL", STATUS_SCRIPT, "1", k(t, STRINGS), value()),
                        a("EVAL", ERROR_SCRIPT, "1", key(t, pick(STRINGS))),
                        a("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", k(t, STRINGS))));
            default:
                return c("EVAL", LPUSH_TWO_SCRIPT, "2", k(t, LISTS), k(t, LISTS), value());
        }
    }

    // ---------------------------------------------------------------- sequences

    /** WATCH? MULTI, 2-5 commands of one tag, EXEC (or DISCARD); sometimes another client writes a watched key. */
    private Op sequence(String t) {
        List<Step> steps = new ArrayList<>();
        if (chance(35)) {
            String w1 = key(t, pick(pick(FAMILIES)));
            steps.add(new Step(false, chance(50) ? a("WATCH", w1) : a("WATCH", w1, key(t, pick(pick(FAMILIES))))));
            if (chance(30)) {
                steps.add(new Step(false, "EXISTS", w1));
            }
            if (chance(40)) {
                // another client touches the watched key: EXEC must answer a null array
                steps.add(new Step(true, pick(a("SET", w1, value()), a("DEL", w1), a("EXPIRE", w1, "100000"))));
            }
        }
        steps.add(new Step(false, "MULTI"));
        int n = 2 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            if (chance(4)) {
                // refused while queueing: EXEC answers EXECABORT
                steps.add(new Step(false, pick(a("GET"), a("SET", key(t, "s0")), a("NOSUCHCMD", key(t, "s0"), "x"))));
                continue;
            }
            Cmd cmd;
            do {
                cmd = command(t);
            } while (!cmd.inTx());
            steps.add(new Step(false, cmd.args()));
        }
        steps.add(new Step(false, chance(5) ? "DISCARD" : "EXEC"));
        return new Op(slotOfTag(t), steps, true, Norm.NONE);
    }

    // ---------------------------------------------------------------- errors and keyless commands

    private Op errorOp() {
        String t = tag();
        int slot = slotOfTag(t);
        String k = key(t, pick(STRINGS));
        switch (rnd.nextInt(8)) {
            case 0: {
                // wrong arity: refused before any routing, on every node
                String[][] forms = {a("GET"), a("SET", k), a("HSET", key(t, "h0"), "f"), a("LPUSH", key(t, "l0")),
                    a("ZADD", key(t, "z0"), "1"), a("XADD", key(t, "x0"), "1-1"), a("EXPIRE", k), a("MSET", k)};
                String[] args = pick(forms);
                return new Op(args.length > 1 ? slot : -1, List.of(new Step(false, args)), false, Norm.NONE);
            }
            case 1: {
                String[] args = chance(50) ? a("NOSUCHCMD", k, "x") : a("FOOBAR");
                return new Op(args.length > 1 ? slot : -1, List.of(new Step(false, args)), false, Norm.NONE);
            }
            case 2:
                return single(slot, c(pick(a("SET", k, "v", "EX", "abc"), a("SET", k, "v", "BADOPT"), a("INCRBY", k, "x"),
                        a("ZADD", key(t, "z0"), "notafloat", "m1"), a("LRANGE", key(t, "l0"), "a", "1"),
                        a("EXPIRE", k, "soon"), a("SET", k, "v", "NX", "XX"), a("ZADD", key(t, "z1"), "NX", "GT", "1", "m"))));
            case 3:
                // WRONGTYPE on purpose (if the key exists with its pool type); none of these creates a key
                return single(slot, chance(10) ? sorted("SMEMBERS", key(t, "x0")) // a set there by now? sorted, then
                        : c(pick(a("GET", key(t, "h0")), a("LPUSHX", key(t, "s1"), "v"), a("HGET", key(t, "l0"), "f"),
                        a("SCARD", key(t, "z0")), a("ZSCORE", key(t, "set0"), "m"), a("XLEN", key(t, "h1")),
                        a("LLEN", key(t, "s2")), a("HGETALL", key(t, "z1")))));
            case 4:
                // arguments the key extraction stumbles on: numkeys out of range, odd pairs, bad subcommands
                return single(slot, c(pick(a("EVAL", "return 1", "5", k), a("EVAL", "return 1", "-1", k),
                        a("EVAL", "return 1", "abc", k), a("ZUNIONSTORE", key(t, "z0"), "0", key(t, "z1")),
                        a("ZUNIONSTORE", key(t, "z0"), "3", key(t, "z1")), a("SINTERCARD", "0", key(t, "set0")),
                        a("SINTERCARD", "3", key(t, "set0")), a("XREAD", "STREAMS", key(t, "x0")),
                        a("LMPOP", "2", key(t, "l0"), "LEFT"), a("MSET", k, "v", key(t, "s1")), a("GETEX", k, "EX"),
                        a("OBJECT", "NOSUCH", k), a("MGET"), a("DEL"))));
            default:
                return crossSlot();
        }
    }

    /**
     * A command over keys of two tags in different slots: Redis Cluster answers CROSSSLOT on every node,
     * and so does Moonshard by default. With {@code allow_cross_slot_local} it splits six commands (MGET,
     * MSET, DEL, UNLINK, EXISTS, TOUCH) whose slots are all served by the proxy they were sent to, so
     * those six get tags owned by different proxies, which stay CROSSSLOT either way.
     */
    private Op crossSlot() {
        String t1 = tag();
        String t2;
        do {
            t2 = tag();
        } while (slotOfTag(t2) == slotOfTag(t1));
        if (chance(40)) {
            String[] split = crossSlotSplittable(t1);
            if (split != null) {
                return single(slotOfTag(split[0]), c(pickSplittable(split[0], split[1])));
            }
        }
        Cmd cmd = c(pick(a("SUNIONSTORE", key(t1, "set0"), key(t1, "set1"), key(t2, "set0")),
                a("ZUNIONSTORE", key(t1, "z0"), "2", key(t1, "z1"), key(t2, "z0")),
                a("RENAME", key(t1, "s0"), key(t2, "s0")),
                a("LMOVE", key(t1, "l0"), key(t2, "l0"), "LEFT", "RIGHT"),
                a("MSETNX", key(t1, "s0"), "1", key(t2, "s0"), "2"),
                a("SINTER", key(t1, "set0"), key(t2, "set0")),
                a("EVAL", INCRBY_SCRIPT, "2", key(t1, "s0"), key(t2, "s0"), "1"),
                a("SMOVE", key(t1, "set0"), key(t2, "set0"), "1"),
                a("COPY", key(t1, "s0"), key(t2, "s1"))));
        return single(slotOfTag(t1), cmd);
    }

    /** {t1, t2} with t2 owned by another Moonshard proxy than t1, or null if there is none. */
    private String[] crossSlotSplittable(String t1) {
        List<String> others = new ArrayList<>();
        int proxy = moonshardProxyOfSlot.applyAsInt(slotOfTag(t1));
        for (String t : TAGS) {
            if (moonshardProxyOfSlot.applyAsInt(slotOfTag(t)) != proxy) {
                others.add(t);
            }
        }
        return others.isEmpty() ? null : new String[] {t1, pick(others)};
    }

    private String[] pickSplittable(String t1, String t2) {
        Supplier<String> s1 = () -> key(t1, pick(STRINGS));
        Supplier<String> s2 = () -> key(t2, pick(STRINGS));
        return pick(a("MGET", s1.get(), s2.get()), a("MSET", s1.get(), "1", s2.get(), "2"), a("DEL", s1.get(), s2.get()),
                a("EXISTS", s1.get(), s2.get()), a("UNLINK", s1.get(), s2.get()), a("TOUCH", s1.get(), s2.get()));
    }

    private Op keyless() {
        String[] args = pick(a("PING"), a("PING", value()), a("ECHO", value()), a("EVAL", "return ARGV[1]", "0", value()),
                a("EVAL", "return {1, 2, 'x'}", "0"));
        return new Op(-1, List.of(new Step(false, args)), false, Norm.NONE);
    }
}
