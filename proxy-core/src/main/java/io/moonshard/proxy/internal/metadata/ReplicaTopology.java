package io.moonshard.proxy.internal.metadata;

import io.moonshard.cluster.route.ReplicaReads;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.umctl.SetReplRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the proxy knows of replicas and does with it: the {@link ReplicaDirectory} the CLUSTER replies
 * show (gathered by the replica poller from this proxy's and its peers' SETREPL metadata), the
 * {@link ReplicaReads} table a READONLY client's reads are routed with (from this proxy's own SETREPL),
 * and {@code show_replicas}, which turns both off. Each value is immutable and replaced whole.
 */
public final class ReplicaTopology {

    private final ReplicationState replication;
    private volatile boolean shown;
    /** The latest directory gathered, kept while hidden so that showing them again needs no new poll. */
    private volatile ReplicaDirectory directory = ReplicaDirectory.EMPTY;
    private volatile ReplicaReads reads = ReplicaReads.NONE;

    ReplicaTopology(ReplicationState replication, boolean shown) {
        this.replication = replication;
        this.shown = shown;
        replication.onApplied(request -> refreshReads());
        refreshReads();
    }

    /** {@code show_replicas}: replicas are shown and read from. */
    public boolean shown() {
        return shown;
    }

    /** Sets {@code show_replicas}; true when it changed. */
    boolean shown(boolean on) {
        boolean changed = shown != on;
        shown = on;
        refreshReads();
        return changed;
    }

    /** The replicas CLUSTER replies show now: {@link ReplicaDirectory#EMPTY} while hidden. */
    public ReplicaDirectory directory() {
        return shown ? directory : ReplicaDirectory.EMPTY;
    }

    /** Stores a directory gathered by the replication engine; true when it differs from the last one. */
    boolean directory(ReplicaDirectory next) {
        if (next.equals(directory)) {
            return false;
        }
        directory = next;
        return true;
    }

    /** Where a READONLY client's reads of another proxy's slots go: {@link ReplicaReads#NONE} while hidden. */
    public ReplicaReads reads() {
        return reads;
    }

    /**
     * The local Redis nodes SETREPL makes replicas (of a master at any proxy), shown or not: the backend
     * pools keep their connections, as they keep the SETCLUSTER nodes'.
     */
    public Set<String> localReplicaNodes() {
        Set<String> out = new LinkedHashSet<>();
        for (SetReplRequest.Node n : replication.nodes()) {
            if (!n.master()) {
                out.add(n.address());
            }
        }
        return out;
    }

    /**
     * Recomputed after each SETREPL and each change of {@code show_replicas}; synchronized so that the
     * last one to run, which reads the latest metadata, is the one that stays.
     */
    private synchronized void refreshReads() {
        reads = shown ? readsOf(replication.nodes()) : ReplicaReads.NONE;
    }

    /**
     * From SETREPL's replica entries: each local replica reads for the proxy of its first master, the one
     * undermoon replicates from. Free nodes (no cluster name) serve nobody.
     */
    static ReplicaReads readsOf(List<SetReplRequest.Node> nodes) {
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        for (SetReplRequest.Node n : nodes) {
            if (!n.master() && !n.clusterName().isEmpty() && !n.peers().isEmpty()) {
                pairs.add(Map.entry(n.peers().get(0).proxyAddress(), n.address()));
            }
        }
        return ReplicaReads.of(pairs);
    }
}
