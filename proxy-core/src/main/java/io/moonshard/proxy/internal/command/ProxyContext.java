package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.LogLevelControl;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.acl.Acl;
import io.moonshard.proxy.internal.backend.BackendEnvironment;
import io.moonshard.proxy.internal.backend.BackendPool;
import io.moonshard.proxy.internal.backend.BackendPools;
import io.moonshard.proxy.internal.config.Credentials;
import io.moonshard.proxy.internal.config.LiveLimits;
import io.moonshard.proxy.internal.engine.BackgroundEngine;
import io.moonshard.proxy.internal.engine.EngineHost;
import io.moonshard.proxy.internal.engine.RetiredBackends;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.migration.MigrationEngine;
import io.moonshard.proxy.internal.replication.ReplicationEngine;
import io.moonshard.proxy.internal.migration.MigrationSettings;
import io.moonshard.proxy.internal.replication.ReplicaPoller;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.moonshard.proxy.internal.session.ClientRegistry;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.QueryBuffers;
import io.moonshard.proxy.internal.session.SessionEnvironment;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every session and command of one proxy shares: the config, the cluster metadata, the
 * dispatcher, the per-event-loop backend pools and the counters. The layers below see only the part
 * they need: {@link SessionEnvironment} (sessions), {@link BackendEnvironment} (backend connections).
 *
 * <p>The cluster metadata is the only shared mutable state; it lives in {@link ClusterState} as one
 * immutable snapshot behind one reference.
 */
public final class ProxyContext implements SessionEnvironment {

    private final ProxyConfig config;
    private final HostPort announce;
    private final LiveLimits limits;
    private final BackendPools backends;
    private final ClientRegistry clients;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final ServerInfo serverInfo = new ServerInfo();
    private final ClusterState cluster;
    private final CommandDispatcher dispatcher;
    private final Runnable shutdownRequest;
    private volatile Credentials credentials;
    private final Acl acl;
    private final SlowLog slowlog;
    private final QueryBuffers queryBuffers;
    private final LiveSettings live;
    private final ProxyMeters meters;
    /** The proxy's background work, each given only an {@link EngineHost}; a new engine is one more line here. */
    private final MigrationGate migrationGate = new MigrationGate();
    private final MigrationEngine migration = new MigrationEngine(migrationGate, new MigrationSettings());
    private final ReplicationEngine replication;
    private final List<BackgroundEngine> engines;

    /** The event loops' I/O ({@code transport} as the runtime resolved it). */
    private final String transportName;

    public ProxyContext(ProxyConfig config, Bootstrap backendBootstrap, Runnable shutdownRequest) {
        this(config, backendBootstrap, shutdownRequest, null);
    }

    /** @param logLevelControl for {@code CONFIG SET moonshard-loglevel}, or null: no such setting */
    public ProxyContext(ProxyConfig config, Bootstrap backendBootstrap, Runnable shutdownRequest,
                        LogLevelControl logLevelControl) {
        this(config, backendBootstrap, shutdownRequest, logLevelControl, new ProxyMeters(), List.of(), "nio");
    }

    /**
     * @param meters     the runtime's counts, which outlive this context (a registry may be bound before start)
     * @param eventLoops the runtime's event loops, handed to the background engines
     * @param transportName the event loops' I/O, as {@code INFO server}'s {@code multiplexing_api} shows it
     */
    public ProxyContext(ProxyConfig config, Bootstrap backendBootstrap, Runnable shutdownRequest,
                        LogLevelControl logLevelControl, ProxyMeters meters, List<EventLoop> eventLoops,
                        String transportName) {
        this.config = config;
        this.transportName = transportName;
        this.meters = meters;
        this.announce = HostPort.parse(config.announceAddress());
        this.limits = new LiveLimits(config);
        this.clients = new ClientRegistry(config.maxClients());
        this.cluster = new ClusterState(config);
        this.backends = new BackendPools(new BackendEnvironment(config, limits, cluster, metrics, meters),
                backendBootstrap);
        this.slowlog = new SlowLog(config.slowlogLogSlowerThan(), config.slowlogMaxLen());
        this.queryBuffers = new QueryBuffers(config);
        this.live = new LiveSettings(this, limits, logLevelControl);
        this.dispatcher = new CommandDispatcher(this);
        this.shutdownRequest = shutdownRequest;
        this.acl = new Acl(config.password(), config.users(),
                config.aclFile() == null ? null : Path.of(config.aclFile()));
        this.credentials = new Credentials(config.password(), config.users(), acl);
        this.replication = new ReplicationEngine(migrationGate, meters);
        this.engines = List.of(new RetiredBackends(), migration, replication, new ReplicaPoller(replication::statuses));
        EngineHost host = new EngineHost(config, cluster, backends, clients, eventLoops);
        engines.forEach(engine -> engine.start(host));
    }

    /**
     * The configuration the proxy started with. Settings that {@code CONFIG SET moonshard-...} changes at
     * run time are read from their owners instead ({@link #limits()}, {@link #slowlog()}, {@link #clients()},
     * {@link #credentials()}).
     */
    @Override
    public ProxyConfig config() {
        return config;
    }

    /** The settings {@code CONFIG SET moonshard-...} changes at run time, by name. */
    public LiveSettings live() {
        return live;
    }

    @Override
    public LiveLimits limits() {
        return limits;
    }

    @Override
    public Credentials credentials() {
        return credentials;
    }

    /** A rotated {@code moonshard-password} is the default user's password, as {@code requirepass} is in Redis. */
    public void credentials(Credentials next) {
        acl.defaultPassword(next.password());
        credentials = new Credentials(next.password(), next.users(), acl);
    }

    /** The users and their permissions ({@code ACL SETUSER}, {@code AUTH user pass}). */
    @Override
    public Acl acl() {
        return acl;
    }

    /** What the slot migration engine tells the forwarder about moving slots. */
    public MigrationGate migrationGate() {
        return migrationGate;
    }

    /** Online slot migration: the tasks, the handshake's peer side, INFOMGR. */
    /** Applies SETREPL to the local Redis nodes; runs promotions and switchovers. */
    public ReplicationEngine replication() {
        return replication;
    }

    public MigrationEngine migration() {
        return migration;
    }

    public HostPort announce() {
        return announce;
    }

    @Override
    public ClientRegistry clients() {
        return clients;
    }

    @Override
    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Per-loop counts, latency histograms and backend connection states behind the metrics and INFO. */
    @Override
    public ProxyMeters meters() {
        return meters;
    }

    public ServerInfo serverInfo() {
        return serverInfo;
    }

    @Override
    public ClusterState cluster() {
        return cluster;
    }

    @Override
    public CommandDispatcher dispatcher() {
        return dispatcher;
    }

    /** The proxy's SLOWLOG, shared by every event loop. */
    @Override
    public SlowLog slowlog() {
        return slowlog;
    }

    /** Clients' incomplete requests: the limit per client and the budget over all of them. */
    public QueryBuffers queryBuffers() {
        return queryBuffers;
    }

    @Override
    public BackendPools backends() {
        return backends;
    }

    public ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }

    public String transportName() {
        return transportName;
    }

    public String clusterName() {
        return cluster.snapshot().name();
    }

    public long clusterEpoch() {
        return cluster.snapshot().epoch();
    }

    /** The backend pool of {@code loop}, created on first use. */
    public BackendPool poolFor(EventLoop loop) {
        return backends.poolFor(loop);
    }

    /** Counts one more client-dedicated backend connection; false (nothing counted) over the limit. */
    public boolean tryAcquireDedicatedConnection() {
        return backends.tryAcquireDedicatedConnection();
    }

    public int dedicatedConnectionCount() {
        return backends.dedicatedConnectionCount();
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
    @Override
    public boolean clientsMayBePaused() {
        long until = pausedUntilNanos;
        return until != 0 && System.nanoTime() - until < 0;
    }

    /** Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT, ...): INFO's blocked_clients. */
    public AtomicInteger blockedClients() {
        return clients.blockedClients();
    }

    /**
     * UMCTL READY's answer and {@code /ready}'s: undermoon's rule ({@link UmctlCommands#isReady}), and the
     * controller's lease has not run out (a fenced proxy serves no slot).
     */
    public boolean isReady() {
        return !cluster.lease().isFenced() && UmctlCommands.isReady(cluster.snapshot(), replication.statuses());
    }

    public void requestShutdown() {
        shutdownRequest.run();
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
        engines.forEach(BackgroundEngine::close);
        backends.closeAll();
    }
}
