package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * What a {@link RespRequestDecoder} may hold of a request that has not fully arrived (its query buffer),
 * and what happens when it would hold more. One per connection; called on its event loop only, except
 * that {@link #reserve} and {@link #release} may share a budget with other connections' guards.
 *
 * <p>The decoder charges a partial request to {@link #reserve} by the bytes that arrived, once they reach
 * {@link #UNCHARGED} (a request below that is at most a few socket reads and is never refused for the
 * budget), and gives them back as the request completes, fails or the connection goes.
 */
public interface QueryBufferGuard {

    /** Partial requests smaller than this are not charged to the budget. */
    int UNCHARGED = 64 * 1024;

    /** Redis's default {@code client-query-buffer-limit}. */
    long REDIS_QUERY_BUFFER_LIMIT = 1024L * 1024 * 1024;

    /** Why the decoder gave up on a connection. */
    enum Breach {
        /** The connection's partial request exceeds {@link #limit()}, or is declared larger than it. */
        CLIENT_LIMIT,
        /** Reserving its growth would exceed the budget shared with other connections. */
        TOTAL_BUDGET
    }

    /** The largest partial request this connection may hold now, in bytes ({@code client-query-buffer-limit}). */
    long limit();

    /**
     * False while the client still has to authenticate: Redis 7.0 then refuses a request of more than 10
     * arguments ({@code unauthenticated multibulk length}) or with an argument over 16 KB
     * ({@code unauthenticated bulk length}), so such a client cannot make the server buffer much.
     */
    default boolean authenticated() {
        return true;
    }

    /** Takes {@code bytes} more from the budget; false when that would exceed it (then nothing is taken). */
    boolean reserve(long bytes);

    /** Gives back {@code bytes} taken with {@link #reserve}. */
    void release(long bytes);

    /**
     * Called once when the decoder stops reading this connection; everything buffered is then discarded.
     * Redis closes such a client without a reply, which is what {@link #closing()} does.
     *
     * @param buffered the partial request (readable, not to be released); its first bytes are for the log
     * @param declared the size the request's headers announce so far, at least {@code buffered.readableBytes()}
     */
    void breached(ChannelHandlerContext ctx, Breach breach, ByteBuf buffered, long declared);

    /** Redis's default limit, no shared budget; closes the connection on a breach. */
    static QueryBufferGuard closing() {
        return closing(REDIS_QUERY_BUFFER_LIMIT);
    }

    /** {@code limit} per connection, no shared budget; closes the connection on a breach. */
    static QueryBufferGuard closing(long limit) {
        return new QueryBufferGuard() {
            @Override
            public long limit() {
                return limit;
            }

            @Override
            public boolean reserve(long bytes) {
                return true;
            }

            @Override
            public void release(long bytes) {
            }

            @Override
            public void breached(ChannelHandlerContext ctx, Breach breach, ByteBuf buffered, long declared) {
                ctx.close();
            }
        };
    }
}
