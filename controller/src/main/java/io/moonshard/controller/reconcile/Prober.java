package io.moonshard.controller.reconcile;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.proxyclient.ProxyProbe;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every proxy of the pool on its own schedule, so a paused proxy (whose probe waits out the
 * timeout) never delays the others: each round sends the lease renewal (when the leadership still
 * holds), GETEPOCH and INFOREPL, and folds the answer into that proxy's {@link Observation}.
 */
public final class Prober implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Prober.class);

    private final ProxyClients clients;
    private final long intervalMillis;
    private final long leaseTtlMillis;
    /**
     * The token to renew a proxy's lease with: the leadership's fencing token while it is valid and the
     * proxy holds the metadata it should, else 0 (no renewal: a proxy that missed a change must not go
     * on serving on an old layout).
     */
    private final ToLongFunction<String> leaseToken;
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final ConcurrentMap<String, ScheduledFuture<?>> tasks = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Observation> observations = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Boolean> running = new ConcurrentHashMap<>();

    public Prober(ProxyClients clients, long intervalMillis, long leaseTtlMillis, ToLongFunction<String> leaseToken) {
        this.clients = clients;
        this.intervalMillis = intervalMillis;
        this.leaseTtlMillis = leaseTtlMillis;
        this.leaseToken = leaseToken;
        this.timer = Executors.newSingleThreadScheduledExecutor(named("moonshard-probe-timer"));
        this.workers = Executors.newCachedThreadPool(named("moonshard-probe"));
    }

    /** Probes exactly {@code proxies} from now on. */
    public void track(Set<String> proxies) {
        for (String p : proxies) {
            tasks.computeIfAbsent(p, a -> timer.scheduleWithFixedDelay(() -> kick(a), 0, intervalMillis,
                    TimeUnit.MILLISECONDS));
        }
        for (String p : Set.copyOf(tasks.keySet())) {
            if (!proxies.contains(p)) {
                ScheduledFuture<?> f = tasks.remove(p);
                if (f != null) {
                    f.cancel(false);
                }
                observations.remove(p);
                clients.forget(p);
            }
        }
    }

    /** The latest observations, by proxy address. */
    public Map<String, Observation> observations() {
        return Map.copyOf(observations);
    }

    /** Probes {@code proxy} now, off schedule (after a push, so the new epoch is seen at once). */
    public void probeSoon(String proxy) {
        if (tasks.containsKey(proxy)) {
            kick(proxy);
        }
    }

    private void kick(String proxy) {
        // one probe of a proxy at a time: a slow one is not queued up behind itself
        if (running.putIfAbsent(proxy, Boolean.TRUE) != null) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    probe(proxy);
                } catch (RuntimeException e) {
                    LOG.warn("probe of {} failed", proxy, e);
                } finally {
                    running.remove(proxy);
                }
            });
        } catch (RuntimeException rejected) {
            running.remove(proxy); // shutting down
        }
    }

    private void probe(String proxy) {
        long token = leaseToken.applyAsLong(proxy);
        long started = System.nanoTime();
        ProxyProbe probe = clients.probe(proxy, token, leaseTtlMillis);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        if (tookMillis > 3_000) {
            LOG.warn("probe of {} took {} ms", proxy, tookMillis);
        }
        Observation before = observations.get(proxy);
        observations.compute(proxy, (a, b) -> fold(b, probe));
        boolean wasReachable = before == null || before.reachable();
        if (wasReachable != probe.reachable()) {
            if (probe.reachable()) {
                LOG.info("proxy {} answers again", proxy);
            } else {
                LOG.warn("proxy {} does not answer: {}", proxy, probe.error());
            }
        }
        boolean refusedBefore = before != null && before.last() != null && before.last().lease() != null
                && !before.last().lease().done();
        if (probe.lease() != null && !probe.lease().done() && !refusedBefore) {
            LOG.warn("proxy {} refused its lease renewal: {}", proxy, probe.lease().detail());
        }
    }

    static Observation fold(Observation before, ProxyProbe probe) {
        long leaseAck = before == null ? 0 : before.leaseAckNanos();
        if (probe.lease() != null && probe.lease().done()) {
            leaseAck = probe.receivedNanos();
        }
        long leaseSent = before == null ? 0 : before.leaseSentNanos();
        if (probe.leaseSent()) {
            leaseSent = Math.max(leaseSent, probe.sentNanos());
        }
        long unreachableSince = 0;
        if (!probe.reachable()) {
            unreachableSince = before != null && before.unreachableSinceNanos() != 0 ? before.unreachableSinceNanos()
                    : probe.sentNanos();
        }
        long refusedSince = 0;
        if (!probe.reachable() && probe.error() != null && probe.error().contains("Connection refused")) {
            refusedSince = before != null && before.refusedSinceNanos() != 0 ? before.refusedSinceNanos() : probe.sentNanos();
        }
        Map<String, Long> down = new HashMap<>();
        if (probe.reachable()) {
            for (InfoReplEntry e : probe.entries()) {
                if (e.master() && "down".equals(e.state())) {
                    Long since = before == null ? null : before.masterDownSinceNanos().get(e.node());
                    down.put(e.node(), since != null ? since : probe.sentNanos());
                }
            }
        } else if (before != null) {
            down.putAll(before.masterDownSinceNanos()); // unknown now: keep what was seen
        }
        return new Observation(probe, leaseSent, leaseAck, unreachableSince, refusedSince, down);
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdownNow();
    }
}
