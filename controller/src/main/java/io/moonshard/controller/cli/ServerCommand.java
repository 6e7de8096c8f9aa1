package io.moonshard.controller.cli;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moonshard.controller.api.ApiServer;
import io.moonshard.controller.api.ControllerView;
import io.moonshard.controller.election.Candidate;
import io.moonshard.controller.election.LeaderElection;
import io.moonshard.controller.election.LeaderInfo;
import io.moonshard.controller.election.LeaderProbe;
import io.moonshard.controller.election.Leadership;
import io.moonshard.controller.reconcile.ClusterAdmin;
import io.moonshard.controller.reconcile.ControllerMetrics;
import io.moonshard.controller.reconcile.ControllerSettings;
import io.moonshard.controller.reconcile.Keys;
import io.moonshard.controller.reconcile.LeaderGuard;
import io.moonshard.controller.reconcile.Observation;
import io.moonshard.controller.reconcile.Reconciler;
import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.etcd.EtcdStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moonshard-controller server}: one controller instance. It serves the API at once (any
 * instance can take changes: they are transactions on the store), campaigns for leadership, and while
 * it leads runs the {@link Reconciler} every tick. It prints {@code msg=controller-started} once the API
 * listens.
 */
@Command(name = "server", description = "Runs a controller (several may run; one leads, through etcd).")
final class ServerCommand implements Callable<Integer> {

    /** What {@link #call} returns: the process keeps running on its threads. */
    static final int KEEP_RUNNING = -1;

    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--etcd", description = "etcd client endpoints, comma-separated (env MOONSHARD_ETCD; default http://127.0.0.1:2379)")
    String etcd;

    @Option(names = "--listen", description = "host:port of the HTTP API (env MOONSHARD_LISTEN; default 127.0.0.1:7799)")
    String listen;

    @Option(names = "--id", description = "this instance's name (env MOONSHARD_ID; default the listen address)")
    String id;

    @Option(names = "--prefix", defaultValue = "/moonshard", description = "store key prefix (default ${DEFAULT-VALUE})")
    String prefix;

    @Option(names = "--proxy-admin-password", description = "the proxies' admin_password (env MOONSHARD_PROXY_ADMIN_PASSWORD)")
    String adminPassword;

    @Option(names = "--proxy-admin-password-file", description = "file holding it")
    Path adminPasswordFile;

    @Option(names = "--cluster-secret", description = "the proxies' cluster_secret (env MOONSHARD_CLUSTER_SECRET)")
    String clusterSecret;

    @Option(names = "--cluster-secret-file", description = "file holding it")
    Path clusterSecretFile;

    @Option(names = "--api-token-file", description = "file holding the API token every /api request must carry (env MOONSHARD_API_TOKEN inline)")
    Path apiTokenFile;

    @Option(names = "--proxy-lease-ms", defaultValue = "3000", description = "lease granted to each proxy (default ${DEFAULT-VALUE})")
    long proxyLeaseMillis;

    @Option(names = "--redis-down-ms", defaultValue = "500", description = "a master Redis down this long is failed over (default ${DEFAULT-VALUE})")
    long redisDownMillis;

    @Option(names = "--slotless-master-down-ms", defaultValue = "30000", description = "the same for the master of a shard owning no slot, e.g. a new shard whose master loads its seed (default ${DEFAULT-VALUE})")
    long slotlessMasterDownMillis;

    @Option(names = "--proxy-down-ms", defaultValue = "2000", description = "a proxy silent this long (and past its lease) is failed over (default ${DEFAULT-VALUE})")
    long proxyDownMillis;

    @Option(names = "--probe-ms", defaultValue = "100", description = "probe interval per proxy (default ${DEFAULT-VALUE})")
    long probeMillis;

    @Option(names = "--leader-ttl-ms", defaultValue = "2000", description = "the leader's etcd lease (default ${DEFAULT-VALUE})")
    long leaderTtlMillis;

    @Option(names = "--leader-probe-ms", defaultValue = "100", description = "a standby connects to the leader's API port this often and ends its term once refused for 300 ms; 0: off, wait for its lease (default ${DEFAULT-VALUE})")
    long leaderProbeMillis;

    @Override
    public Integer call() throws IOException {
        String endpoints = pick(etcd, "MOONSHARD_ETCD", "http://127.0.0.1:2379");
        String listenAt = pick(listen, "MOONSHARD_LISTEN", "127.0.0.1:7799");
        String name = pick(id, "MOONSHARD_ID", listenAt);
        String admin = secret(adminPassword, adminPasswordFile, "MOONSHARD_PROXY_ADMIN_PASSWORD");
        String secretValue = secret(clusterSecret, clusterSecretFile, "MOONSHARD_CLUSTER_SECRET");
        String token = secret(null, apiTokenFile, "MOONSHARD_API_TOKEN");
        ControllerSettings defaults = ControllerSettings.defaults();
        ControllerSettings settings = new ControllerSettings(Duration.ofMillis(probeMillis), defaults.tick(),
                defaults.proxyTimeout(), Duration.ofMillis(proxyLeaseMillis), Duration.ofMillis(redisDownMillis),
                Duration.ofMillis(slotlessMasterDownMillis), Duration.ofMillis(proxyDownMillis), Duration.ofMillis(leaderTtlMillis), admin, secretValue, defaults.maxConcurrentMoves());
        Keys keys = new Keys(prefix);
        Instance instance = new Instance(EtcdStore.connect(EtcdStore.parseEndpoints(endpoints)), keys, settings, name, listenAt,
                token, leaderProbeMillis > 0 ? Optional.of(Duration.ofMillis(leaderProbeMillis)) : Optional.empty());
        Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "moonshard-controller-shutdown"));
        spec.commandLine().getOut().println("time=" + java.time.Instant.now() + " msg=controller-started id=" + name
                + " listen=" + instance.api.address().getHostString() + ":" + instance.api.address().getPort()
                + " etcd=" + endpoints);
        spec.commandLine().getOut().flush();
        return KEEP_RUNNING;
    }

    private static String pick(String option, String env, String fallback) {
        if (option != null) {
            return option;
        }
        String v = System.getenv(env);
        return v != null && !v.isEmpty() ? v : fallback;
    }

    private static String secret(String inline, Path file, String env) throws IOException {
        if (inline != null) {
            return inline;
        }
        if (file != null) {
            return Files.readString(file).strip();
        }
        String v = System.getenv(env);
        return v == null || v.isEmpty() ? null : v;
    }

    /** A running controller: store, election, API, and the reconciler while leading. */
    static final class Instance implements ControllerView, AutoCloseable {
        private final MetadataStore store;
        private final Keys keys;
        private final ControllerSettings settings;
        private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        private final ControllerMetrics metrics = new ControllerMetrics(registry);
        private final ClusterAdmin admin;
        private final ProxyClients clients;
        /** For SWITCHOVER, which waits for a replica to catch up: longer than a probe may take. */
        private final ProxyClients handoverClients;
        private final LeaderElection election;
        /** Empty with {@code --leader-probe-ms 0}. */
        private final Optional<TcpLeaderProbe> leaderProbe;
        private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "moonshard-reconcile");
            t.setDaemon(true);
            return t;
        });
        private final ApiServer api;
        private volatile Reconciler reconciler;
        private volatile long storeAnsweredNanos;

        /** @param probeEvery how often a standby probes the leader's API port; empty: never */
        Instance(MetadataStore store, Keys keys, ControllerSettings settings, String id, String listenAt, String token,
                 Optional<Duration> probeEvery) throws IOException {
            this.store = store;
            this.keys = keys;
            this.settings = settings;
            this.admin = new ClusterAdmin(store, keys, settings.proxyAdminPassword() != null);
            this.clients = new ProxyClients(settings.proxyAdminPassword(), (int) settings.proxyTimeout().toMillis());
            this.handoverClients = new ProxyClients(settings.proxyAdminPassword(), 10_000);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            int colon = listenAt.lastIndexOf(':');
            this.api = ApiServer.start(new InetSocketAddress(listenAt.substring(0, colon),
                    Integer.parseInt(listenAt.substring(colon + 1))), this, token);
            this.leaderProbe = probeEvery.map(TcpLeaderProbe::new);
            // the API listens before the campaign starts, so a standby's probe of a new leader's address
            // finds it accepting (a refusal then means the process went away)
            this.election = new LeaderElection(store, keys.leader(), new Candidate(id, "http://" + listenAt),
                    settings.leaderTtl(), leaderProbe.map(LeaderProbe.class::cast).orElse(LeaderProbe.NEVER));
            loop.scheduleWithFixedDelay(this::checkStore, 0, 1, TimeUnit.SECONDS);
            election.start(this::elected);
        }

        /** On the election thread: start ticking for this term; stop when it ends. */
        private void elected(Leadership leadership) {
            long since = System.nanoTime();
            LeaderGuard guard = new LeaderGuard() {
                @Override
                public long token() {
                    return leadership.token();
                }

                @Override
                public boolean isLeader() {
                    return leadership.isLeader();
                }

                @Override
                public long sinceNanos() {
                    return since;
                }

                @Override
                public StoreTxn.Builder guard(StoreTxn.Builder txn) {
                    // the leader key is written once per term, so its modRevision is the term's token
                    return txn.unchanged(keys.leader(), leadership.token());
                }
            };
            Reconciler r = new Reconciler(store, keys, clients, settings, guard, metrics);
            reconciler = r;
            metrics.leading(true);
            LOG.info("leading with token {}", leadership.token());
            ScheduledFuture<?> ticks = loop.scheduleWithFixedDelay(() -> {
                try {
                    if (r.tick()) {
                        storeAnsweredNanos = System.nanoTime();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("reconcile tick failed", e);
                }
            }, 0, settings.tick().toMillis(), TimeUnit.MILLISECONDS);
            leadership.onLost(() -> {
                ticks.cancel(false);
                loop.execute(() -> {
                    r.close();
                    if (reconciler == r) {
                        reconciler = null;
                    }
                    metrics.leading(false);
                    LOG.info("leadership (token {}) ended: {}", leadership.token(), leadership.lost().getNow("?"));
                });
            });
        }

        private void checkStore() {
            try {
                store.revision();
                storeAnsweredNanos = System.nanoTime();
            } catch (StoreException e) {
                LOG.debug("store does not answer: {}", e.getMessage());
            }
        }

        @Override
        public ClusterAdmin admin() {
            return admin;
        }

        @Override
        public io.moonshard.controller.reconcile.Switchover switchover() {
            return new io.moonshard.controller.reconcile.Switchover(store, keys, handoverClients);
        }

        @Override
        public Map<String, Observation> observations() {
            Reconciler r = reconciler;
            return r == null ? Map.of() : r.observations();
        }

        @Override
        public Object leader() {
            Optional<LeaderInfo> leader = election.currentLeader();
            return leader.orElse(null);
        }

        @Override
        public boolean isLeader() {
            return election.leadership().isPresent();
        }

        @Override
        public boolean storeReachable() {
            return storeAnsweredNanos != 0 && System.nanoTime() - storeAnsweredNanos < TimeUnit.SECONDS.toNanos(3);
        }

        @Override
        public String scrape() {
            return registry.scrape();
        }

        @Override
        public void close() {
            election.close();
            leaderProbe.ifPresent(TcpLeaderProbe::close);
            loop.shutdownNow();
            Reconciler r = reconciler;
            if (r != null) {
                r.close();
            }
            api.close();
            clients.close();
            handoverClients.close();
            store.close();
        }
    }
}
