package io.moonshard.proxy;

import java.util.Locale;

/**
 * The units Redis's memory values take ({@code memtoull}): none or {@code b}, {@code k}/{@code m}/{@code g}
 * (powers of 1000) and {@code kb}/{@code mb}/{@code gb} (powers of 1024), ignoring case. One table for
 * every setting the proxy reads in Redis's form, so they cannot drift apart.
 */
public final class RedisMemoryUnits {

    private RedisMemoryUnits() {
    }

    /** The multiplier of {@code suffix} (what follows the digits), or 0 when it is no unit of Redis's. */
    public static long multiplier(String suffix) {
        return switch (suffix.toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1;
            case "k" -> 1000;
            case "kb" -> 1024;
            case "m" -> 1000L * 1000;
            case "mb" -> 1024L * 1024;
            case "g" -> 1000L * 1000 * 1000;
            case "gb" -> 1024L * 1024 * 1024;
            default -> 0;
        };
    }
}
