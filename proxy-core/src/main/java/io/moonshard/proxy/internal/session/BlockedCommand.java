package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A command that may block (BLPOP, BLMOVE, XREAD BLOCK, ...), sent on its client's own connection and
 * not answered yet, with the slot of its keys. When that slot moves to another proxy, the migration
 * unblocks it at the backend ({@code CLIENT UNBLOCK <id> ERROR}) and the client gets
 * {@code MOVED <slot> <proxy>} instead of the UNBLOCKED error, as a Redis 7 node answers clients
 * blocked on a slot that moved. Confined to its session's event loop.
 */
public final class BlockedCommand {

    private final ClientSession session;
    private final String backend;
    private final int slot;
    /** The error line to answer instead, once the slot moved; null until then. */
    private String moved;

    BlockedCommand(ClientSession session, String backend, int slot) {
        this.session = session;
        this.backend = backend;
        this.slot = slot;
    }

    public int slot() {
        return slot;
    }

    /** On the session's loop: the slot now lives at {@code address}; unblocks the command at the backend. */
    public void slotMoved(String address) {
        moved = "MOVED " + slot + " " + address;
        BackendConnection own = session.dedicatedConnectionIfAny(backend);
        long id = own == null ? -1 : own.backendClientId();
        if (id >= 0) {
            // on a shared connection: the client's own one is busy with the blocked command
            session.pool.connection(backend, 0, 2).send(ReplyTarget.discard(),
                    Unpooled.wrappedBuffer(RespCommands.encode("CLIENT", "UNBLOCK", Long.toString(id), "ERROR")));
        }
    }

    /** The reply the client gets: MOVED for an error after the slot moved, else {@code reply}. */
    ByteBuf answer(ByteBuf reply) {
        if (moved != null && reply.isReadable() && reply.getByte(reply.readerIndex()) == '-') {
            reply.release();
            return Replies.error(session.channel().alloc(), moved);
        }
        return reply;
    }
}
