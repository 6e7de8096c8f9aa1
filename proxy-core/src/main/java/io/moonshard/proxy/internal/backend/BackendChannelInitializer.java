package io.moonshard.proxy.internal.backend;

import io.moonshard.resp.RespReplyDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * Pipeline of a backend connection, in order:
 * <ol>
 *   <li>{@link RespReplyDecoder}: splits the reply stream into one retained slice per reply;</li>
 *   <li>{@link BackendConnection.Handler}: matches each reply to the oldest request in flight.</li>
 * </ol>
 * Requests are written as ready-made {@code ByteBuf} frames, so no encoder is needed.
 */
final class BackendChannelInitializer extends ChannelInitializer<Channel> {

    /**
     * Replies from Redis are trusted to be well formed, and a script may legitimately return an array
     * nested thousands deep (Redis stops at its Lua stack limit); the splitter keeps one counter per
     * level, no recursion, so a deep reply costs memory in proportion to its size only.
     */
    private static final int BACKEND_MAX_NESTING = 1 << 20;

    private final BackendConnection connection;

    BackendChannelInitializer(BackendConnection connection) {
        this.connection = connection;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast("activity", new BackendConnection.ReadActivity(connection));
        ch.pipeline().addLast("reply-decoder", new RespReplyDecoder(BACKEND_MAX_NESTING));
        ch.pipeline().addLast("backend", new BackendConnection.Handler(connection));
    }
}
