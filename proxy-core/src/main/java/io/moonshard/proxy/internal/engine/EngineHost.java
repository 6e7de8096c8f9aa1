package io.moonshard.proxy.internal.engine;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.backend.BackendPool;
import io.moonshard.proxy.internal.backend.BackendPools;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.session.ClientRegistry;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * All a background engine is given of the proxy: the event loops and their backend pools, the cluster
 * snapshot and its changes, and the clients with their state. A pool, and every session and backend
 * connection of a loop, is confined to that loop, so an engine touches them only from a task it runs
 * there ({@link #forEachPool}, or {@link EventLoop#execute} on one of {@link #eventLoops()}).
 */
public final class EngineHost {

    private final ProxyConfig config;
    private final ClusterState cluster;
    private final BackendPools backends;
    private final ClientRegistry clients;
    private final List<EventLoop> eventLoops;

    public EngineHost(ProxyConfig config, ClusterState cluster, BackendPools backends, ClientRegistry clients,
                      List<EventLoop> eventLoops) {
        this.config = config;
        this.cluster = cluster;
        this.backends = backends;
        this.clients = clients;
        this.eventLoops = List.copyOf(eventLoops);
    }

    /** The configuration the proxy started with: backend credentials, the cluster secret, addresses. */
    public ProxyConfig config() {
        return config;
    }

    /** The replication metadata ({@code UMCTL SETREPL}) and its changes. */
    public io.moonshard.proxy.internal.metadata.ReplicationState replication() {
        return cluster.replication();
    }

    /** The cluster metadata now: one immutable snapshot; read it once per decision. */
    public ClusterSnapshot snapshot() {
        return cluster.snapshot();
    }

    /** {@code listener} hears of every snapshot published from now on, on the publishing thread. */
    public void onPublished(ClusterState.SnapshotListener listener) {
        cluster.onPublished(listener);
    }

    /**
     * CLUSTER replies show every snapshot through {@code engine}'s {@code adjust} from now on, after other
     * engines' adjustments (null drops it); routing is unchanged.
     */
    public void showAs(Object engine, java.util.function.UnaryOperator<ClusterSnapshot> adjust) {
        cluster.showAs(engine, adjust);
    }

    /** Whether replicas are shown ({@code show_replicas}); when not, gathering them is wasted work. */
    public boolean replicasShown() {
        return cluster.replicas().shown();
    }

    /** CLUSTER replies show {@code directory}'s replicas from now on. */
    public void publishReplicas(ReplicaDirectory directory) {
        cluster.replicasSeen(directory);
    }

    /**
     * The Redis addresses the backend pools serve now: the snapshot's local nodes, and the local
     * replicas SETREPL names (READONLY clients read from them).
     */
    public Set<String> servedBackends() {
        Set<String> out = new LinkedHashSet<>(cluster.snapshot().localBackends());
        out.addAll(cluster.replicas().localReplicaNodes());
        return out;
    }

    /** The proxy's event loops (none when the proxy runs without a runtime, as in unit tests). */
    public List<EventLoop> eventLoops() {
        return eventLoops;
    }

    /** The backend pool of {@code loop}; use it on that loop only. */
    public BackendPool poolFor(EventLoop loop) {
        return backends.poolFor(loop);
    }

    /** Runs {@code action} on each loop that has a pool, with that pool, on the loop itself. */
    public void forEachPool(BiConsumer<EventLoop, BackendPool> action) {
        backends.forEachOnItsLoop(action);
    }

    /**
     * Every connected client; each one's {@code state()} says whether it is blocked, which backend
     * holds its WATCHed keys, and its subscriptions per backend (read them on the client's loop).
     */
    public ClientRegistry clients() {
        return clients;
    }

    /** A blocking link to a Redis node, authenticated with the proxy's backend credentials. */
    public RedisLink connectBackend(String address, int timeoutMillis) throws IOException {
        return RedisLink.connect(address, config.backendUser(), config.backendPassword(), timeoutMillis);
    }

    /** A blocking link to a peer proxy, authenticated with the cluster secret ({@code UMCTL PEERAUTH}). */
    public RedisLink connectPeer(String address, int timeoutMillis) throws IOException {
        RedisLink link = RedisLink.connect(address, null, null, timeoutMillis);
        if (config.clusterSecret() != null) {
            Object reply;
            try {
                reply = link.call("UMCTL", "PEERAUTH", config.clusterSecret());
            } catch (IOException | RuntimeException e) {
                link.close();
                throw e;
            }
            if (!"OK".equals(reply)) {
                link.close();
                throw new IOException("UMCTL PEERAUTH refused by " + address + ": " + reply);
            }
        }
        return link;
    }
}
