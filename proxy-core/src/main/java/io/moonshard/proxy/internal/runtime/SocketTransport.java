package io.moonshard.proxy.internal.runtime;

import io.moonshard.proxy.ProxyConfig.Transport;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;

/**
 * The event loops' I/O ({@code transport}) and the channel classes that go with it. Which one a
 * setting gives is {@link #resolve}, pure; what this machine offers is asked of Netty once, here.
 */
record SocketTransport(Transport kind, IoHandlerFactory ioHandlers,
                       Class<? extends ServerChannel> serverChannel, Class<? extends Channel> clientChannel) {

    /** The name {@code INFO server}'s {@code multiplexing_api} and the start line show. */
    String displayName() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** The transport {@code requested} stands for here; fails naming the reason when a named one is missing. */
    static SocketTransport forSetting(Transport requested) {
        Transport kind = resolve(requested, IoUring.isAvailable(), Epoll.isAvailable());
        if (kind == null) {
            Throwable why = requested == Transport.IO_URING ? IoUring.unavailabilityCause() : Epoll.unavailabilityCause();
            throw new IllegalStateException("transport " + requested.name().toLowerCase(Locale.ROOT)
                    + " is not available on this machine: " + why, why);
        }
        return switch (kind) {
            case IO_URING -> new SocketTransport(kind, IoUringIoHandler.newFactory(),
                    IoUringServerSocketChannel.class, IoUringSocketChannel.class);
            case EPOLL -> new SocketTransport(kind, EpollIoHandler.newFactory(),
                    EpollServerSocketChannel.class, EpollSocketChannel.class);
            case NIO -> new SocketTransport(kind, NioIoHandler.newFactory(),
                    NioServerSocketChannel.class, NioSocketChannel.class);
            case AUTO -> throw new AssertionError("resolve never answers AUTO");
        };
    }

    /**
     * What {@code requested} means given what the machine offers: a named transport itself, or null
     * when it is missing (the start fails rather than run with other I/O than the operator chose);
     * {@link Transport#AUTO} epoll where there is epoll, else NIO. AUTO does not pick io_uring even
     * where it is there: on this project's loads it halved the system calls and saved no CPU per
     * request, the kernel's TCP work being the same (docs/performance.md, "io_uring").
     */
    static Transport resolve(Transport requested, boolean ioUringAvailable, boolean epollAvailable) {
        return switch (requested) {
            case AUTO -> epollAvailable ? Transport.EPOLL : Transport.NIO;
            case IO_URING -> ioUringAvailable ? Transport.IO_URING : null;
            case EPOLL -> epollAvailable ? Transport.EPOLL : null;
            case NIO -> Transport.NIO;
        };
    }
}
