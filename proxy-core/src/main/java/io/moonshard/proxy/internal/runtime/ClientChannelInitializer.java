package io.moonshard.proxy.internal.runtime;

import io.moonshard.proxy.internal.command.ProxyContext;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.QueryBuffers;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespLimits;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline of a client connection, in order:
 * <ol>
 *   <li>on the TLS listener only: {@code SslHandler}, then {@link ClientTls.HandshakeGuard} until the
 *       handshake is done;</li>
 *   <li>{@link IdleStateHandler} (only when {@code session_timeout} is set): closes idle clients;</li>
 *   <li>{@link RespRequestDecoder}: one {@code RespCommand} per request, or a final protocol error; its
 *       incomplete request is bounded by {@link QueryBuffers} (a client over the limit is closed);</li>
 *   <li>{@link ClientSession}: dispatches commands and writes replies in request order.</li>
 * </ol>
 * Replies are ready-made {@code ByteBuf} frames, so no encoder is needed.
 */
final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext proxy;
    private final RespLimits limits;
    /** For the TLS listener, its server context; null for the plain listener. */
    private final SslContext tls;

    ClientChannelInitializer(ProxyContext proxy) {
        this(proxy, null);
    }

    ClientChannelInitializer(ProxyContext proxy, SslContext tls) {
        this.proxy = proxy;
        this.limits = RespLimits.defaults().withMaxBulkLength(proxy.config().protoMaxBulkLen());
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
            ch.pipeline().addLast("tls-handshake", new ClientTls.HandshakeGuard());
        }
        if (!proxy.clients().tryAdmit(ch)) {
            proxy.metrics().clientRejected();
            ch.pipeline().addLast(new RejectHandler());
            return;
        }
        long idleMillis = proxy.config().sessionTimeout().toMillis();
        if (idleMillis > 0) {
            ch.pipeline().addLast("idle", new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        long id = proxy.clients().nextId();
        ClientSession session = new ClientSession(proxy, proxy.poolFor(ch.eventLoop()), id);
        ch.pipeline().addLast("request-decoder",
                new RespRequestDecoder(limits, proxy.queryBuffers().guardFor(id, () -> session.state().hasLoggedIn()
                        || proxy.credentials().openByDefault())));
        if (tls != null) {
            session.state().markTls();
        }
        ch.pipeline().addLast("session", session);
    }

    /** Over {@code max_clients}: Redis's reply, then close. */
    private static final class RejectHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Replies.error(ctx.alloc(), "ERR max number of clients reached"))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
