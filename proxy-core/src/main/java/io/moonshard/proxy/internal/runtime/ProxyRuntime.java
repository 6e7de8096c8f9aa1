package io.moonshard.proxy.internal.runtime;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.LatencyHistogram;
import io.moonshard.proxy.LogLevelControl;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.command.ProxyContext;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the event loops, the listening sockets (plain, and TLS with {@code tls_port}) and the shared {@link ProxyContext}. Start and stop
 * happen on the caller's thread, never on an event loop.
 */
public final class ProxyRuntime {

    private static final Logger log = LoggerFactory.getLogger(ProxyRuntime.class);

    private final ProxyConfig config;
    /** For {@code CONFIG SET moonshard-loglevel}, or null. */
    private final LogLevelControl logLevelControl;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private EventLoopGroup group;
    private Channel serverChannel;
    /** The TLS listener ({@code tls_port}), or null. */
    private Channel tlsServerChannel;
    /** Set once by {@link #start()}; read by the metrics and the readiness check from any thread. */
    private volatile ProxyContext context;
    private volatile boolean closing;
    /** The counts behind the metrics; here, not in the context, so a registry may be bound before start. */
    private final ProxyMeters meters = new ProxyMeters();

    public ProxyRuntime(ProxyConfig config) {
        this(config, null);
    }

    /** @param logLevelControl how {@code CONFIG SET moonshard-loglevel} sets the level, or null: no such setting */
    public ProxyRuntime(ProxyConfig config, LogLevelControl logLevelControl) {
        this.config = config;
        this.logLevelControl = logLevelControl;
    }

    /** Binds the listening socket; returns when clients can connect. */
    public synchronized void start() throws InterruptedException {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        // before any thread or socket: bad TLS files fail the start with a message naming the option
        SslContext tls = config.tlsEnabled() ? ClientTls.serverContext(config) : null;
        SocketTransport transport = SocketTransport.forSetting(config.transport());
        group = new MultiThreadIoEventLoopGroup(config.effectiveThreads(), transport.ioHandlers());
        Class<? extends ServerChannel> serverClass = transport.serverChannel();
        Class<? extends Channel> clientClass = transport.clientChannel();

        Bootstrap backendBootstrap = new Bootstrap()
                .channel(clientClass)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20));
        List<EventLoop> loops = new ArrayList<>();
        group.forEach(executor -> loops.add((EventLoop) executor));
        context = new ProxyContext(config, backendBootstrap, this::requestShutdown, logLevelControl, meters, loops,
                transport.displayName());

        HostPort listen = HostPort.parse(config.address());
        ServerBootstrap server = new ServerBootstrap()
                .group(group)
                .channel(serverClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        (int) Math.min(config.maxPendingReplyBytes() / 2, 1 << 20),
                        (int) Math.min(config.maxPendingReplyBytes(), Integer.MAX_VALUE)))
                .childHandler(new ClientChannelInitializer(context));
        try {
            if (!config.tlsOnly()) {
                serverChannel = server.bind(listen.host(), listen.port()).sync().channel();
            }
            if (tls != null) {
                // same options, same host; only the pipeline differs (SslHandler first)
                tlsServerChannel = server.clone().childHandler(new ClientChannelInitializer(context, tls))
                        .bind(listen.host(), config.tlsPort()).sync().channel();
            }
        } catch (Exception e) {
            if (serverChannel != null) {
                serverChannel.close().awaitUninterruptibly();
                serverChannel = null;
            }
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            group = null;
            throw e;
        }
        if (config.initialSetCluster() != null && !config.initialSetCluster().isBlank()) {
            String reply = context.applyInitialSetCluster(config.initialSetCluster());
            if (!reply.startsWith("+")) {
                close();
                throw new IllegalArgumentException("initial_setcluster rejected: " + reply.strip());
            }
        }
        log.info("event=start listen={} tls_listen={} announce={} threads={} transport={}", boundAddress(),
                tlsBoundAddress(), config.announceAddress(), config.effectiveThreads(), transport.displayName());
    }

    public InetSocketAddress boundAddress() {
        Channel ch = serverChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    /** The TLS listener's address, or null without {@code tls_port} (or before start). */
    public InetSocketAddress tlsBoundAddress() {
        Channel ch = tlsServerChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    public CompletableFuture<Void> terminationFuture() {
        return terminated;
    }

    /**
     * UMCTL READY's answer, from any thread: started, not closing, holding cluster metadata with some
     * local slot range that is not migrating away, and not fenced by a lease that ran out.
     */
    public boolean isReady() {
        ProxyContext c = context;
        return c != null && !closing && c.isReady();
    }

    /** Binds the proxy's counters and gauges to a registry; reads only, nothing on the command path. */
    public MeterBinder meterBinder() {
        return new ProxyMeterBinder(this);
    }

    /** The counts behind the metrics, zeros before {@link #start()}. */
    public ProxyMeters meters() {
        return meters;
    }

    /** Snapshots of the latency histograms: proxy-side command latency, then backend round trips. */
    public List<LatencyHistogram> latencyHistograms() {
        return List.of(meters.commandLatency(), meters.backendLatency());
    }

    /** The shared context, or null before {@link #start()}. */
    ProxyContext context() {
        return context;
    }

    /** UMCTL SHUTDOWN: close from a non-event-loop thread. */
    private void requestShutdown() {
        Thread stopper = new Thread(this::close, "moonshard-shutdown");
        stopper.setDaemon(false);
        stopper.start();
    }

    /** Stops accepting, waits (bounded) for in-flight commands, then releases everything. */
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            if (serverChannel != null) {
                serverChannel.close().awaitUninterruptibly();
            }
            if (tlsServerChannel != null) {
                tlsServerChannel.close().awaitUninterruptibly();
            }
            if (context != null) {
                long deadline = System.nanoTime() + context.limits().backendTimeoutNanos();
                while (context.hasInFlightWork() && System.nanoTime() < deadline) {
                    // in-flight state lives on the event loops; poll it gently until it drains or time is up
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
                context.closeAllConnections();
            }
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            }
            log.info("event=stop");
        } finally {
            terminated.complete(null);
        }
    }
}
