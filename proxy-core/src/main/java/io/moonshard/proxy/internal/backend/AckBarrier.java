package io.moonshard.proxy.internal.backend;

import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code WAIT 1 <timeout>} a connection sent after one pipelined batch holding a write
 * ({@code write_ack replica}), as the request in flight it is. The replies of that batch arrive before
 * the WAIT's and wait here, in the order the backend sent them; the WAIT's reply releases them all:
 * with a replica count of 1 or more, unchanged; otherwise every write whose reply is not already an error
 * gets {@code NOTREPLICATED} instead (the master applied it, nothing says a replica has it), and every
 * other reply goes out unchanged. A WAIT that fails (the backend's error, or the proxy's when the
 * connection is lost or times out) counts as not confirmed.
 *
 * <p>Ownership: each held reply is owned here until it is handed to its target, exactly once, when the
 * WAIT's reply (or the proxy's error for it) completes this barrier; every path out of flight ends
 * there, so nothing held is left behind. Confined to the connection's event loop.
 */
final class AckBarrier extends ReplyTarget {

    private static final Logger log = LoggerFactory.getLogger(AckBarrier.class);

    /** Index, in the connection's sequence of requests in flight, of the first request of the batch. */
    final long firstIndex;
    /** The WAIT's timeout, for the error text and for the backend timeout's deadline. */
    final long timeoutMillis;
    private final ByteBufAllocator alloc;
    private final ProxyMetrics metrics;
    /** target, reply, target, reply, ...: the batch's answers so far, the replies owned here. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    /**
     * RESP3 pushes (tracking invalidations) the backend sent after every reply of the batch, before the
     * WAIT's: they go to the connection's client after the held replies, not ahead of them. Owned here.
     */
    private List<ByteBuf> pushedAfter;

    AckBarrier(long firstIndex, long timeoutMillis, ByteBufAllocator alloc, ProxyMetrics metrics) {
        this.firstIndex = firstIndex;
        this.timeoutMillis = timeoutMillis;
        this.alloc = alloc;
        this.metrics = metrics;
    }

    /** The answer to a request of this barrier's batch: kept until the WAIT answers. Ownership passes here. */
    void hold(ReplyTarget target, ByteBuf reply) {
        held.add(target);
        held.add(reply);
    }

    /** A push that came after every held reply. Ownership of {@code frame} passes here. */
    void holdPushed(ByteBuf frame) {
        if (pushedAfter == null) {
            pushedAfter = new ArrayList<>(1);
        }
        pushedAfter.add(frame);
    }

    /** The pushes held after the replies, to be delivered now that they are out; ownership to the caller. */
    List<ByteBuf> takePushed() {
        List<ByteBuf> pushed = pushedAfter == null ? List.of() : pushedAfter;
        pushedAfter = null;
        return pushed;
    }

    /** The WAIT's reply (or the proxy's error in its place): releases the batch's replies, in order. */
    @Override
    public void complete(ByteBuf waitReply) {
        String failure = notConfirmed(waitReply, timeoutMillis);
        waitReply.release();
        int confirmed = 0;
        int unconfirmed = 0;
        while (!held.isEmpty()) {
            ReplyTarget target = (ReplyTarget) held.poll();
            ByteBuf reply = (ByteBuf) held.poll();
            if (target.mayWrite && !target.mayBlock && !FlatArrays.isError(reply)) {
                if (failure == null) {
                    confirmed++;
                } else {
                    unconfirmed++;
                    reply.release();
                    reply = Replies.error(alloc, failure);
                }
            }
            try {
                target.complete(reply);
            } catch (RuntimeException e) {
                // the other targets of the batch still get their replies, and own them
                log.error("event=write_ack_release_failed", e);
            }
        }
        if (confirmed > 0) {
            metrics.writesConfirmed(confirmed);
        }
        if (unconfirmed > 0) {
            metrics.writesNotConfirmed(unconfirmed);
        }
    }

    /**
     * Null when {@code waitReply} confirms the batch (an integer of at least 1: that many replicas have
     * it); otherwise the error line its writes get instead of their replies.
     */
    static String notConfirmed(ByteBuf waitReply, long timeoutMillis) {
        long replicas = FlatArrays.integer(waitReply);
        if (replicas >= 1) {
            return null;
        }
        if (replicas != Long.MIN_VALUE) {
            return "NOTREPLICATED write applied on the master but not confirmed by a replica within "
                    + timeoutMillis + " ms; it may be lost in a failover";
        }
        String why = FlatArrays.isError(waitReply)
                ? waitReply.toString(waitReply.readerIndex() + 1, Math.max(0, waitReply.readableBytes() - 3),
                        StandardCharsets.UTF_8)
                : "unexpected reply to WAIT";
        return "NOTREPLICATED write applied on the master but its replication could not be confirmed (" + why
                + "); it may be lost in a failover";
    }
}
