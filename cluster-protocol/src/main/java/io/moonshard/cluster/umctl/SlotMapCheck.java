package io.moonshard.cluster.umctl;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import java.util.List;
import java.util.Map;

/**
 * Refuses slot maps that contradict themselves, which undermoon applies silently (the last entry
 * read wins a slot, so data lands where no other proxy looks for it). Each slot may have one
 * holder, the node that has its data now (an entry that is stable or {@code MIGRATING}), and one
 * importer (an {@code IMPORTING} entry): a migration's two sides, as undermoon's coordinator sends
 * them (spec §2.1, §9.1), stay legal. The same address may hold a slot in several entries.
 */
public final class SlotMapCheck {

    private SlotMapCheck() {
    }

    /**
     * The error line (without {@code -}) for a contradictory snapshot, or null when it is consistent.
     *
     * @param announce this proxy's announced {@code host:port}
     */
    public static String contradiction(ClusterSnapshot snapshot, String announce) {
        if (snapshot.name().isEmpty()) {
            return SetClusterParser.INVALID_METADATA + "the cluster name is empty";
        }
        if (snapshot.peers().containsKey(announce)) {
            return SetClusterParser.INVALID_METADATA + "peer " + announce + " is this proxy itself";
        }
        if (snapshot.local().containsKey(announce)) {
            return SetClusterParser.INVALID_METADATA + announce + " is this proxy itself, not a Redis";
        }
        for (String address : snapshot.local().keySet()) {
            if (snapshot.peers().containsKey(address)) {
                return SetClusterParser.INVALID_METADATA + address + " is listed as a local Redis and as a peer";
            }
        }
        String[] holder = new String[SlotHash.SLOT_COUNT];
        String[] importer = new String[SlotHash.SLOT_COUNT];
        String error = claim(snapshot.local(), false, holder, importer);
        return error != null ? error : claim(snapshot.peers(), true, holder, importer);
    }

    /** Records each entry's slots (as {@code L<address>} or {@code P<address>}); the first slot claimed twice gives the error. */
    private static String claim(Map<String, List<SlotAssignment>> entries, boolean peers, String[] holder,
                                String[] importer) {
        for (Map.Entry<String, List<SlotAssignment>> e : entries.entrySet()) {
            String name = (peers ? "P" : "L") + e.getKey();
            for (SlotAssignment a : e.getValue()) {
                boolean imports = a.tag() == RangeTag.IMPORTING;
                String[] table = imports ? importer : holder;
                for (SlotRange r : a.slots().ranges()) {
                    for (int slot = r.start(); slot <= r.end(); slot++) {
                        String other = table[slot];
                        if (other == null || other.equals(name)) {
                            table[slot] = name;
                        } else if (imports) {
                            return SetClusterParser.INVALID_METADATA + "slot " + slot + " is imported by both "
                                    + shown(other) + " and " + shown(name);
                        } else {
                            return SetClusterParser.INVALID_METADATA + "slot " + slot + conflict(other, name);
                        }
                    }
                }
            }
        }
        return null;
    }

    private static String conflict(String first, String second) {
        boolean firstPeer = first.charAt(0) == 'P';
        boolean secondPeer = second.charAt(0) == 'P';
        if (!firstPeer && !secondPeer) {
            return " is on two local backends, " + first.substring(1) + " and " + second.substring(1);
        }
        if (firstPeer && secondPeer) {
            return " is given to two peers, " + first.substring(1) + " and " + second.substring(1);
        }
        return " is owned by " + shown(first) + " and " + shown(second);
    }

    private static String shown(String name) {
        return (name.charAt(0) == 'P' ? "peer " : "") + name.substring(1);
    }
}
