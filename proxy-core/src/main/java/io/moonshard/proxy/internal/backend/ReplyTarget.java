package io.moonshard.proxy.internal.backend;

import io.netty.buffer.ByteBuf;

/**
 * Where a backend reply goes: a client's reply slot, a fan-out part, or the proxy's own bookkeeping.
 * Confined to one event loop.
 */
public abstract class ReplyTarget {

    /** When the request was written to a backend; used for the backend timeout. */
    public long sentAtNanos;
    /**
     * The request may legitimately wait forever (BLPOP, XREAD BLOCK, WAIT on a dedicated connection):
     * the backend timeout does not apply while it is the oldest request in flight.
     */
    public boolean mayBlock;
    /**
     * The request may write: the command table's {@code write} flag, EVAL/EVALSHA/FCALL, EXEC of a
     * transaction holding one. Under {@code write_ack replica} the batch it leaves in is followed by a
     * {@code WAIT}, and its reply is replaced by an error when no replica confirmed it ({@link AckBarrier}).
     * Ignored when {@link #mayBlock} is set: a command that may block is never confirmed.
     */
    public boolean mayWrite;

    /** A target that drops the reply: for requests the proxy adds (HELLO on connect, MULTI around EXEC). */
    public static ReplyTarget discard() {
        return new ReplyTarget() {
            @Override
            public void complete(ByteBuf reply) {
                reply.release();
            }
        };
    }

    /** Delivers one complete reply frame. Ownership of {@code reply} passes to this method. */
    public abstract void complete(ByteBuf reply);
}
