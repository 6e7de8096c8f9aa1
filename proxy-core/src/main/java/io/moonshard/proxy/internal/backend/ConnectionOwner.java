package io.moonshard.proxy.internal.backend;

import io.netty.buffer.ByteBuf;

/**
 * The client side of a backend connection, as the backend layer sees it: something that feeds the
 * connection requests and can be told to stop and go on, and that takes the frames a backend sends on
 * its own (pub/sub messages, RESP3 tracking invalidations). A client session implements it; the
 * backend layer knows nothing else of sessions.
 *
 * <p>Called on the connection's event loop only.
 */
public interface ConnectionOwner {

    /** The backend cannot take more bytes: stop reading requests until {@link #resumeReading}. */
    void pauseReading();

    /** The saturated backend drained below its low-water mark. */
    void resumeReading();

    /**
     * A frame from this owner's pub/sub connection {@code from}: a message, or the reply to a request
     * sent there. Ownership of {@code frame} passes to this method.
     */
    void deliverPushed(BackendConnection from, ByteBuf frame);

    /**
     * A frame the backend pushed on this owner's dedicated connection (a RESP3 invalidation), to be
     * written just before the reply to {@code next}, the oldest request in flight there (null when
     * none). Ownership of {@code frame} passes to this method.
     */
    void deliverOutOfBand(ByteBuf frame, ReplyTarget next);

    /**
     * This owner's pub/sub connection is gone (or never connected): its subscriptions died with it.
     * Like a Redis node going away, the client then sees its own connection close.
     */
    void pushConnectionLost();
}
