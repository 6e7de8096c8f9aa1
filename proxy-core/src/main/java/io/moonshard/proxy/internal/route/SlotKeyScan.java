package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code CLUSTER COUNTKEYSINSLOT} / {@code GETKEYSINSLOT} for a plain Redis, which keeps no per-slot
 * index: walks the backend's keyspace with {@code SCAN} (one request at a time, on the client's
 * connection to that backend, so it never blocks the backend) and keeps the keys of one slot, never
 * the migration's bookkeeping keys ({@link HiddenKeys}). Cost is proportional to all keys on that
 * backend; Redis Cluster clients use these commands only in resharding tools. A slot whose keys are
 * hidden here while it moves is answered before any scan (ClusterCommands).
 */
public final class SlotKeyScan extends ReplyTarget {

    private static final int SCAN_COUNT = 1000;

    private final ClientSession session;
    private final ReplySlot slot;
    private final BackendConnection backend;
    private final int hashSlot;
    private final long limit; // keys to return, or -1 to count
    private long count;
    private final List<byte[]> keys = new ArrayList<>();

    private SlotKeyScan(ClientSession session, ReplySlot slot, BackendConnection backend, int hashSlot, long limit) {
        this.session = session;
        this.slot = slot;
        this.backend = backend;
        this.hashSlot = hashSlot;
        this.limit = limit;
    }

    /** Counts the keys of {@code hashSlot} and replies with an integer. */
    public static void count(ClientSession session, ReplySlot slot, BackendConnection backend, int hashSlot) {
        new SlotKeyScan(session, slot, backend, hashSlot, -1).request("0");
    }

    /** Replies with up to {@code limit} keys of {@code hashSlot}. */
    public static void keys(ClientSession session, ReplySlot slot, BackendConnection backend, int hashSlot, long limit) {
        if (limit == 0) {
            session.reply(slot, emptyArray(session));
            return;
        }
        new SlotKeyScan(session, slot, backend, hashSlot, limit).request("0");
    }

    private static ByteBuf emptyArray(ClientSession session) {
        ByteBuf out = session.channel().alloc().buffer(4);
        RespWriter.arrayHeader(out, 0);
        return out;
    }

    private void request(String cursor) {
        RespCommand scan = RespCommand.of("SCAN", cursor, "COUNT", Integer.toString(SCAN_COUNT));
        backend.send(this, scan.frame()); // ownership of the frame passes; the command wraps nothing else
    }

    @Override
    public void complete(ByteBuf reply) {
        try {
            String next = consume(reply);
            if (next == null) {
                session.reply(slot, reply.retainedDuplicate()); // an error from the backend: pass it on
                return;
            }
            boolean enough = limit >= 0 && keys.size() >= limit;
            if (next.equals("0") || enough) {
                finish();
            } else {
                request(next);
            }
        } finally {
            reply.release();
        }
    }

    private void finish() {
        if (limit < 0) {
            session.reply(slot, Replies.integer(session.channel().alloc(), count));
            return;
        }
        ByteBuf out = session.channel().alloc().buffer();
        int n = (int) Math.min(limit, keys.size());
        RespWriter.arrayHeader(out, n);
        for (int i = 0; i < n; i++) {
            RespWriter.bulk(out, keys.get(i));
        }
        session.reply(slot, out);
    }

    /**
     * Keeps the keys of our slot from a SCAN page, except the migration's bookkeeping keys, which no
     * client sees; returns the next cursor, null when the reply is not a SCAN reply (an error).
     */
    private String consume(ByteBuf reply) {
        return ScanPage.forEachKey(reply, (page, at, length) -> {
            if (SlotHash.slot(page, at, length) == hashSlot && !HiddenKeys.isBookkeeping(page, at, length)) {
                count++;
                if (limit >= 0 && keys.size() < limit) {
                    keys.add(ByteBufUtil.getBytes(page, at, length));
                }
            }
        });
    }
}
