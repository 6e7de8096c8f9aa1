package io.moonshard.controller.proxyclient;

import io.moonshard.cluster.umctl.InfoReplEntry;
import java.util.List;

/**
 * One round of looking at a proxy: whether it answered, the SETCLUSTER epoch it holds ({@code UMCTL
 * GETEPOCH}), its SETREPL entries with their states and offsets ({@code UMCTL INFOREPL}), and whether
 * it took the lease renewal sent with them (null: no answer to one). {@code sentNanos} is when the round
 * was sent; {@code leaseSent} whether it carried a renewal, answered or not: a renewal the proxy reads
 * late (it was paused, the reply was lost) still counts from its {@code SENT} time, so the controller
 * times a silent proxy's fence from the last renewal it sent, not the last one answered.
 */
public record ProxyProbe(String proxy, boolean reachable, long epoch, List<InfoReplEntry> entries, Reply lease,
                         boolean leaseSent, long sentNanos, long receivedNanos, String error) {

    public ProxyProbe {
        entries = List.copyOf(entries);
    }

    static ProxyProbe unreachable(String proxy, boolean leaseSent, long sentNanos, String error) {
        return new ProxyProbe(proxy, false, -1, List.of(), null, leaseSent, sentNanos, System.nanoTime(), error);
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
