package io.moonshard.proxy.internal.backend;

import io.moonshard.proxy.internal.config.WriteAckPolicy;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayDeque;

/**
 * One backend connection's bookkeeping for {@code write_ack replica}: which requests form the batch
 * being written (everything written between two flushes), whether it holds a write, and which answers
 * must wait for a WAIT ({@link AckBarrier}). The connection does the I/O; this only counts.
 *
 * <p>Requests are numbered in the order they go in flight (barriers included) and answered in that
 * order, so an answer belongs to the oldest barrier still in flight exactly when its number is that
 * barrier's batch start or later: everything in flight before a barrier and not before its batch is in
 * its batch. Batches without a write get no barrier and their answers pass at once.
 *
 * <p>At most one WAIT is in flight per connection: a batch flushed while one is (its requests go out
 * at once all the same) stays open, and every batch flushed meanwhile joins it; its WAIT goes when the
 * one in flight answers ({@link #endBatch} again). WAITs in flight one behind the other would each
 * hold the connection for its whole timeout when no replica answers, so the requests behind the k-th
 * would wait k timeouts; this way no request waits much more than two.
 *
 * <p>Confined to the connection's event loop. Costs two increments per request when no barrier is in
 * flight.
 */
final class AckBatches {

    private final ByteBufAllocator alloc;
    private final ProxyMetrics metrics;
    /** Requests put in flight so far, barriers included; the next one's number. */
    private long sent;
    /** Requests taken out of flight so far (answered or failed); the next answer's number. */
    private long answered;
    /** Number of the first request of the batch being written. */
    private long batchStart;
    /** Writes in the batch being written. */
    private int batchWrites;
    /** Barriers in flight, oldest first. */
    private final ArrayDeque<AckBarrier> barriers = new ArrayDeque<>(2);

    AckBatches(ByteBufAllocator alloc, ProxyMetrics metrics) {
        this.alloc = alloc;
        this.metrics = metrics;
    }

    /** {@code target}'s request went in flight, in the batch being written. */
    void sent(ReplyTarget target) {
        sent++;
        if (target.mayWrite && !target.mayBlock) {
            batchWrites++;
        }
    }

    /**
     * The batch being written is about to go out (or a WAIT just answered). Returns the barrier to write
     * right after it (in flight from now on) when the batch holds a write and {@code policy} waits for a
     * replica; then, or when no barrier is needed, the next request starts a new batch. Returns null and
     * keeps the batch open when another barrier is in flight, unless {@code evenBehindAnother} (the
     * batch must close now: a command that may block comes next).
     */
    AckBarrier endBatch(WriteAckPolicy policy, boolean evenBehindAnother) {
        if (batchWrites == 0 || !policy.waitsForReplica()) {
            startBatch();
            return null;
        }
        if (!barriers.isEmpty() && !evenBehindAnother) {
            return null; // its WAIT goes when the one in flight answers
        }
        AckBarrier barrier = new AckBarrier(batchStart, policy.timeoutMillis(), alloc, metrics);
        barriers.addLast(barrier);
        sent++;
        startBatch();
        return barrier;
    }

    /** Whether the batch being written holds a write (and so may need a barrier at its end). */
    boolean batchHasWrite() {
        return batchWrites > 0;
    }

    /**
     * The next request starts a new batch, with no barrier for the one before: it never went out whole
     * (the channel closed), or it went out ahead of a command that may block.
     */
    void startBatch() {
        batchStart = sent;
        batchWrites = 0;
    }

    /**
     * {@code target}, the oldest request in flight, was taken out of flight with {@code reply} (the
     * backend's, or the proxy's error). True when the reply was taken here, held for the barrier of its
     * batch; false when the caller completes {@code target} now (a barrier itself included, which then
     * releases what it held).
     */
    boolean answered(ReplyTarget target, ByteBuf reply) {
        long number = answered++;
        AckBarrier oldest = barriers.peekFirst();
        if (oldest == null) {
            return false;
        }
        if (target == oldest) {
            barriers.pollFirst();
            return false;
        }
        if (number >= oldest.firstIndex) {
            oldest.hold(target, reply);
            return true;
        }
        return false;
    }

    /** Barriers in flight (for tests and the connection's own checks). */
    int barriersInFlight() {
        return barriers.size();
    }

}
