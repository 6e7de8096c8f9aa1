package io.moonshard.controller.reconcile;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.proxyclient.ProxyProbe;
import java.util.Map;

/**
 * What the controller knows of one proxy now: its latest probe; when the last lease renewal was sent to
 * it ({@code leaseSentNanos}, answered or not: the proxy's deadline is at most that plus the TTL plus a
 * round trip, because it anchors each renewal at its SENT time) and when one was last acknowledged;
 * since when it has not answered, and since when every connection to it has been refused (nothing
 * listens on its port: the process is gone, so it serves nothing whatever its lease says); and since
 * when each of its master nodes has been reported down.
 */
public record Observation(ProxyProbe last, long leaseSentNanos, long leaseAckNanos, long unreachableSinceNanos,
                          long refusedSinceNanos, Map<String, Long> masterDownSinceNanos) {

    public Observation {
        masterDownSinceNanos = Map.copyOf(masterDownSinceNanos);
    }

    public boolean reachable() {
        return last != null && last.reachable();
    }

    /** How long {@code node}, a master here, has been reported down; 0 when it is not. */
    public long masterDownNanos(String node, long now) {
        Long since = masterDownSinceNanos.get(node);
        return since == null ? 0 : now - since;
    }

    /** The replication offset this proxy last reported for {@code node} as a replica; -1 unknown. */
    public long replicaOffset(String node) {
        if (last == null || !last.reachable()) {
            return -1;
        }
        InfoReplEntry e = last.entry(node, false);
        return e == null ? -1 : e.offset();
    }
}
