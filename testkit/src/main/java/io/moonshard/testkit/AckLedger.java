package io.moonshard.testkit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The acknowledged-write ledger of issue 14: W worker threads write through a Lettuce cluster client
 * (adaptive topology refresh on MOVED/ASK, up to 8 redirects) while the cluster changes under them,
 * and record what Redis acknowledged; {@link #check()} then reads every key back and reports what
 * was lost or applied twice.
 *
 * <ul>
 *   <li>Counters: {@code INCR}, shared by all workers. An acknowledged INCR counts once; a failed or
 *       timed-out one is "maybe" (its effect is unknown). A counter must end in
 *       {@code [acked, acked + maybe]}.</li>
 *   <li>Versioned keys: {@code SET key v<n>} and {@code DEL key}, each key owned by one worker, so its
 *       ops are sequential and the last acknowledged one is well defined. When an op is in doubt the
 *       worker retires the key (a timed-out command may still land later, after anything sent
 *       after it), so the key must end at its last acknowledged state or at that one in-doubt op's.</li>
 * </ul>
 * The keys must not exist before {@link #start}. Each worker has its own connection; workers stop
 * at the deadline, after their op budget, or at {@link #stop()}, whichever comes first.
 *
 * <p>Where proxies are killed (proxy-server's jar ITs), build it with
 * {@link Builder#rejectUnansweredAfterReconnect(boolean) rejectUnansweredAfterReconnect(true)}: its
 * workers' cluster client then never replays a command after a reconnect (see {@link #clusterClient}),
 * and a worker whose command was rejected at once pauses {@link #FAILURE_BACKOFF}.
 */
public final class AckLedger implements AutoCloseable {

    /** Per-worker op budget: bounds a run even when the deadline is far. */
    public static final long MAX_OPS_PER_WORKER = 2_000_000;
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** The pause of a worker after a command failed fast (rejected while its node's connection is down). */
    public static final Duration FAILURE_BACKOFF = Duration.ofMillis(200);

    /** What the ledger expects of a counter. */
    public record CounterExpectation(long acked, long maybe) {
    }

    /** What the ledger expects of a versioned key: its last acknowledged value (null: absent), and the in-doubt one. */
    public record VersionedExpectation(String acked, boolean hasDoubt, String doubt) {
    }

    /** The outcome of {@link #check()}. */
    public record Summary(long acknowledged, long inDoubt, long incrsAcked, long setsAcked, long delsAcked,
                   Duration ran, int keysChecked, Map<String, Long> errors, List<String> violations) {

        public boolean clean() {
            return violations.isEmpty();
        }

        /** A readable account, for assertion messages. */
        public String describe() {
            StringBuilder sb = new StringBuilder("AckLedger: ").append(acknowledged).append(" ops acknowledged (INCR ")
                    .append(incrsAcked).append(", SET ").append(setsAcked).append(", DEL ").append(delsAcked)
                    .append("), ").append(inDoubt).append(" in doubt, in ").append(ran.toMillis()).append(" ms; ")
                    .append(keysChecked).append(" keys checked");
            if (!errors.isEmpty()) {
                sb.append("\n errors:");
                errors.forEach((m, n) -> sb.append("\n   ").append(n).append(" x ").append(m));
            }
            if (violations.isEmpty()) {
                sb.append("\n no violations");
            } else {
                sb.append("\n ").append(violations.size()).append(" violation(s):");
                violations.stream().limit(50).forEach(v -> sb.append("\n   - ").append(v));
                if (violations.size() > 50) {
                    sb.append("\n   ... and ").append(violations.size() - 50).append(" more");
                }
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** One versioned key; written only by its owner worker, read by check() after the workers ended. */
    private static final class Versioned {
        final String key;
        int version;
        String acked; // null: absent (the initial state)
        boolean hasDoubt;
        String doubt; // null: a DEL in doubt
        volatile boolean retired;

        Versioned(String key) {
            this.key = key;
        }
    }

    /** host:port of the proxies the cluster client starts from. */
    private final List<String> seeds;
    private final int workers;
    private final List<String> counters;
    private final Map<String, AtomicLong> counterAcked = new LinkedHashMap<>();
    private final Map<String, AtomicLong> counterMaybe = new LinkedHashMap<>();
    private final List<Versioned> versioned = new ArrayList<>();
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder inDoubt = new LongAdder();
    private final LongAdder incrs = new LongAdder();
    private final LongAdder sets = new LongAdder();
    private final LongAdder dels = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final boolean rejectUnanswered;
    private final Duration periodicRefresh;
    private final RedisClusterClient client;
    private ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();
    private long startNanos;
    private long endNanos;

    /**
     * A ledger with Lettuce's default disconnected behaviour (commands unanswered at a reconnect are
     * re-sent): fine while no proxy is killed. See {@link #builder} for the other.
     *
     * @param seedPorts   loopback ports of the proxies the cluster client starts from
     * @param workers     worker threads
     * @param counterKeys keys for INCR
     * @param versionedKeys keys for SET/DEL; key i belongs to worker {@code i % workers}
     */
    public AckLedger(List<Integer> seedPorts, int workers, List<String> counterKeys, List<String> versionedKeys) {
        this(loopback(seedPorts), workers, counterKeys, versionedKeys, false, null);
    }

    private AckLedger(List<String> seeds, int workers, List<String> counterKeys, List<String> versionedKeys,
                      boolean rejectUnanswered, Duration periodicRefresh) {
        if (workers < 1 || counterKeys.isEmpty()) {
            throw new IllegalArgumentException("need a worker and a counter");
        }
        this.seeds = List.copyOf(seeds);
        this.workers = workers;
        this.counters = List.copyOf(counterKeys);
        this.rejectUnanswered = rejectUnanswered;
        this.periodicRefresh = periodicRefresh;
        for (String k : counters) {
            counterAcked.put(k, new AtomicLong());
            counterMaybe.put(k, new AtomicLong());
        }
        for (String k : versionedKeys) {
            versioned.add(new Versioned(k));
        }
        this.client = clusterClientAt(this.seeds, rejectUnanswered, periodicRefresh);
    }

    /** A builder, with the constructor's arguments; its options default as the constructor's. */
    public static Builder builder(List<Integer> seedPorts, int workers, List<String> counterKeys,
                                  List<String> versionedKeys) {
        return new Builder(loopback(seedPorts), workers, counterKeys, versionedKeys);
    }

    /** As {@link #builder}, seeded with {@code host:port} addresses (proxies on several loopback hosts). */
    public static Builder builderAt(List<String> seeds, int workers, List<String> counterKeys,
                                    List<String> versionedKeys) {
        return new Builder(seeds, workers, counterKeys, versionedKeys);
    }

    private static List<String> loopback(List<Integer> ports) {
        return ports.stream().map(port -> "127.0.0.1:" + port).toList();
    }

    /** Builds an {@link AckLedger} with options. */
    public static final class Builder {
        private final List<String> seeds;
        private final int workers;
        private final List<String> counterKeys;
        private final List<String> versionedKeys;
        private boolean rejectUnanswered;
        private Duration periodicRefresh;

        private Builder(List<String> seeds, int workers, List<String> counterKeys, List<String> versionedKeys) {
            this.seeds = seeds;
            this.workers = workers;
            this.counterKeys = counterKeys;
            this.versionedKeys = versionedKeys;
        }

        /**
         * true: the workers' cluster client fails (does not re-send) the commands a connection had
         * not seen answered when it dropped, and rejects commands while it is down; a worker whose
         * command failed other than by a timeout then pauses {@link #FAILURE_BACKOFF}. For tests that
         * kill proxies. The checker's reads keep Lettuce's defaults either way. Default false.
         */
        public Builder rejectUnansweredAfterReconnect(boolean reject) {
            this.rejectUnanswered = reject;
            return this;
        }

        /**
         * Also refresh the topology every {@code period}, as cluster clients are set up where a node can
         * stop answering without closing its connections (a paused process): nothing else tells Lettuce
         * to look again. Default: no periodic refresh.
         */
        public Builder periodicRefresh(Duration period) {
            this.periodicRefresh = period;
            return this;
        }

        public AckLedger build() {
            return new AckLedger(seeds, workers, counterKeys, versionedKeys, rejectUnanswered, periodicRefresh);
        }
    }

    /**
     * A Lettuce cluster client seeded with every port: adaptive refresh on MOVED/ASK and the other
     * triggers (at most one refresh per second), up to 8 redirects, commands timing out after 5 s,
     * and Lettuce's default disconnected behaviour.
     */
    public static RedisClusterClient clusterClient(List<Integer> ports) {
        return clusterClient(ports, false);
    }

    /**
     * Like {@link #clusterClient(List)}; with {@code rejectUnanswered}, no replay of unanswered
     * commands after a reconnect: they fail instead (false for the checker's reads: GET is safe to
     * replay).
     */
    public static RedisClusterClient clusterClient(List<Integer> ports, boolean rejectUnanswered) {
        return clusterClient(ports, rejectUnanswered, null);
    }

    /** Like {@link #clusterClient(List, boolean)}, refreshing the topology every {@code periodicRefresh} too (null: never). */
    public static RedisClusterClient clusterClient(List<Integer> ports, boolean rejectUnanswered, Duration periodicRefresh) {
        return clusterClientAt(loopback(ports), rejectUnanswered, periodicRefresh);
    }

    /** Like {@link #clusterClient(List, boolean, Duration)}, seeded with {@code host:port} addresses. */
    @SuppressWarnings("deprecation") // Lettuce 7 deprecates the adaptive-trigger switches, still the way to get MOVED/ASK refreshes
    public static RedisClusterClient clusterClientAt(List<String> addresses, boolean rejectUnanswered, Duration periodicRefresh) {
        List<RedisURI> seeds = new ArrayList<>();
        for (String address : addresses) {
            RedisURI seed = RedisURI.create("redis://" + address);
            seed.setTimeout(COMMAND_TIMEOUT);
            seeds.add(seed);
        }
        RedisClusterClient c = QuietShutdownClusterClient.create(seeds); // see there: a refresh at shutdown leaks
        ClusterClientOptions.Builder options = ClusterClientOptions.builder();
        // By default Lettuce replays, after a reconnect, the commands a connection had sent and not seen
        // answered (at-least-once; the replay filter does not apply to those): a command to a proxy killed
        // after forwarding it would apply twice and be acknowledged once. Where proxies are killed, a
        // connection that drops fails its unanswered commands (in doubt, as they should be) and rejects
        // new ones until it is back (the worker then backs off, see failed()).
        if (rejectUnanswered) {
            options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        }
        c.setOptions(options
                .topologyRefreshOptions(refresh(ClusterTopologyRefreshOptions.builder(), periodicRefresh)
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                        .build())
                .maxRedirects(8)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .build());
        return c;
    }

    // ---- keys --------------------------------------------------------------------------------

    private static ClusterTopologyRefreshOptions.Builder refresh(ClusterTopologyRefreshOptions.Builder b, Duration period) {
        return period == null ? b : b.enablePeriodicRefresh(period);
    }

    /**
     * {@code count} distinct keys {@code <prefix>:<i>{<tag>}} spread evenly over the slots of
     * {@code ranges} ({@code {start, end}}, inclusive), by Lettuce's slot function ({@link Slots}).
     */
    public static List<String> keysInSlots(String prefix, int count, int[]... ranges) {
        return keysIn(prefix, count, MigrationCoordinator.toBits(List.of(ranges)));
    }

    /** Like {@link #keysInSlots}, over the slots NOT in {@code ranges}. */
    public static List<String> keysOutsideSlots(String prefix, int count, int[]... ranges) {
        BitSet outside = MigrationCoordinator.toBits(List.of(ranges));
        outside.flip(0, Slots.SLOT_COUNT);
        return keysIn(prefix, count, outside);
    }

    private static List<String> keysIn(String prefix, int count, BitSet slots) {
        int[] list = slots.stream().toArray();
        if (list.length == 0) {
            throw new IllegalArgumentException("no slots");
        }
        List<String> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int slot = list[(int) ((long) i * list.length / count) % list.length];
            String key = Slots.keyIn(slot, prefix + ":" + i);
            if (Slots.slotOf(key) != slot) {
                throw new IllegalStateException("key " + key + " is not in slot " + slot);
            }
            keys.add(key);
        }
        return keys;
    }

    // ---- running -----------------------------------------------------------------------------

    /** Starts the workers; they stop by themselves after {@code maxRun}. */
    public void start(Duration maxRun) {
        if (pool != null) {
            throw new IllegalStateException("started already");
        }
        pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "ack-ledger-worker");
            t.setDaemon(true);
            return t;
        });
        List<StatefulRedisClusterConnection<String, String>> connections = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            connections.add(client.connect()); // before the clock starts: connecting takes a while on a busy box
        }
        startNanos = System.nanoTime();
        long deadline = startNanos + maxRun.toNanos();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            StatefulRedisClusterConnection<String, String> connection = connections.get(w);
            tasks.add(pool.submit(() -> {
                try (connection) {
                    work(worker, connection.sync(), deadline);
                }
                return null;
            }));
        }
    }

    private void work(int worker, RedisAdvancedClusterCommands<String, String> redis, long deadline) {
        SplittableRandom random = new SplittableRandom(worker * 7919L + 17);
        List<Versioned> mine = new ArrayList<>();
        for (int i = worker; i < versioned.size(); i += workers) {
            mine.add(versioned.get(i));
        }
        for (long op = 0; op < MAX_OPS_PER_WORKER && !stop.get() && System.nanoTime() < deadline; op++) {
            int dice = random.nextInt(100);
            Versioned v = mine.isEmpty() ? null : mine.get(random.nextInt(mine.size()));
            if (v == null || v.retired || dice < 50) {
                incr(redis, counters.get(random.nextInt(counters.size())));
            } else if (dice < 85) {
                set(redis, v);
            } else {
                del(redis, v);
            }
        }
    }

    private void incr(RedisAdvancedClusterCommands<String, String> redis, String key) {
        try {
            redis.incr(key);
            counterAcked.get(key).incrementAndGet();
            incrs.increment();
            acknowledged.increment();
        } catch (RuntimeException e) {
            counterMaybe.get(key).incrementAndGet();
            failed(e);
        }
    }

    private void set(RedisAdvancedClusterCommands<String, String> redis, Versioned v) {
        String value = "v" + (++v.version);
        try {
            String reply = redis.set(v.key, value);
            if (!"OK".equals(reply)) {
                throw new IllegalStateException("SET answered " + reply);
            }
            v.acked = value;
            sets.increment();
            acknowledged.increment();
        } catch (RuntimeException e) {
            doubt(v, value, e);
        }
    }

    private void del(RedisAdvancedClusterCommands<String, String> redis, Versioned v) {
        try {
            redis.del(v.key);
            v.acked = null;
            dels.increment();
            acknowledged.increment();
        } catch (RuntimeException e) {
            doubt(v, null, e);
        }
    }

    private void doubt(Versioned v, String value, RuntimeException e) {
        v.hasDoubt = true;
        v.doubt = value;
        v.retired = true;
        failed(e);
    }

    private void failed(RuntimeException e) {
        inDoubt.increment();
        if (rejectUnanswered && !(e instanceof io.lettuce.core.RedisCommandTimeoutException)) {
            // a rejected command fails at once: do not run through the keys while a proxy is down
            java.util.concurrent.locks.LockSupport.parkNanos(FAILURE_BACKOFF.toNanos());
        }
        String message = Objects.toString(e.getMessage(), "");
        message = message.replaceAll("\\d+", "#");
        if (message.length() > 160) {
            message = message.substring(0, 160) + "...";
        }
        errors.computeIfAbsent(e.getClass().getSimpleName() + ": " + message, m -> new LongAdder()).increment();
    }

    public long acknowledged() {
        return acknowledged.sum();
    }

    /** Waits until at least {@code n} more ops than now are acknowledged, or fails after {@code timeout}. */
    public void awaitMoreAcknowledged(long n, Duration timeout) {
        long target = acknowledged() + n;
        org.awaitility.Awaitility.await("the ledger acknowledging " + n + " more ops")
                .pollInterval(Duration.ofMillis(10)).atMost(timeout)
                .until(() -> acknowledged() >= target || workersDone());
        if (acknowledged() < target) {
            throw new AssertionError("the workers ended before acknowledging " + n + " more ops: " + errorsText());
        }
    }

    private boolean workersDone() {
        return tasks.stream().allMatch(Future::isDone);
    }

    /** Waits for the workers to end by themselves (deadline or budget) and rethrows what they threw. */
    public void awaitFinished(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Future<?> task : tasks) {
            try {
                task.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a ledger worker failed", e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("the ledger workers did not end within " + timeout);
            }
        }
        endNanos = System.nanoTime();
        if (pool != null) {
            pool.shutdown();
        }
    }

    /** Tells the workers to stop, and waits for them (at most 30 s: one command timeout and change). */
    public void stop() {
        stop.set(true);
        awaitFinished(Duration.ofSeconds(30));
    }

    public CounterExpectation counterExpectation(String key) {
        return new CounterExpectation(counterAcked.get(key).get(), counterMaybe.get(key).get());
    }

    public VersionedExpectation versionedExpectation(String key) {
        for (Versioned v : versioned) {
            if (v.key.equals(key)) {
                return new VersionedExpectation(v.acked, v.hasDoubt, v.doubt);
            }
        }
        throw new IllegalArgumentException("not a versioned key: " + key);
    }

    // ---- checking ----------------------------------------------------------------------------

    /**
     * Reads every key through a fresh cluster client and compares it with the ledger. Call after
     * {@link #stop()} or {@link #awaitFinished}.
     */
    public Summary check() {
        if (!workersDone()) {
            throw new IllegalStateException("stop the workers first");
        }
        List<String> violations = new ArrayList<>();
        RedisClusterClient reader = clusterClientAt(seeds, false, null);
        int checked = 0;
        try (StatefulRedisClusterConnection<String, String> connection = reader.connect()) {
            RedisAdvancedClusterCommands<String, String> redis = connection.sync();
            for (String key : counters) {
                checked++;
                long acked = counterAcked.get(key).get();
                long maybe = counterMaybe.get(key).get();
                String raw;
                try {
                    raw = read(redis, key);
                } catch (RuntimeException e) {
                    violations.add("counter " + key + " could not be read: " + e);
                    continue;
                }
                long value;
                try {
                    value = raw == null ? 0 : Long.parseLong(raw);
                } catch (NumberFormatException e) {
                    violations.add("counter " + key + " holds '" + raw + "', not a number (acknowledged INCRs " + acked + ")");
                    continue;
                }
                if (value < acked) {
                    violations.add("counter " + key + " = " + value + ", but " + acked + " INCRs were acknowledged ("
                            + maybe + " in doubt): " + (acked - value) + " acknowledged INCR(s) lost");
                } else if (value > acked + maybe) {
                    violations.add("counter " + key + " = " + value + ", but only " + acked + " INCRs were acknowledged and "
                            + maybe + " in doubt: " + (value - acked - maybe) + " applied twice (or from nowhere)");
                }
            }
            for (Versioned v : versioned) {
                checked++;
                String value;
                try {
                    value = read(redis, v.key);
                } catch (RuntimeException e) {
                    violations.add("key " + v.key + " could not be read: " + e);
                    continue;
                }
                boolean ok = Objects.equals(value, v.acked) || (v.hasDoubt && Objects.equals(value, v.doubt));
                if (!ok) {
                    violations.add("key " + v.key + " holds " + shown(value) + ", but its last acknowledged op left "
                            + shown(v.acked) + (v.hasDoubt ? " (the op after it, in doubt, would leave " + shown(v.doubt) + ")" : "")
                            + "; last version written v" + v.version);
                }
            }
        } finally {
            reader.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((m, n) -> errorCounts.put(m, n.sum()));
        return new Summary(acknowledged.sum(), inDoubt.sum(), incrs.sum(), sets.sum(), dels.sum(),
                Duration.ofNanos(end - startNanos), checked, Collections.unmodifiableMap(errorCounts),
                List.copyOf(violations));
    }

    /** GET, tried up to 3 times (a read is idempotent; the cluster may be settling). */
    private static String read(RedisAdvancedClusterCommands<String, String> redis, String key) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return redis.get(key);
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    private static String shown(String value) {
        return value == null ? "(absent)" : "'" + value + "'";
    }

    private String errorsText() {
        Map<String, Long> m = new TreeMap<>();
        errors.forEach((k, n) -> m.put(k, n.sum()));
        return m.toString();
    }

    @Override
    public void close() {
        stop.set(true);
        if (pool != null) {
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
}
