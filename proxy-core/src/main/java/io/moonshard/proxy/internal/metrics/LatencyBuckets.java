package io.moonshard.proxy.internal.metrics;

import java.util.concurrent.TimeUnit;

/**
 * The fixed buckets of the latency histograms: upper bounds from 25 µs to 10 s in 1-2.5-5 steps, then
 * {@code +Inf}. Fixed, so every proxy's histograms can be summed and {@code histogram_quantile} applies;
 * fine at the low end, where a proxy's latencies are.
 */
final class LatencyBuckets {

    /** Upper bounds ({@code le}), inclusive, in nanoseconds; the last bucket, {@code +Inf}, has none. */
    private static final long[] BOUNDS_NANOS = {
            micros(25), micros(50), micros(100), micros(250), micros(500),
            millis(1), micros(2500), millis(5), millis(10), millis(25), millis(50),
            millis(100), millis(250), millis(500),
            millis(1000), millis(2500), millis(5000), millis(10000)};

    /** Buckets, {@code +Inf} included. */
    static final int BUCKETS = BOUNDS_NANOS.length + 1;

    private LatencyBuckets() {
    }

    /**
     * The bucket of a duration: the first whose bound is at least {@code nanos} ({@code le} is
     * inclusive), {@link #BUCKETS}{@code - 1} ({@code +Inf}) past the last. A scan from the low end:
     * most durations end it within a few comparisons.
     */
    static int bucket(long nanos) {
        long[] bounds = BOUNDS_NANOS;
        int i = 0;
        while (i < bounds.length && nanos > bounds[i]) {
            i++;
        }
        return i;
    }

    /** The finite upper bounds in seconds, in order (the {@code +Inf} bucket not included). */
    static double[] upperBoundsSeconds() {
        double[] seconds = new double[BOUNDS_NANOS.length];
        for (int i = 0; i < seconds.length; i++) {
            seconds[i] = BOUNDS_NANOS[i] / 1e9;
        }
        return seconds;
    }

    private static long micros(long n) {
        return TimeUnit.MICROSECONDS.toNanos(n);
    }

    private static long millis(long n) {
        return TimeUnit.MILLISECONDS.toNanos(n);
    }
}
