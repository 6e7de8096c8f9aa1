package io.moonshard.proxy.internal;

import io.netty.buffer.ByteBuf;

/**
 * Where a backend reply goes: a client's reply slot, a fan-out part, or the proxy's own bookkeeping.
 * Confined to one event loop.
 */
abstract class ReplyTarget {

    /** When the request was written to a backend; used for the backend timeout. */
    long sentAtNanos;

    /** Delivers one complete reply frame. Ownership of {@code reply} passes to this method. */
    abstract void complete(ByteBuf reply);
}
