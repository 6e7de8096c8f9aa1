package io.moonshard.proxy.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The backend connections of one event loop: {@code backend_conn_num} connections per backend
 * address, created on first use. A client always uses the same connection to a given backend (chosen
 * by its session id), so its commands to that backend keep their order.
 *
 * <p>Confined to its event loop: only sessions of that loop call it.
 */
final class BackendPool {

    private final ProxyContext proxy;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int connectionsPerBackend;
    private final Map<String, BackendConnection[]> byAddress = new HashMap<>();
    /** Reused by every command routed on this loop: key extraction allocates nothing. */
    final io.moonshard.cluster.command.KeyPositions keyPositions = new io.moonshard.cluster.command.KeyPositions();

    BackendPool(ProxyContext proxy, EventLoop loop, Bootstrap bootstrap) {
        this.proxy = proxy;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.connectionsPerBackend = proxy.config().backendConnNum();
    }

    /** The connection {@code sessionId} uses for {@code address}. */
    BackendConnection connection(String address, long sessionId) {
        BackendConnection[] connections = byAddress.get(address);
        if (connections == null) {
            connections = new BackendConnection[connectionsPerBackend];
            byAddress.put(address, connections);
        }
        int index = (int) Long.remainderUnsigned(sessionId, connectionsPerBackend);
        BackendConnection connection = connections[index];
        if (connection == null || connection.isClosed()) {
            connection = new BackendConnection(proxy, loop, bootstrap, address);
            connections[index] = connection;
        }
        return connection;
    }

    /**
     * After a metadata change: connections to addresses that are no longer backends finish what is in
     * flight, then close. Connections to addresses that stay are kept as they are.
     */
    void retainOnly(Set<String> addresses) {
        assert loop.inEventLoop();
        Iterator<Map.Entry<String, BackendConnection[]>> it = byAddress.entrySet().iterator();
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
        for (BackendConnection[] connections : byAddress.values()) {
            for (BackendConnection connection : connections) {
                if (connection != null) {
                    connection.close();
                }
            }
        }
        byAddress.clear();
    }

    int inFlightCount() {
        int total = 0;
        for (BackendConnection[] connections : byAddress.values()) {
            for (BackendConnection connection : connections) {
                if (connection != null) {
                    total += connection.inFlightCount();
                }
            }
        }
        return total;
    }
}
