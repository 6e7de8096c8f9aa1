package io.moonshard.proxy;

import java.util.Arrays;

/**
 * A snapshot of one of the proxy's latency histograms ({@link ProxyServer#latencyHistograms()}): fixed
 * buckets, counts since start. Immutable.
 *
 * <p>{@link ProxyServer#metrics()} binds each histogram as a Micrometer function timer of the same
 * {@link #name()} (count and total time, which every registry can show). A Prometheus exporter that wants
 * the buckets too renders this snapshot as a classic histogram instead, as the admin endpoint of
 * {@code proxy-server} does: Micrometer's own timers, the only meters it renders as Prometheus
 * histograms, record with shared atomic counters, which the proxy keeps off its command path.
 */
public final class LatencyHistogram {

    private final String name;
    private final String description;
    private final double[] upperBoundsSeconds;
    private final long[] bucketCounts;
    private final long count;
    private final double sumSeconds;

    /**
     * @param upperBoundsSeconds the finite upper bounds ({@code le}, inclusive), ascending
     * @param bucketCounts       per bucket, not cumulative: one more than the bounds, the last for {@code +Inf}
     */
    public LatencyHistogram(String name, String description, double[] upperBoundsSeconds, long[] bucketCounts,
                            double sumSeconds) {
        if (bucketCounts.length != upperBoundsSeconds.length + 1) {
            throw new IllegalArgumentException("need one count per bound plus one for +Inf");
        }
        this.name = name;
        this.description = description;
        this.upperBoundsSeconds = upperBoundsSeconds.clone();
        this.bucketCounts = bucketCounts.clone();
        this.count = Arrays.stream(bucketCounts).sum();
        this.sumSeconds = sumSeconds;
    }

    /**
     * The Micrometer name, e.g. {@code moonshard.command.duration}; in Prometheus,
     * {@code moonshard_command_duration_seconds}.
     */
    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** The finite upper bounds in seconds, ascending; the {@code +Inf} bucket has none. */
    public double[] upperBoundsSeconds() {
        return upperBoundsSeconds.clone();
    }

    /** Counts per bucket, not cumulative; the last is the {@code +Inf} bucket. */
    public long[] bucketCounts() {
        return bucketCounts.clone();
    }

    /** Durations recorded: the sum of {@link #bucketCounts()}. */
    public long count() {
        return count;
    }

    /** The recorded durations added up, in seconds. */
    public double sumSeconds() {
        return sumSeconds;
    }

    @Override
    public String toString() {
        return name + "{count=" + count + ", sum=" + sumSeconds + "s}";
    }
}
