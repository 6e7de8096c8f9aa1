package io.moonshard.controller.reconcile;

import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.proxyclient.Reply;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wipes ({@code UMCTL WIPE}) this leader asks of proxies that a cluster let go, so that no cluster
 * ever gets a proxy whose Redis hold another's data. A wipe waits for the proxy's migration tasks and
 * flushes whole Redis nodes, which can take seconds, so it runs on threads of its own: the reconciler's
 * tick never waits for one (another cluster's failover would). One wipe runs per proxy at a time; a
 * refused one is asked again after {@code retryNanos}.
 *
 * <p>{@link #wiped} answers for a wipe at an epoch and a round (a delete with moves in flight wipes every
 * proxy twice at the same epoch: see {@link Reconciler}). What it remembers is this leader's only: a new
 * leader wipes again, which re-flushes empty nodes and is harmless. Confined to the reconciler's thread,
 * but for the futures the wipe threads complete.
 */
final class Wipes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Wipes.class);

    /** A wipe asked for: its epoch and round, and the proxy's answer once it came. */
    private record Job(long epoch, int round, CompletableFuture<Reply> reply) {
    }

    /** The last wipe seen done per proxy: {epoch, round}. */
    private record Done(long epoch, int round) {
    }

    private final ProxyClients clients;
    private final long retryNanos;
    private final ExecutorService threads;
    private final Map<String, Job> running = new HashMap<>();
    private final Map<String, Done> done = new HashMap<>();
    private final Map<String, Long> refusedAt = new HashMap<>();

    /** @param clients links with a read timeout long enough for a flush (a WIPE answers once it is done) */
    Wipes(ProxyClients clients, long retryNanos) {
        this.clients = clients;
        this.retryNanos = retryNanos;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "moonshard-wipe-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * True once this leader has seen {@code proxy} answer {@code +OK} to a wipe at {@code epoch} of at
     * least {@code round}; otherwise asks for that wipe of {@code nodes} in the background (unless one of
     * this proxy runs, or one was refused moments ago) and returns false: a later tick asks again.
     */
    boolean wiped(String proxy, long epoch, int round, List<String> nodes) {
        return wiped(proxy, epoch, round, false, nodes);
    }

    /** As {@link #wiped(String, long, int, List)}; with {@code redirect} the proxy keeps its peers (a scale-in's). */
    boolean wiped(String proxy, long epoch, int round, boolean redirect, List<String> nodes) {
        collect(proxy);
        Done d = done.get(proxy);
        if (d != null && d.epoch() == epoch && d.round() >= round) {
            return true;
        }
        if (running.containsKey(proxy)) {
            return false;
        }
        Long refused = refusedAt.get(proxy);
        if (refused != null && System.nanoTime() - refused < retryNanos) {
            return false;
        }
        running.put(proxy, new Job(epoch, round, CompletableFuture.supplyAsync(() -> clients.wipe(proxy, epoch, redirect, nodes), threads)));
        return false;
    }

    /** Whether this leader's last wipe seen done of {@code proxy} was at {@code epoch}: it holds what that wipe left. */
    boolean wipedAt(String proxy, long epoch) {
        collect(proxy);
        Done d = done.get(proxy);
        return d != null && d.epoch() == epoch;
    }

    /** Whether a wipe of {@code proxy} is under way: nothing else may be pushed to it meanwhile. */
    boolean running(String proxy) {
        collect(proxy);
        return running.containsKey(proxy);
    }

    /** Takes in the answer of {@code proxy}'s wipe if it came. */
    private void collect(String proxy) {
        Job job = running.get(proxy);
        if (job == null || !job.reply().isDone()) {
            return;
        }
        running.remove(proxy);
        Reply reply = job.reply().getNow(null);
        if (reply != null && reply.outcome() == Reply.Outcome.OK) {
            done.put(proxy, new Done(job.epoch(), job.round()));
            refusedAt.remove(proxy);
            LOG.info("proxy {} wiped at epoch {} (round {}): it serves nothing and its Redis are empty masters", proxy,
                    job.epoch(), job.round());
        } else {
            refusedAt.put(proxy, System.nanoTime());
            LOG.warn("proxy {}: wipe at epoch {} not done: {}", proxy, job.epoch(), reply == null ? "no answer" : reply.detail());
        }
    }

    /** Forgets the proxies that left the pool. */
    void retain(Set<String> proxies) {
        running.keySet().retainAll(proxies);
        done.keySet().retainAll(proxies);
        refusedAt.keySet().retainAll(proxies);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
