package io.moonshard.proxy.internal.runtime;

import io.moonshard.proxy.ProxyConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS on the client listener ({@code tls_port}): the server {@link SslContext}, built once at start
 * with the JDK provider, and the handler that ends a connection whose handshake fails (a plain-text
 * client, an untrusted or missing client certificate) with one DEBUG log line instead of a WARN stack
 * trace.
 */
final class ClientTls {

    private static final Logger log = LoggerFactory.getLogger(ClientTls.class);

    private ClientTls() {
    }

    /**
     * The server context for {@code config}'s {@code tls_*} options.
     *
     * @throws IllegalArgumentException naming the option when a file is missing, unreadable or not
     *                                  usable PEM
     */
    static SslContext serverContext(ProxyConfig config) {
        File cert = readable("tls_cert_file", config.tlsCertFile());
        File key = readable("tls_key_file", config.tlsKeyFile());
        File ca = config.tlsCaFile() == null ? null : readable("tls_ca_file", config.tlsCaFile());
        SslContextBuilder builder;
        try {
            builder = SslContextBuilder.forServer(cert, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS: cannot use tls_cert_file " + cert + " with tls_key_file " + key
                    + " (PEM certificate and unencrypted PKCS#8 key expected): " + message(e), e);
        }
        builder.sslProvider(SslProvider.JDK);
        if (ca != null) {
            try {
                builder.trustManager(ca);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("TLS: cannot use tls_ca_file " + ca
                        + " (PEM certificates expected): " + message(e), e);
            }
        }
        builder.clientAuth(config.tlsAuthClients() ? ClientAuth.REQUIRE : ClientAuth.NONE);
        try {
            return builder.build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("TLS: cannot build the server context from tls_cert_file " + cert
                    + ", tls_key_file " + key + (ca != null ? ", tls_ca_file " + ca : "") + ": " + message(e), e);
        }
    }

    private static File readable(String option, String file) {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("TLS: " + option + " " + file + " does not exist or is not a file");
        }
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("TLS: " + option + " " + file + " is not readable");
        }
        return path.toFile();
    }

    private static String message(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
        }
        return sb.toString().replace('\n', ' ');
    }

    /** Why a handshake failed, without the bytes received (a plain-text client may have sent a password). */
    static String handshakeFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not a TLS record (a plain-text client?)";
            }
        }
        return message(cause);
    }

    /**
     * Sits right after the {@code SslHandler} until the handshake is done: a failed handshake closes
     * the connection with one log line; a successful one removes this handler.
     */
    static final class HandshakeGuard extends ChannelInboundHandlerAdapter {

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    ctx.pipeline().remove(this);
                } else {
                    // DEBUG, not INFO: TCP probes and port scanners end here too
                    log.debug("event=tls_handshake_failed peer={} cause={}", ctx.channel().remoteAddress(),
                            handshakeFailure(done.cause()));
                    ctx.close();
                }
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
                // the handshake-completion event (logged above) follows; don't log twice
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
