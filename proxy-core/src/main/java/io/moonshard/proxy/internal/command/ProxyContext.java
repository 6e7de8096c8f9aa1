package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.acl.Acl;
import io.moonshard.proxy.internal.backend.BackendPool;
import io.moonshard.proxy.internal.config.Credentials;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.moonshard.proxy.internal.runtime.ProxyRuntime;
import io.moonshard.proxy.internal.session.ClientRegistry;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.QueryBuffers;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every session of one proxy shares: the config, the cluster metadata, the dispatcher, the
 * per-event-loop backend pools and the counters.
 *
 * <p>The cluster metadata is the only shared mutable state; it lives in {@link ClusterState} as one
 * immutable snapshot behind one reference.
 */
public final class ProxyContext {

    private final ProxyConfig config;
    private final HostPort announce;
    private final Bootstrap backendBootstrap;
    private final ConcurrentHashMap<EventLoop, BackendPool> pools = new ConcurrentHashMap<>();
    private final ClientRegistry clients;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final ServerInfo serverInfo = new ServerInfo();
    private final ClusterState cluster;
    private final CommandDispatcher dispatcher;
    private final Runnable shutdownRequest;
    private volatile Credentials credentials;
    private final Acl acl;
    private final java.util.concurrent.atomic.AtomicInteger dedicatedConnections = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger blockedClients = new java.util.concurrent.atomic.AtomicInteger();
    private final SlowLog slowlog;
    private final QueryBuffers queryBuffers;
    private final LiveSettings live;
    /** The runtime's, set before any loop or scrape sees this context; a context of its own in unit tests. */
    private ProxyMeters meters = new ProxyMeters();

    public ProxyContext(ProxyConfig config, Bootstrap backendBootstrap, Runnable shutdownRequest) {
        this(config, backendBootstrap, shutdownRequest, null);
    }

    /** @param logLevelControl for {@code CONFIG SET moonshard-loglevel}, or null: no such setting */
    public ProxyContext(ProxyConfig config, Bootstrap backendBootstrap, Runnable shutdownRequest,
                 io.moonshard.proxy.LogLevelControl logLevelControl) {
        this.config = config;
        this.announce = HostPort.parse(config.announceAddress());
        this.backendBootstrap = backendBootstrap;
        this.clients = new ClientRegistry(config.maxClients());
        this.cluster = new ClusterState(config, this::onBackendsChanged);
        this.slowlog = new SlowLog(config.slowlogLogSlowerThan(), config.slowlogMaxLen());
        this.queryBuffers = new QueryBuffers(config);
        this.live = new LiveSettings(this, config, logLevelControl);
        this.dispatcher = new CommandDispatcher(this);
        this.shutdownRequest = shutdownRequest;
        this.acl = new Acl(config.password(), config.users(),
                config.aclFile() == null ? null : Path.of(config.aclFile()));
        this.credentials = new Credentials(config.password(), config.users(), acl);
    }

    /**
     * The configuration the proxy started with. Settings that {@code CONFIG SET moonshard-...} changes at
     * run time are read from their owners instead ({@link #live()}, {@link #slowlog()}, {@link #clients()},
     * {@link #credentials()}).
     */
    public ProxyConfig config() {
        return config;
    }

    /** The settings {@code CONFIG SET moonshard-...} changes at run time. */
    public LiveSettings live() {
        return live;
    }

    /** The passwords clients log in with; replaced whole when rotated at run time. */
    public Credentials credentials() {
        return credentials;
    }

    /** A rotated {@code moonshard-password} is the default user's password, as {@code requirepass} is in Redis. */
    public void credentials(Credentials next) {
        acl.defaultPassword(next.password());
        credentials = new Credentials(next.password(), next.users(), acl);
    }

    /** The users and their permissions ({@code ACL SETUSER}, {@code AUTH user pass}). */
    public Acl acl() {
        return acl;
    }

    HostPort announce() {
        return announce;
    }

    public ClientRegistry clients() {
        return clients;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Per-loop counts, latency histograms and backend connection states behind the metrics and INFO. */
    public ProxyMeters meters() {
        return meters;
    }

    /** Called once by {@link ProxyRuntime#start()}, before the context is used: meters outlive the context. */
    public void meters(ProxyMeters runtimeMeters) {
        this.meters = runtimeMeters;
    }

    ServerInfo serverInfo() {
        return serverInfo;
    }

    public ClusterState cluster() {
        return cluster;
    }

    public CommandDispatcher dispatcher() {
        return dispatcher;
    }

    /** The proxy's SLOWLOG, shared by every event loop. */
    public SlowLog slowlog() {
        return slowlog;
    }

    /** Clients' incomplete requests: the limit per client and the budget over all of them. */
    public QueryBuffers queryBuffers() {
        return queryBuffers;
    }

    public ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }

    String transportName() {
        return Epoll.isAvailable() ? "epoll" : "nio";
    }

    String clusterName() {
        return cluster.snapshot().name();
    }

    public long clusterEpoch() {
        return cluster.snapshot().epoch();
    }

    /** The backend pool of {@code loop}, created on first use. */
    public BackendPool poolFor(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new BackendPool(this, l, backendBootstrap));
    }

    /** Counts one more client-dedicated backend connection; false (nothing counted) over the limit. */
    public boolean tryAcquireDedicatedConnection() {
        int limit = live.maxDedicatedConnections();
        while (true) {
            int now = dedicatedConnections.get();
            if (now >= limit) {
                return false;
            }
            if (dedicatedConnections.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void releaseDedicatedConnection() {
        dedicatedConnections.decrementAndGet();
    }

    /**
     * Until when (System.nanoTime) a CLIENT PAUSE sent through this proxy holds the backends' clients;
     * 0 when none. While it may hold, every client's commands go on its own backend connection: a
     * paused command then waits there, as a paused client waits at a Redis node, instead of holding up
     * a connection other clients share.
     */
    private volatile long pausedUntilNanos;

    void clientsPaused(long timeoutMillis) {
        pausedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    void clientsUnpaused() {
        pausedUntilNanos = 0;
    }

    /** A CLIENT PAUSE may be holding the backends' clients (one volatile read when none is). */
    public boolean clientsMayBePaused() {
        long until = pausedUntilNanos;
        return until != 0 && System.nanoTime() - until < 0;
    }

    /** Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT, ...): INFO's blocked_clients. */
    public java.util.concurrent.atomic.AtomicInteger blockedClients() {
        return blockedClients;
    }

    public int dedicatedConnectionCount() {
        return dedicatedConnections.get();
    }

    /** Every other loop opens its spare dedicated connections to {@code address} (see {@link BackendPool}). */
    public void warmSpares(String address, int protocol, BackendPool except) {
        pools.forEach((loop, pool) -> {
            if (pool != except) {
                loop.execute(() -> pool.warmSpares(address, protocol));
            }
        });
    }

    void requestShutdown() {
        shutdownRequest.run();
    }

    /** A new snapshot changed the set of local backends: each loop drains connections to removed ones. */
    private void onBackendsChanged(Set<String> backendAddresses) {
        pools.forEach((loop, pool) -> loop.execute(() -> pool.retainOnly(backendAddresses)));
    }

    /** Applies the {@code initial_setcluster} line at start; returns the reply line. */
    public String applyInitialSetCluster(String line) {
        return cluster.applySetClusterLine(line);
    }

    public boolean hasInFlightWork() {
        for (ClientSession session : clients.all()) {
            if (session.pendingCount() > 0) {
                return true;
            }
        }
        return false;
    }

    public void closeAllConnections() {
        for (ClientSession session : clients.all()) {
            session.channel().close();
        }
        pools.forEach((loop, pool) -> loop.execute(pool::closeAll));
    }
}
