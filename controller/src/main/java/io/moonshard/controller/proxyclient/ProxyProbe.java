package io.moonshard.controller.proxyclient;

import io.moonshard.cluster.umctl.InfoReplEntry;
import java.util.List;

/**
 * One round of looking at a proxy: whether it answered, the SETCLUSTER epoch it holds ({@code UMCTL
 * GETEPOCH}), its SETREPL entries with their states and offsets ({@code UMCTL INFOREPL}), and whether
 * it took the lease renewal sent with them (null: none was sent). {@code sentNanos} is when the round
 * was sent: a renewal acknowledged here holds the proxy's deadline to at most {@code receivedNanos +
 * ttl}.
 */
public record ProxyProbe(String proxy, boolean reachable, long epoch, List<InfoReplEntry> entries, Reply lease,
                         long sentNanos, long receivedNanos, String error) {

    public ProxyProbe {
        entries = List.copyOf(entries);
    }

    static ProxyProbe unreachable(String proxy, long sentNanos, String error) {
        return new ProxyProbe(proxy, false, -1, List.of(), null, sentNanos, System.nanoTime(), error);
    }

    /** The entry of {@code node} in its role, or null. */
    public InfoReplEntry entry(String node, boolean master) {
        for (InfoReplEntry e : entries) {
            if (e.node().equals(node) && e.master() == master) {
                return e;
            }
        }
        return null;
    }
}
