package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.resp.QueryBufferGuard;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory of clients' incomplete requests (their query buffers): a limit per client, Redis's
 * {@code client-query-buffer-limit}, and a budget over all clients, {@code max_total_query_buffer_bytes}.
 * Each client's {@code RespRequestDecoder} is given a {@link #guardFor guard} of these.
 *
 * <p>A client over its limit is closed without a reply and logged, as Redis does. A client whose request
 * would take more than the budget has left is closed the same way: refusing the growth that does not fit
 * keeps the memory bounded, and the other choice, to stop reading it, would keep its memory held and could
 * stall two large uploads on each other forever. The budget counts bytes that arrived; a request under
 * {@link QueryBufferGuard#UNCHARGED} is not counted, so ordinary commands are never refused for it.
 *
 * <p>Both values are read per decode through volatile fields, so {@code CONFIG SET} applies from the
 * next read of every client on.
 */
public final class QueryBuffers {

    private static final Logger log = LoggerFactory.getLogger(QueryBuffers.class);
    /** As much of a refused request as Redis logs ({@code qbuf initial bytes}). */
    private static final int LOGGED_BYTES = 64;

    private final AtomicLong used = new AtomicLong();
    private volatile long clientLimit;
    /** As configured: 0 for the default share of memory. */
    private volatile long totalLimitSetting;
    private volatile long totalLimit;

    public QueryBuffers(ProxyConfig config) {
        this.clientLimit = config.clientQueryBufferLimit();
        totalLimit(config.maxTotalQueryBufferBytes());
    }

    public long clientLimit() {
        return clientLimit;
    }

    public void clientLimit(long bytes) {
        clientLimit = bytes;
    }

    /** The budget in bytes, as it applies. */
    public long totalLimit() {
        return totalLimit;
    }

    /** As set: 0 means {@link ProxyConfig#defaultTotalQueryBufferBytes()}. */
    public long totalLimitSetting() {
        return totalLimitSetting;
    }

    public void totalLimit(long bytes) {
        totalLimitSetting = bytes;
        totalLimit = bytes > 0 ? bytes : ProxyConfig.defaultTotalQueryBufferBytes();
    }

    /** What incomplete requests over {@link QueryBufferGuard#UNCHARGED} hold now, over all clients. */
    public long used() {
        return used.get();
    }

    /**
     * @param authenticated whether the client has logged in (or needs no login): until it has, Redis
     *                      7.0's limits before AUTH apply ({@link QueryBufferGuard#authenticated()})
     */
    public QueryBufferGuard guardFor(long clientId, BooleanSupplier authenticated) {
        return new Guard(clientId, authenticated);
    }

    private final class Guard implements QueryBufferGuard {
        private final long clientId;
        private final BooleanSupplier authenticated;

        Guard(long clientId, BooleanSupplier authenticated) {
            this.clientId = clientId;
            this.authenticated = authenticated;
        }

        @Override
        public boolean authenticated() {
            return authenticated.getAsBoolean();
        }

        @Override
        public long limit() {
            return clientLimit;
        }

        @Override
        public boolean reserve(long bytes) {
            long limit = totalLimit;
            while (true) {
                long now = used.get();
                if (now + bytes > limit) {
                    return false;
                }
                if (used.compareAndSet(now, now + bytes)) {
                    return true;
                }
            }
        }

        @Override
        public void release(long bytes) {
            used.addAndGet(-bytes);
        }

        @Override
        public void breached(ChannelHandlerContext ctx, Breach breach, ByteBuf buffered, long declared) {
            String address = format(ctx.channel().remoteAddress());
            String head = escape(buffered);
            if (breach == Breach.CLIENT_LIMIT) {
                log.warn("event=client_closed reason=query_buffer_limit client={} id={} qbuf={} declared={} "
                                + "limit={} qbuf_initial_bytes=\"{}\"",
                        address, clientId, buffered.readableBytes(), declared, clientLimit, head);
            } else {
                log.warn("event=client_closed reason=total_query_buffer_budget client={} id={} qbuf={} declared={} "
                                + "total={} budget={} qbuf_initial_bytes=\"{}\"",
                        address, clientId, buffered.readableBytes(), declared, used.get(), totalLimit, head);
            }
            ctx.close();
        }
    }

    /** Redis's {@code sdscatrepr} of the first bytes: printable ASCII as is, the rest escaped. */
    private static String escape(ByteBuf buffered) {
        int n = Math.min(LOGGED_BYTES, buffered.readableBytes());
        StringBuilder sb = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            int b = buffered.getByte(buffered.readerIndex() + i) & 0xFF;
            switch (b) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (b >= 0x20 && b < 0x7F) {
                        sb.append((char) b);
                    } else {
                        sb.append(String.format("\\x%02x", b));
                    }
                }
            }
        }
        return sb.toString();
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
