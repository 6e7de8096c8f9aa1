package io.moonshard.proxy.internal.metadata;

import io.moonshard.cluster.render.ClusterView;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetClusterRequest;
import io.moonshard.cluster.umctl.SlotMapCheck;
import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.ProxyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's cluster metadata: one immutable {@link ClusterSnapshot} (with its rendered
 * {@link ClusterView}) behind one reference. {@code UMCTL SETCLUSTER} swaps it whole with a
 * compare-and-set on the epoch; every command reads it once.
 *
 * <p>SETCLUSTERs are applied one at a time, in the order they arrive. A small plain one is applied
 * on the client's event loop, so the client's next command already sees it; a COMPRESS one, or a
 * large one, is parsed and applied on a thread of its own ({@link #applySetCluster(boolean, Supplier,
 * Runnable, Executor, Consumer)}), so inflating and parsing it never holds up an event loop.
 */
public final class ClusterState {

    private static final Logger log = LoggerFactory.getLogger(ClusterState.class);

    /**
     * A snapshot and the CLUSTER replies derived from it, published together: {@code view} for plain
     * clients, {@code tlsView} (TLS ports shown, see {@link TransportAddresses}) for TLS clients, and
     * {@code peerSince}: when each peer proxy first appeared in the metadata, in ms since the epoch
     * (kept while later snapshots list it), for CLUSTER LINKS.
     */
    public record Current(ClusterSnapshot snapshot, ClusterView view, ClusterView tlsView, Map<String, Long> peerSince) {
    }

    /** SETCLUSTERs waiting for or running on the applier thread, beyond which new ones are refused. */
    static final int MAX_QUEUED_SETCLUSTERS = 16;

    private final AtomicReference<Current> current;
    private final String announce;
    private final String announceHost;
    private final NodeIdStyle style;
    private final boolean busPort;
    private final int tlsPortOffset;
    /** Told of every snapshot published, in order, on the thread that published it. */
    private final List<SnapshotListener> listeners = new CopyOnWriteArrayList<>();
    private final ReplicationState replication;
    /** The replicas shown with the masters and read from by READONLY clients. */
    private final ReplicaTopology replicas;
    /** The controller's lease (UMCTL LEASE): once it runs out, no slot is served from a local Redis. */
    private final Lease lease = new Lease(System::nanoTime);
    /**
     * How CLUSTER replies show a snapshot: as pushed, or with moves the migration engine has handed
     * over already ({@link ClusterSnapshot#handedOver}); routing always uses the snapshot as pushed.
     */
    private volatile UnaryOperator<ClusterSnapshot> shownAs = UnaryOperator.identity();
    /** Each engine's adjustment of what CLUSTER replies show, applied in the order they were first set. */
    private final Map<Object, UnaryOperator<ClusterSnapshot>> adjustments = new LinkedHashMap<>();
    /** Snapshots published (UMCTL SETCLUSTER and initial_setcluster answered +OK); read by the metrics. */
    private final LongAdder applied = new LongAdder();
    /** One thread, FIFO: SETCLUSTERs apply in arrival order; it ends when idle, so it holds nothing when unused. */
    private final ThreadPoolExecutor applier;
    /** Guards {@link #queued}: a SETCLUSTER runs inline only when none is queued, so none overtakes another. */
    private final Object lane = new Object();
    private int queued;
    /**
     * The snapshot the last {@link #wipe} published (null before any). Compared by identity: while it is
     * the current one, the same WIPE again is accepted (it is repeated until the controller sees it done).
     */
    private volatile ClusterSnapshot wiped;

    /** The name a wiped proxy's snapshot carries (LISTCLUSTER); {@code @} is not allowed in a controller's cluster names. */
    public static final String WIPED_NAME = "@wiped";

    public ClusterState(ProxyConfig config) {
        this.announce = config.announceAddress();
        this.announceHost = HostPort.parse(announce).host();
        this.style = NodeIdStyle.valueOf(config.nodeIdFormat().name());
        this.busPort = config.clusterBusPort();
        this.tlsPortOffset = config.tlsPortOffset();
        this.current = new AtomicReference<>(current(ClusterSnapshot.empty(), null));
        this.replication = new ReplicationState(announceHost);
        this.replicas = new ReplicaTopology(replication, config.showReplicas());
        this.applier = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "moonshard-setcluster");
            t.setDaemon(true);
            return t;
        });
        this.applier.allowCoreThreadTimeOut(true);
    }

    /** The published value for {@code snapshot}; peers listed in {@code previous} keep their first-seen time. */
    private Current current(ClusterSnapshot snapshot, Current previous) {
        ClusterSnapshot shown = shownAs.apply(snapshot);
        ReplicaDirectory directory = replicas == null ? ReplicaDirectory.EMPTY : replicas.directory();
        ClusterView view = new ClusterView(shown, announce, style, busPort, 0, directory);
        long now = System.currentTimeMillis();
        Map<String, Long> since = new LinkedHashMap<>();
        for (String peer : snapshot.peers().keySet()) {
            Long known = previous == null ? null : previous.peerSince().get(peer);
            since.put(peer, known != null ? known : now);
        }
        return new Current(snapshot, view,
                tlsPortOffset == 0 ? view : new ClusterView(shown, announce, style, busPort, tlsPortOffset, directory),
                Map.copyOf(since));
    }

    /** A snapshot replaced {@code previous}; called on the publishing thread, never on an event loop's behalf. */
    @FunctionalInterface
    public interface SnapshotListener {
        void published(ClusterSnapshot previous, ClusterSnapshot next);
    }

    /** {@code listener} hears of every snapshot published from now on (SETCLUSTER, initial_setcluster). */
    public void onPublished(SnapshotListener listener) {
        listeners.add(listener);
    }

    /**
     * From now on CLUSTER NODES/SLOTS/SHARDS show every snapshot through {@code owner}'s {@code adjust}
     * (null drops it) after the adjustments other owners set (the migration engine, the replication
     * engine); the current one is shown anew at once. The snapshot itself, and routing, are unchanged.
     */
    public void showAs(Object owner, UnaryOperator<ClusterSnapshot> adjust) {
        synchronized (adjustments) {
            if (adjust == null) {
                adjustments.remove(owner);
            } else {
                adjustments.put(owner, adjust);
            }
            List<UnaryOperator<ClusterSnapshot>> all = List.copyOf(adjustments.values());
            shownAs = snapshot -> {
                ClusterSnapshot shown = snapshot;
                for (UnaryOperator<ClusterSnapshot> a : all) {
                    shown = a.apply(shown);
                }
                return shown;
            };
        }
        republish();
    }

    /**
     * The replica poller gathered {@code directory}: CLUSTER replies show it from now on (unless
     * {@code show_replicas} is off). Nothing is published when it is what they show already.
     */
    public void replicasSeen(ReplicaDirectory directory) {
        if (replicas.directory(directory) && replicas.shown()) {
            republish();
        }
    }

    /** {@code show_replicas} (CONFIG SET): replicas shown and read from, or every proxy a lone master. */
    public void showReplicas(boolean on) {
        if (replicas.shown(on)) {
            republish();
        }
    }

    /** The replicas shown and the READONLY routing table, and {@code show_replicas}. */
    public ReplicaTopology replicas() {
        return replicas;
    }

    /** The current snapshot published again, with views built from what is shown now. */
    private void republish() {
        Current previous;
        Current next;
        do {
            previous = current.get();
            next = current(previous.snapshot(), previous);
        } while (!current.compareAndSet(previous, next));
    }

    /** The current snapshot with its views and peer times, read at once. */
    public Current published() {
        return current.get();
    }

    public ClusterSnapshot snapshot() {
        return current.get().snapshot();
    }

    public ClusterView view() {
        return current.get().view();
    }

    /** {@code tls_port} minus the port of {@code address} (0 without TLS): added to ports shown to TLS clients. */
    public int tlsPortOffset() {
        return tlsPortOffset;
    }

    /** The CLUSTER replies for a client on the TLS listener ({@code tls}) or the plain one. */
    public ClusterView view(boolean tls) {
        Current c = current.get();
        return tls ? c.tlsView() : c.view();
    }

    public ReplicationState replication() {
        return replication;
    }

    /** The controller's lease on serving the slots; never fenced before the first {@code UMCTL LEASE}. */
    public Lease lease() {
        return lease;
    }

    /** How many SETCLUSTER commands were applied (answered {@code +OK}) since start. */
    public long appliedCount() {
        return applied.sum();
    }

    /** {@code UMCTL SETCLUSTER <args>}: returns the whole reply line ({@code +OK}, {@code -OLD_EPOCH}, ...). */
    public String applySetCluster(List<String> args) {
        return args == null ? "-Failed to parse args: InvalidArgs" : apply(SetClusterParser.parse(args));
    }

    /**
     * {@code UMCTL SETCLUSTER}, in arrival order with every other: applied now, on the caller's thread,
     * when it is light and none is queued; else queued for the applier thread. {@code reply} gets the
     * reply line: at once when applied inline, else later on {@code replyOn}.
     *
     * @param heavy   COMPRESS, or a large command: its parsing must not run on an event loop
     * @param args    the arguments after SETCLUSTER (null: not UTF-8); called once, on the thread that applies
     * @param discard called instead of {@code args} when the command is refused unread
     * @param replyOn the client's event loop
     * @return true when it was queued: {@code reply} runs later
     */
    public boolean applySetCluster(boolean heavy, Supplier<List<String>> args, Runnable discard, Executor replyOn,
                            Consumer<String> reply) {
        String line;
        synchronized (lane) {
            if (!heavy && queued == 0) {
                line = applySetCluster(args.get());
            } else if (queued >= MAX_QUEUED_SETCLUSTERS) {
                discard.run();
                line = "-ERR too many UMCTL SETCLUSTER commands queued (" + MAX_QUEUED_SETCLUSTERS
                        + "), try again later";
            } else {
                queued++;
                line = null;
            }
        }
        if (line != null) {
            reply.accept(line);
            return false;
        }
        applier.execute(() -> {
            String result;
            try {
                result = applySetCluster(args.get());
            } catch (RuntimeException e) {
                log.warn("event=setcluster_failed", e);
                result = "-ERR UMCTL SETCLUSTER failed: " + e;
            } finally {
                synchronized (lane) {
                    queued--;
                }
            }
            String done = result;
            try {
                replyOn.execute(() -> reply.accept(done));
            } catch (RejectedExecutionException e) {
                log.debug("event=setcluster_reply_dropped reason=event_loop_closed");
            }
        });
        return true;
    }

    /**
     * {@code UMCTL WIPE}'s metadata step: from now on the proxy serves no slot and knows no peer, at
     * {@code epoch}. It must be newer than the snapshot's: the controller that asks derives it from the
     * store revision at which the proxy left its cluster, and any cluster that takes the proxy later
     * writes at a higher revision, so a stale controller can never empty a proxy a newer cluster uses.
     * The same epoch again is accepted while this wipe's snapshot is still the current one.
     *
     * @param redirect keep the current snapshot's peers, so clients with an old slot map are still sent
     *                 on ({@code MOVED}): a proxy a scale-in released owns nothing and its peers are the
     *                 live cluster; without it, no peer either
     * @return {@code +OK} or {@code -OLD_EPOCH}
     */
    public String wipe(long epoch, boolean redirect) {
        Current previous;
        Current next;
        ClusterSnapshot empty;
        do {
            previous = current.get();
            ClusterSnapshot now = previous.snapshot();
            empty = new ClusterSnapshot(WIPED_NAME, epoch, Map.of(), redirect ? now.peers() : Map.of(),
                    ClusterConfig.DEFAULT, true);
            if (now == wiped && now.epoch() == epoch) {
                return "+OK"; // this wipe again: the data step runs again, the metadata stays
            }
            if (epoch <= now.epoch()) {
                return "-OLD_EPOCH";
            }
            // set before the swap, so a concurrent repeat of this wipe that sees the new snapshot knows it
            wiped = empty;
            next = current(empty, previous);
        } while (!current.compareAndSet(previous, next));
        log.info("event=wipe epoch={} previous_cluster={} previous_epoch={}", epoch, previous.snapshot().name(),
                previous.snapshot().epoch());
        for (SnapshotListener listener : listeners) {
            listener.published(previous.snapshot(), empty);
        }
        return "+OK";
    }

    /** Whether the snapshot in force is the one a wipe at {@code epoch} published (no newer metadata since). */
    public boolean wipedAt(long epoch) {
        ClusterSnapshot now = current.get().snapshot();
        return now == wiped && now.epoch() == epoch;
    }

    /** A whole {@code UMCTL SETCLUSTER ...} line, as in the {@code initial_setcluster} option. */
    public String applySetClusterLine(String line) {
        return apply(SetClusterParser.parseLine(line));
    }

    private String apply(ParseResult<SetClusterRequest> parsed) {
        if (!parsed.isOk()) {
            return "-" + parsed.error();
        }
        SetClusterRequest request = parsed.value();
        String notMine = request.notMyMetaError(announceHost);
        if (notMine != null) {
            return "-" + notMine;
        }
        String contradiction = SlotMapCheck.contradiction(request.snapshot(), announce);
        if (contradiction != null) {
            log.warn("event=setcluster_refused epoch={} reason=\"{}\"", request.snapshot().epoch(), contradiction);
            return "-" + contradiction;
        }
        Current next;
        Current previous;
        do {
            previous = current.get();
            if (!request.acceptableAfter(previous.snapshot().epoch())) {
                return "-OLD_EPOCH";
            }
            next = current(request.snapshot(), previous);
        } while (!current.compareAndSet(previous, next));
        applied.increment();
        ClusterSnapshot snapshot = request.snapshot();
        log.info("event=setcluster cluster={} epoch={} force={} local={} peers={}", snapshot.name(), snapshot.epoch(),
                request.force(), snapshot.localBackends(), snapshot.peers().keySet());
        for (SnapshotListener listener : listeners) {
            listener.published(previous.snapshot(), snapshot);
        }
        return "+" + request.okReply();
    }
}
