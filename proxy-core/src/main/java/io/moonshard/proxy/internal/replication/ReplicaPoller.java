package io.moonshard.proxy.internal.replication;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.proxy.internal.engine.BackgroundEngine;
import io.moonshard.proxy.internal.engine.EngineHost;
import io.moonshard.proxy.internal.engine.RedisLink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers the replicas CLUSTER NODES/SLOTS/SHARDS show. A proxy's own SETREPL names only its masters'
 * replicas and the masters it replicates; to show every shard's replicas alike at every proxy, it asks
 * each peer proxy for its SETREPL entries and their states ({@code UMCTL INFOREPL}, authenticated with
 * the cluster secret) about once a second and at once after each SETCLUSTER or SETREPL, adds its own
 * (the {@link ReplicationEngine}'s states, as its own INFOREPL prints them), then publishes the
 * {@link ReplicaDirectory} {@link ReplicaReports} builds from them.
 *
 * <p>All of it runs on one thread of its own with blocking links ({@link RedisLink}), kept open from
 * one poll to the next; nothing here touches an event loop. The thread is started by the first
 * metadata the proxy gets, so a proxy that is never configured runs none. Nothing is polled while
 * {@code show_replicas} is off, nor while this proxy has no SETREPL entry for its cluster (the
 * coordinator sends SETREPL before SETCLUSTER wherever it manages replicas).
 */
public final class ReplicaPoller implements BackgroundEngine {

    private static final Logger log = LoggerFactory.getLogger(ReplicaPoller.class);

    /** How often the replicas are gathered when nothing changes. */
    static final long INTERVAL_MILLIS = 1000;
    /** Bounds a connect and each reply: a peer that does not answer in time is shown failed for this poll. */
    private static final int TIMEOUT_MILLIS = 1000;

    /** The replication engine's state of each local SETREPL entry, as this proxy's INFOREPL prints it. */
    private final Supplier<List<ReplicationEngine.Status>> statuses;
    private EngineHost host;
    private ScheduledThreadPoolExecutor executor;
    private final Object lifecycle = new Object();
    private boolean closed;
    /** A poll is queued already: changes that come while it waits need no other. */
    private final AtomicBoolean queued = new AtomicBoolean();
    /** Open links to peer proxies by address, used by the poll thread; closed by {@link #close} too. */
    private final Map<String, RedisLink> links = new ConcurrentHashMap<>();
    /** Proxies the last reports named beyond the snapshot's peers: asked by the next poll too. */
    private Set<String> named = Set.of();
    /** Addresses that failed at the last poll, so each failure and recovery is logged once. */
    private final Set<String> failing = new HashSet<>();

    /** @param statuses the replication engine's states of this proxy's SETREPL entries */
    public ReplicaPoller(Supplier<List<ReplicationEngine.Status>> statuses) {
        this.statuses = statuses;
    }

    @Override
    public void start(EngineHost host) {
        this.host = host;
        host.onPublished((previous, next) -> pollSoon());
        host.replication().onApplied(request -> pollSoon());
    }

    /** Queues a poll now (and starts the periodic ones on first use). */
    private void pollSoon() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            if (executor == null) {
                executor = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "moonshard-replicas");
                    t.setDaemon(true);
                    return t;
                });
                executor.scheduleWithFixedDelay(this::pollSafely, INTERVAL_MILLIS, INTERVAL_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }
        if (queued.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    queued.set(false);
                    pollSafely();
                });
            } catch (RejectedExecutionException e) {
                queued.set(false); // closing
            }
        }
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            log.warn("event=replicas_poll_failed", e);
        }
    }

    private void poll() {
        if (!host.replicasShown()) {
            closeLinks(Set.of());
            return;
        }
        ClusterSnapshot snapshot = host.snapshot();
        List<SetReplRequest.Node> mine = host.replication().nodes();
        if (!snapshot.isConfigured() || mine.stream().noneMatch(n -> n.clusterName().equals(snapshot.name()))) {
            // no SETREPL for this cluster: its coordinator manages no replicas, so nobody is asked
            host.publishReplicas(ReplicaDirectory.EMPTY);
            closeLinks(Set.of());
            return;
        }
        String me = host.config().announceAddress();
        // this proxy's own entries as its INFOREPL prints them: one rule for every proxy's replicas
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(me, ReplicaReports.own(mine, statuses.get()));

        Set<String> peers = new LinkedHashSet<>(snapshot.peers().keySet());
        peers.addAll(ReplicaReports.proxiesNamed(reports));
        peers.addAll(named);
        peers.remove(me);
        for (String peer : peers) {
            reports.put(peer, infoRepl(peer));
        }
        named = ReplicaReports.proxiesNamed(reports);

        host.publishReplicas(ReplicaReports.directory(snapshot.name(), reports));
        closeLinks(peers);
    }

    /** A peer's {@code UMCTL INFOREPL} entries, or null when it did not answer with them. */
    private List<InfoReplEntry> infoRepl(String peer) {
        Object reply = call(peer, "UMCTL", "INFOREPL");
        if (!(reply instanceof List<?> elements)) {
            return null;
        }
        List<InfoReplEntry> entries = new ArrayList<>(elements.size());
        for (Object element : elements) {
            if (element instanceof List<?> lines) {
                List<String> text = new ArrayList<>(lines.size());
                for (Object line : lines) {
                    if (line instanceof byte[] bytes) {
                        text.add(new String(bytes, StandardCharsets.UTF_8));
                    }
                }
                InfoReplEntry entry = InfoReplEntry.parse(text);
                if (entry != null) {
                    entries.add(entry);
                }
            }
        }
        return entries;
    }

    /**
     * One command on the link to {@code address} (made when there is none); null when it failed, with
     * the failure logged when it is new. An error reply counts as a failure: NOAUTH means the peer needs
     * a cluster secret this proxy does not send.
     */
    private Object call(String address, Object... command) {
        Object reply;
        try {
            RedisLink link = links.get(address);
            if (link == null) {
                link = host.connectPeer(address, TIMEOUT_MILLIS);
                links.put(address, link);
            }
            reply = link.call(command);
        } catch (IOException | RuntimeException e) {
            RedisLink broken = links.remove(address);
            if (broken != null) {
                broken.close(); // its replies can no longer be matched to commands
            }
            failed(address, e.toString());
            return null;
        }
        if (reply instanceof RedisLink.ErrorReply error) {
            failed(address, error.toString());
            return null;
        }
        if (failing.remove(address)) {
            log.info("event=replicas_source_back address={}", address);
        }
        return reply;
    }

    private void failed(String address, String why) {
        if (failing.add(address)) {
            log.warn("event=replicas_source_failed address={} error=\"{}\"", address, why);
        }
    }

    /** Closes the links to addresses not in {@code keep}. */
    private void closeLinks(Set<String> keep) {
        links.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            return true;
        });
        failing.retainAll(keep);
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
            if (executor != null) {
                executor.shutdownNow();
            }
        }
        // a poll still running finds its link closed and gives up at once
        links.values().forEach(RedisLink::close);
        links.clear();
    }
}
