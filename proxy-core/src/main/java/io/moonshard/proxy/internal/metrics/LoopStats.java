package io.moonshard.proxy.internal.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The figures one event loop counts for the metrics: commands by name and outcome, the two latency
 * histograms, bytes in and out, reply slots pending. One instance per loop (held by its
 * {@code BackendPool}); only that loop writes it, so a count is a plain read and an <em>opaque</em>
 * store: no lock, no atomic read-modify-write, no cache line shared with another loop (the array is
 * padded at both ends). Any thread may read at scrape time; {@link ProxyMeters} sums every loop's
 * copy. A reader may see a loop a few counts behind, never a torn or lost count.
 */
public final class LoopStats {

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** 16 longs (128 bytes, an adjacent-line-prefetch pair) before and after the counts: no false sharing. */
    private static final int PAD = 16;

    public static final int CLIENT_RECEIVED_BYTES = PAD;
    public static final int CLIENT_SENT_BYTES = PAD + 1;
    public static final int BACKEND_RECEIVED_BYTES = PAD + 2;
    public static final int BACKEND_SENT_BYTES = PAD + 3;
    /** Reply slots reserved and not yet written or dropped: a gauge, up and down on this loop only. */
    public static final int PENDING = PAD + 4;
    /** Decoded to reply complete: {@link LatencyBuckets#BUCKETS} counts, then the sum in nanoseconds. */
    public static final int COMMAND_LATENCY = PAD + 5;
    /** Written to a backend to its reply: same layout. */
    public static final int BACKEND_LATENCY = COMMAND_LATENCY + LatencyBuckets.BUCKETS + 1;
    private static final int COMMANDS = BACKEND_LATENCY + LatencyBuckets.BUCKETS + 1;
    private static final int SIZE = COMMANDS + CommandOutcome.commandCount() * CommandOutcome.COUNT + PAD;

    private final long[] values = new long[SIZE];
    private final ProxyMeters meters;

    LoopStats(ProxyMeters meters) {
        this.meters = meters;
    }

    public ProxyMeters meters() {
        return meters;
    }

    /** Adds {@code n} to one of the scalar counts ({@link #CLIENT_RECEIVED_BYTES}, ..., {@link #PENDING}). */
    public void add(int slot, long n) {
        LONGS.setOpaque(values, slot, values[slot] + n);
    }

    /** One command's reply is complete. The first of a (command, outcome) pair on this loop tells {@link ProxyMeters}. */
    public void command(int command, int outcome) {
        int i = COMMANDS + command * CommandOutcome.COUNT + outcome;
        long n = values[i];
        LONGS.setOpaque(values, i, n + 1);
        if (n == 0) {
            meters.commandSeen(command, outcome); // once per pair and loop, ever
        }
    }

    public void commandLatency(long nanos) {
        record(COMMAND_LATENCY, nanos);
    }

    public void backendLatency(long nanos) {
        record(BACKEND_LATENCY, nanos);
    }

    private void record(int histogram, long nanos) {
        int bucket = histogram + LatencyBuckets.bucket(nanos);
        LONGS.setOpaque(values, bucket, values[bucket] + 1);
        int sum = histogram + LatencyBuckets.BUCKETS;
        LONGS.setOpaque(values, sum, values[sum] + nanos);
    }

    /** Any thread: the count at {@code slot}. */
    long read(int slot) {
        return (long) LONGS.getOpaque(values, slot);
    }

    /** Any thread: how many replies of {@code command} had {@code outcome}. */
    long commands(int command, int outcome) {
        return read(COMMANDS + command * CommandOutcome.COUNT + outcome);
    }
}
