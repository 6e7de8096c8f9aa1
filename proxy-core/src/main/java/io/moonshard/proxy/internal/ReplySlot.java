package io.moonshard.proxy.internal;

import io.netty.buffer.ByteBuf;

/**
 * One client request's place in that client's reply order. Reserved when the request is decoded,
 * filled when its reply exists (from a backend or from the proxy), written when every earlier slot
 * has been written.
 */
final class ReplySlot extends ReplyTarget {

    final ClientSession session;
    /** The reply once known; owned by this slot until it is written or released. */
    ByteBuf reply;
    /** Close the client connection after this reply (protocol errors, QUIT). */
    boolean closeAfter;

    ReplySlot(ClientSession session) {
        this.session = session;
    }

    @Override
    void complete(ByteBuf reply) {
        if (mayBlock) {
            session.blockingCommandEnded();
        }
        session.onSlotCompleted(this, reply);
    }
}
