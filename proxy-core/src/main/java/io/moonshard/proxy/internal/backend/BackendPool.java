package io.moonshard.proxy.internal.backend;

import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.proxy.internal.metrics.LoopStats;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The backend connections of one event loop: {@code backend_conn_num} connections per backend
 * address, created on first use. A client always uses the same connection to a given backend (chosen
 * by its session id), so its commands to that backend keep their order.
 *
 * <p>Confined to its event loop: only sessions of that loop call it.
 */
public final class BackendPool {

    private final BackendEnvironment env;
    /** Every loop's pool: a first dedicated connection here warms the others' spares. */
    private final BackendPools pools;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int connectionsPerBackend;
    /** Connections speaking RESP2, and (for RESP3 clients) RESP3, by backend address. */
    private final Map<String, BackendConnection[]> byAddress = new HashMap<>();
    private final Map<String, BackendConnection[]> resp3ByAddress = new HashMap<>();
    /** One connected, unused connection per address (and protocol), handed out as a dedicated connection. */
    private final Map<String, ArrayDeque<BackendConnection>> spares = new HashMap<>();
    private final Map<String, ArrayDeque<BackendConnection>> resp3Spares = new HashMap<>();
    /** Enough for a burst of clients that block at once (a test suite, a worker pool starting up). */
    private static final int SPARES_PER_BACKEND = 4;
    /** Reused by every command routed on this loop: key extraction allocates nothing. */
    private final KeyPositions keyPositions = new KeyPositions();
    /** This loop's counts for the metrics, written by this loop's sessions and backend connections only. */
    private final LoopStats stats;
    private final AfterReads afterReads;

    BackendPool(BackendEnvironment env, BackendPools pools, EventLoop loop, Bootstrap bootstrap) {
        this.env = env;
        this.pools = pools;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.connectionsPerBackend = env.config().backendConnNum();
        this.stats = env.meters().newLoop();
        this.afterReads = new AfterReads(loop);
    }

    /** Reused by every command routed on this loop: key extraction allocates nothing. */
    public KeyPositions keyPositions() {
        return keyPositions;
    }

    /** Work this loop does after the I/O events of its current iteration (the clients' flushes). */
    public AfterReads afterReads() {
        return afterReads;
    }

    /** This loop's counts for the metrics, written by this loop's sessions and backend connections only. */
    public LoopStats stats() {
        return stats;
    }

    /**
     * The connection {@code sessionId} uses for {@code address}, speaking the client's RESP
     * {@code protocol} (2 or 3): replies are forwarded unchanged, so the backend must already answer in
     * the client's protocol.
     */
    public BackendConnection connection(String address, long sessionId, int protocol) {
        Map<String, BackendConnection[]> map = protocol == 3 ? resp3ByAddress : byAddress;
        BackendConnection[] connections = map.get(address);
        if (connections == null) {
            connections = new BackendConnection[connectionsPerBackend];
            map.put(address, connections);
        }
        int index = (int) Long.remainderUnsigned(sessionId, connectionsPerBackend);
        BackendConnection connection = connections[index];
        if (connection == null || connection.isClosed()) {
            connection = new BackendConnection(env, loop, bootstrap, stats, address, protocol);
            connections[index] = connection;
        }
        return connection;
    }

    /** Each shared (pooled) connection of this loop to {@code address}, both protocols; dedicated ones are not here. */
    public void forEachConnectionTo(String address, Consumer<BackendConnection> action) {
        for (Map<String, BackendConnection[]> map : List.of(byAddress, resp3ByAddress)) {
            BackendConnection[] connections = map.get(address);
            if (connections != null) {
                for (BackendConnection c : connections) {
                    if (c != null && !c.isClosed()) {
                        action.accept(c);
                    }
                }
            }
        }
    }

    /**
     * A connection owned by the caller from now on (a client's dedicated connection); not kept in the
     * pool. Taken from a few spares opened in advance, so a client's first blocking command is written
     * at once instead of after a TCP handshake (other clients' commands sent after it would otherwise
     * overtake it, and e.g. an LPUSH meant to wake it would run before it blocks); the spares are
     * topped up for the next clients. They exist only for addresses that ever needed one.
     */
    public BackendConnection dedicatedConnection(String address, int protocol) {
        Map<String, ArrayDeque<BackendConnection>> map = protocol == 3 ? resp3Spares : spares;
        ArrayDeque<BackendConnection> ready = map.get(address);
        if (ready == null) {
            // the first dedicated connection to this address on this loop: warm the other loops too,
            // so the next client that blocks finds spares wherever its connection landed
            ready = new ArrayDeque<>(SPARES_PER_BACKEND);
            map.put(address, ready);
            pools.warmSpares(address, protocol, this);
        }
        BackendConnection taken = null;
        while (taken == null && !ready.isEmpty()) {
            BackendConnection spare = ready.pollFirst();
            if (spare.isClosed() || spare.isBroken()) {
                spare.close();
            } else {
                taken = spare; // connected, or about to be: its requests wait in order either way
            }
        }
        if (taken == null) {
            taken = new BackendConnection(env, loop, bootstrap, stats, address, protocol);
            taken.markDedicated();
        }
        while (ready.size() < SPARES_PER_BACKEND) {
            BackendConnection next = new BackendConnection(env, loop, bootstrap, stats, address, protocol);
            next.markDedicated();
            next.connectNow();
            ready.addLast(next);
        }
        return taken;
    }

    /** Opens this loop's spares for {@code address} if it has none yet. Runs on this pool's loop. */
    void warmSpares(String address, int protocol) {
        Map<String, ArrayDeque<BackendConnection>> map = protocol == 3 ? resp3Spares : spares;
        if (map.containsKey(address)) {
            return;
        }
        ArrayDeque<BackendConnection> ready = new ArrayDeque<>(SPARES_PER_BACKEND);
        map.put(address, ready);
        while (ready.size() < SPARES_PER_BACKEND) {
            BackendConnection next = new BackendConnection(env, loop, bootstrap, stats, address, protocol);
            next.markDedicated();
            next.connectNow();
            ready.addLast(next);
        }
    }

    /**
     * After a metadata change: connections to addresses that are no longer backends finish what is in
     * flight, then close. Connections to addresses that stay are kept as they are.
     */
    public void retainOnly(Set<String> addresses) {
        assert loop.inEventLoop();
        retainOnly(byAddress, addresses);
        retainOnly(resp3ByAddress, addresses);
        for (Map<String, ArrayDeque<BackendConnection>> map : List.of(spares, resp3Spares)) {
            map.entrySet().removeIf(e -> {
                if (addresses.contains(e.getKey())) {
                    return false;
                }
                e.getValue().forEach(BackendConnection::close);
                return true;
            });
        }
    }

    private static void retainOnly(Map<String, BackendConnection[]> map, Set<String> addresses) {
        Iterator<Map.Entry<String, BackendConnection[]>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, BackendConnection[]> entry = it.next();
            if (!addresses.contains(entry.getKey())) {
                for (BackendConnection connection : entry.getValue()) {
                    if (connection != null) {
                        connection.drain();
                    }
                }
                it.remove();
            }
        }
    }

    /** Closes every connection (shutdown). */
    void closeAll() {
        forEach(BackendConnection::close);
        byAddress.clear();
        resp3ByAddress.clear();
        spares.values().forEach(q -> q.forEach(BackendConnection::close));
        resp3Spares.values().forEach(q -> q.forEach(BackendConnection::close));
        spares.clear();
        resp3Spares.clear();
    }

    int inFlightCount() {
        int[] total = {0};
        forEach(c -> total[0] += c.inFlightCount());
        return total[0];
    }

    private void forEach(Consumer<BackendConnection> action) {
        for (Map<String, BackendConnection[]> map : List.of(byAddress, resp3ByAddress)) {
            for (BackendConnection[] connections : map.values()) {
                for (BackendConnection connection : connections) {
                    if (connection != null) {
                        action.accept(connection);
                    }
                }
            }
        }
    }
}
