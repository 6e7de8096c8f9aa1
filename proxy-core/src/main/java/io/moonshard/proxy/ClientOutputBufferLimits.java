package io.moonshard.proxy;

import java.util.Locale;

/**
 * Redis's {@code client-output-buffer-limit}, as the proxy applies it to its own clients: per class a
 * hard limit, and a soft limit with the seconds a client may stay over it. Parsed and shown exactly as
 * Redis 7.0 does ({@code CONFIG SET}/{@code CONFIG GET}, the config file's value): classes {@code normal},
 * {@code replica} (or {@code slave}) and {@code pubsub}; sizes are unsigned byte counts with Redis's units
 * ({@code 64mb}, {@code 1gb}, {@code 1k}, ...); 0 means no limit.
 *
 * <p>The proxy has no replicas, so the replica class is kept and shown but applies to nobody.
 *
 * @param normalHard   the hard limit of normal clients, in bytes (unsigned; 0 = none)
 * @param normalSoft   the soft limit of normal clients, in bytes (unsigned; 0 = none)
 * @param normalSeconds how long a normal client may stay over its soft limit
 */
public record ClientOutputBufferLimits(long normalHard, long normalSoft, int normalSeconds,
                                       long replicaHard, long replicaSoft, int replicaSeconds,
                                       long pubsubHard, long pubsubSoft, int pubsubSeconds) {

    /** Redis 7.0's defaults: {@code normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60}. */
    public static final ClientOutputBufferLimits DEFAULTS = new ClientOutputBufferLimits(
            0, 0, 0, 256L << 20, 64L << 20, 60, 32L << 20, 8L << 20, 60);

    /** The classes as {@link #hard}, {@link #soft} and {@link #seconds} take them. */
    public static final int NORMAL = 0;
    public static final int REPLICA = 1;
    public static final int PUBSUB = 2;

    public long hard(int clientClass) {
        return switch (clientClass) {
            case NORMAL -> normalHard;
            case REPLICA -> replicaHard;
            default -> pubsubHard;
        };
    }

    public long soft(int clientClass) {
        return switch (clientClass) {
            case NORMAL -> normalSoft;
            case REPLICA -> replicaSoft;
            default -> pubsubSoft;
        };
    }

    public int seconds(int clientClass) {
        return switch (clientClass) {
            case NORMAL -> normalSeconds;
            case REPLICA -> replicaSeconds;
            default -> pubsubSeconds;
        };
    }

    /** As {@code CONFIG GET client-output-buffer-limit} shows it: {@code normal 0 0 0 slave ... pubsub ...}. */
    public String format() {
        return "normal " + Long.toUnsignedString(normalHard) + " " + Long.toUnsignedString(normalSoft) + " "
                + normalSeconds + " slave " + Long.toUnsignedString(replicaHard) + " "
                + Long.toUnsignedString(replicaSoft) + " " + replicaSeconds + " pubsub "
                + Long.toUnsignedString(pubsubHard) + " " + Long.toUnsignedString(pubsubSoft) + " " + pubsubSeconds;
    }

    @Override
    public String toString() {
        return format();
    }

    /**
     * These limits with {@code value} applied, as {@code CONFIG SET client-output-buffer-limit value}: groups
     * of {@code class hard soft seconds} separated by single spaces, each replacing its class (the others
     * stay); an empty value changes nothing. The whole value is checked before anything is taken.
     *
     * @throws IllegalArgumentException with Redis's reason (what follows {@code - } in its error)
     */
    public ClientOutputBufferLimits with(String value) {
        if (value.isEmpty()) {
            return this;
        }
        String[] args = value.split(" ", -1); // Redis splits on every single space: "a  b" has an empty word
        if (args.length % 4 != 0) {
            throw new IllegalArgumentException("Wrong number of arguments in buffer limit configuration.");
        }
        long[] hard = {normalHard, replicaHard, pubsubHard};
        long[] soft = {normalSoft, replicaSoft, pubsubSoft};
        int[] seconds = {normalSeconds, replicaSeconds, pubsubSeconds};
        for (int j = 0; j < args.length; j += 4) {
            int clientClass = classByName(args[j]);
            if (clientClass < 0) {
                throw new IllegalArgumentException("Invalid client class specified in buffer limit configuration.");
            }
            Long h = memToULong(args[j + 1]);
            Long s = memToULong(args[j + 2]);
            Integer sec = softSeconds(args[j + 3]);
            if (h == null || s == null || sec == null) {
                throw new IllegalArgumentException(
                        "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            }
            hard[clientClass] = h;
            soft[clientClass] = s;
            seconds[clientClass] = sec;
        }
        return new ClientOutputBufferLimits(hard[0], soft[0], seconds[0], hard[1], soft[1], seconds[1],
                hard[2], soft[2], seconds[2]);
    }

    /** Redis's defaults with {@code value} applied (a config file's value); see {@link #with}. */
    public static ClientOutputBufferLimits parse(String value) {
        return DEFAULTS.with(value);
    }

    private static int classByName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "normal" -> NORMAL;
            case "slave", "replica" -> REPLICA;
            case "pubsub" -> PUBSUB;
            default -> -1; // "master" too: Redis refuses it here
        };
    }

    /**
     * Redis's {@code memtoull}: digits, then an optional unit (b, k, kb, m, mb, g, gb, any case); no sign.
     * Too many digits saturate, a product too large wraps, both as in Redis. Null when malformed.
     */
    static Long memToULong(String text) {
        int u = 0;
        while (u < text.length() && text.charAt(u) >= '0' && text.charAt(u) <= '9') {
            u++;
        }
        long mul = RedisMemoryUnits.multiplier(text.substring(u));
        if (mul == 0 || u >= 128) {
            return null;
        }
        long value = 0;
        for (int i = 0; i < u; i++) {
            int digit = text.charAt(i) - '0';
            // strtoull: out of range gives ULLONG_MAX
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - digit, 10)) > 0) {
                value = -1L;
                break;
            }
            value = value * 10 + digit;
        }
        return value * mul;
    }

    /**
     * Redis reads soft_seconds with {@code strtoll} into an {@code int} and refuses trailing characters and
     * a negative result: leading spaces and a sign are allowed, a value beyond a long saturates, and the
     * int keeps the low 32 bits (so 99999999999 is 1215752191, and 2147483648 is negative: refused).
     */
    static Integer softSeconds(String text) {
        int i = 0;
        int n = text.length();
        while (i < n && (text.charAt(i) == ' ' || (text.charAt(i) >= '\t' && text.charAt(i) <= '\r'))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
            negative = text.charAt(i) == '-';
            i++;
        }
        int digitsFrom = i;
        long value = 0;
        boolean saturated = false;
        while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
            int digit = text.charAt(i) - '0';
            if (!saturated && value > (Long.MAX_VALUE - digit) / 10) {
                saturated = true;
            }
            if (!saturated) {
                value = value * 10 + digit;
            }
            i++;
        }
        if (i == digitsFrom) {
            // no digits: strtoll converts nothing and points at the start, which is not the end unless empty
            return text.isEmpty() ? 0 : null;
        }
        if (i != n) {
            return null;
        }
        long parsed = saturated ? (negative ? Long.MIN_VALUE : Long.MAX_VALUE) : (negative ? -value : value);
        int truncated = (int) parsed;
        return truncated < 0 ? null : truncated;
    }
}
