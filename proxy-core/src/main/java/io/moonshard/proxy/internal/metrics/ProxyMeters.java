package io.moonshard.proxy.internal.metrics;

import io.moonshard.proxy.LatencyHistogram;
import io.moonshard.proxy.internal.wire.Replies;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics side of one proxy, from construction of its {@code ProxyRuntime} on (so a registry may
 * be bound before start): every loop's {@link LoopStats}, summed at read time; the backend connections
 * by address and state; and the series that exist only once seen.
 *
 * <p>Series appear when first used: {@code moonshard_commands_total{command,outcome}} for a pair once
 * a reply of it completed, the per-address backend meters once a connection to that address exists. A
 * registry bound to the proxy is told by a {@link Listener}, called on the thread that saw the series
 * first (an event loop: at most once per series over the process's life) and, for the series seen
 * before it was bound, when it is added. So a scrape shows the ~20 pairs a workload uses, not the
 * ~1,700 possible ones.
 */
public final class ProxyMeters {

    private static final Logger log = LoggerFactory.getLogger(ProxyMeters.class);

    /** Registers the meters of a series in one registry. Must be idempotent: a series may be reported twice. */
    public interface Listener {
        void commandSeen(int command, int outcome);

        void backendSeen(String address);

        /** A local Redis node got a SETREPL role: its replication series (role, link, lag) appear. */
        default void replicationNodeSeen(String address) {
        }
    }

    private final List<LoopStats> loops = new CopyOnWriteArrayList<>();
    private final AtomicIntegerArray seen = new AtomicIntegerArray(CommandOutcome.commandCount() * CommandOutcome.COUNT);
    private final Map<String, BackendStats> backends = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.Set<String> replicationNodes = ConcurrentHashMap.newKeySet();

    /** A new event loop's counts (see {@code BackendPool}). */
    public LoopStats newLoop() {
        LoopStats stats = new LoopStats(this);
        loops.add(stats);
        return stats;
    }

    /** The state counts of the connections to {@code address}; created, and reported, on first use. */
    public BackendStats backend(String address) {
        BackendStats stats = backends.get(address);
        if (stats == null) {
            BackendStats created = new BackendStats();
            stats = backends.putIfAbsent(address, created);
            if (stats == null) {
                stats = created;
                for (Listener listener : listeners) {
                    report(() -> listener.backendSeen(address));
                }
            }
        }
        return stats;
    }

    /** The replication engine keeps {@code address}; reported once per address. */
    public void replicationNodeSeen(String address) {
        if (replicationNodes.add(address)) {
            for (Listener listener : listeners) {
                report(() -> listener.replicationNodeSeen(address));
            }
        }
    }

    /** A loop completed its first reply of this pair; the first loop to do so reports the series. */
    void commandSeen(int command, int outcome) {
        int pair = command * CommandOutcome.COUNT + outcome;
        if (seen.get(pair) == 0 && seen.compareAndSet(pair, 0, 1)) {
            for (Listener listener : listeners) {
                report(() -> listener.commandSeen(command, outcome));
            }
        }
    }

    /**
     * Adds a registry's listener and reports to it every series seen so far. Added before the replay:
     * a series seen meanwhile is reported by whichever side sees the other (both may: listeners are
     * idempotent).
     */
    public void addListener(Listener listener) {
        listeners.add(listener);
        for (int pair = 0; pair < seen.length(); pair++) {
            if (seen.get(pair) != 0) {
                listener.commandSeen(pair / CommandOutcome.COUNT, pair % CommandOutcome.COUNT);
            }
        }
        for (String address : backends.keySet()) {
            listener.backendSeen(address);
        }
        for (String address : replicationNodes) {
            listener.replicationNodeSeen(address);
        }
    }

    private static void report(Runnable registration) {
        try {
            registration.run();
        } catch (RuntimeException e) {
            // a registry refusing a meter must not fail the command that revealed the series
            log.warn("event=meter_registration_failed cause=\"{}\"", e.toString());
        }
    }

    // ---- reads, from any thread: sums over the loops ----

    public long commands(int command, int outcome) {
        long total = 0;
        for (LoopStats loop : loops) {
            total += loop.commands(command, outcome);
        }
        return total;
    }

    /** Replies with {@code outcome}, every command together. */
    public long outcomes(int outcome) {
        long total = 0;
        for (int pair = outcome; pair < seen.length(); pair += CommandOutcome.COUNT) {
            if (seen.get(pair) != 0) {
                total += commands(pair / CommandOutcome.COUNT, outcome);
            }
        }
        return total;
    }

    /** The sum over loops of a {@link LoopStats} scalar ({@link LoopStats#CLIENT_RECEIVED_BYTES}, ...). */
    public long total(int slot) {
        long total = 0;
        for (LoopStats loop : loops) {
            total += loop.read(slot);
        }
        return total;
    }

    public static final String COMMAND_DURATION = "moonshard.command.duration";
    public static final String COMMAND_DURATION_HELP = "Commands from decoded request to complete reply, as the proxy "
            + "sees them (commands that may block, such as BLPOP, left out)";
    public static final String BACKEND_DURATION = "moonshard.backend.duration";
    public static final String BACKEND_DURATION_HELP = "Backend requests from write to the backend to its reply "
            + "(commands that may block left out)";

    /** Requests decoded to reply complete (blocking commands left out). */
    public LatencyHistogram commandLatency() {
        return histogram(LoopStats.COMMAND_LATENCY, COMMAND_DURATION, COMMAND_DURATION_HELP);
    }

    /** Backend requests from write to reply (blocking commands left out). */
    public LatencyHistogram backendLatency() {
        return histogram(LoopStats.BACKEND_LATENCY, BACKEND_DURATION, BACKEND_DURATION_HELP);
    }

    private LatencyHistogram histogram(int base, String name, String description) {
        long[] counts = new long[LatencyBuckets.BUCKETS];
        long sumNanos = 0;
        for (LoopStats loop : loops) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += loop.read(base + i);
            }
            sumNanos += loop.read(base + LatencyBuckets.BUCKETS);
        }
        return new LatencyHistogram(name, description, LatencyBuckets.upperBoundsSeconds(), counts, sumNanos / 1e9);
    }

    /** Count of the histogram at {@code base} ({@link LoopStats#COMMAND_LATENCY}, ...), for a function timer. */
    public long histogramCount(int base) {
        long total = 0;
        for (LoopStats loop : loops) {
            for (int i = 0; i < LatencyBuckets.BUCKETS; i++) {
                total += loop.read(base + i);
            }
        }
        return total;
    }

    /** Sum in nanoseconds of the histogram at {@code base}. */
    public long histogramSumNanos(int base) {
        return total(base + LatencyBuckets.BUCKETS);
    }

    /** The connection counts of {@code address}, or null for an address never used. */
    public BackendStats backendStats(String address) {
        return backends.get(address);
    }

    /** Reconnects to every backend. */
    public long reconnects() {
        long total = 0;
        for (BackendStats stats : backends.values()) {
            total += stats.reconnects();
        }
        return total;
    }

    /** Backend connections in {@code state} ({@link BackendStats#CONNECTED}, ...), every address together. */
    public long backendConnections(int state) {
        long total = 0;
        for (BackendStats stats : backends.values()) {
            total += stats.connections(state);
        }
        return total;
    }

    /**
     * Backend connections to one address, by state; changed on state transitions only (connect, failure,
     * loss, close), never per command, so plain atomics are fine here.
     */
    public static final class BackendStats {
        public static final int CONNECTING = 0;
        public static final int CONNECTED = 1;
        public static final int BROKEN = 2;
        public static final String[] STATE_NAMES = {"connecting", "connected", "broken"};

        private final AtomicIntegerArray states = new AtomicIntegerArray(3);
        private final AtomicLong reconnects = new AtomicLong();

        /** A connection left state {@code from} for {@code to}; -1 stands for a state not counted (idle, closed). */
        public void transition(int from, int to) {
            if (from >= 0) {
                states.decrementAndGet(from);
            }
            if (to >= 0) {
                states.incrementAndGet(to);
            }
        }

        /** A connection tries again after its last attempt failed or its connection was lost. */
        public void reconnect() {
            reconnects.incrementAndGet();
        }

        public int connections(int state) {
            return states.get(state);
        }

        public long reconnects() {
            return reconnects.get();
        }
    }
}
