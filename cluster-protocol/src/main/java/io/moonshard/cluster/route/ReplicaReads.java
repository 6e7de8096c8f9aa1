package io.moonshard.cluster.route;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a {@code READONLY} client's reads may be served here instead of redirected: for each peer
 * proxy whose master this proxy holds a replica of, that local replica Redis. A slot the snapshot
 * sends to such a proxy is read from the replica, as a Redis Cluster replica serves its master's slots
 * after {@code READONLY}. Keyed by proxy rather than by slot, so a lookup always follows the snapshot
 * the command was routed with (a slot that moved to another proxy is read from that proxy's replica,
 * or redirected). Immutable; replaced whole when the replication metadata changes.
 *
 * @param byMasterProxy master proxy address -> the local Redis replicating its master
 */
public record ReplicaReads(Map<String, String> byMasterProxy) {

    /** No local replica: every read of another proxy's slot is redirected. */
    public static final ReplicaReads NONE = new ReplicaReads(Map.of());

    public ReplicaReads {
        byMasterProxy = Map.copyOf(byMasterProxy);
    }

    /** Builds the table from (master proxy, local replica) pairs; the first replica of a proxy wins. */
    public static ReplicaReads of(Collection<Map.Entry<String, String>> masterProxyToReplica) {
        Map<String, String> table = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : masterProxyToReplica) {
            table.putIfAbsent(e.getKey(), e.getValue());
        }
        return table.isEmpty() ? NONE : new ReplicaReads(table);
    }

    /** The local replica of {@code masterProxy}'s master, or null. */
    public String replicaOf(String masterProxy) {
        return byMasterProxy.get(masterProxy);
    }

    /** The local replica Redis nodes reads may go to. */
    public Collection<String> nodes() {
        return byMasterProxy.values();
    }

    public boolean isEmpty() {
        return byMasterProxy.isEmpty();
    }
}
