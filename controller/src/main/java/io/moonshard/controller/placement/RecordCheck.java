package io.moonshard.controller.placement;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What must hold of every record a plan writes, said as a list of problems (empty: none), so the
 * controller can refuse to write a broken plan and tests can check every output.
 */
public final class RecordCheck {

    private RecordCheck() {
    }

    /**
     * Every slot owned by exactly one shard; shard ids unique; each node in at most one place; every
     * serving proxy listed in {@code proxies}; each move between two existing shards, of slots its
     * source owns, at most one move per shard.
     */
    public static List<String> problems(ClusterRecord record) {
        List<String> out = new ArrayList<>();
        SlotSet owned = SlotSet.empty();
        Set<Integer> ids = new HashSet<>();
        Set<NodeRef> nodes = new HashSet<>();
        for (Shard s : record.shards()) {
            if (!ids.add(s.id())) {
                out.add("shard id " + s.id() + " is used twice");
            }
            SlotSet slots;
            try {
                slots = SlotRanges.parse(s.slots());
            } catch (IllegalArgumentException e) {
                out.add("shard " + s.id() + " has a bad range: " + e.getMessage());
                continue;
            }
            int overlap = slots.size() + owned.size() - slots.union(owned).size();
            if (overlap > 0) {
                out.add("shard " + s.id() + " owns " + overlap + " slots another shard owns");
            }
            owned = owned.union(slots);
            List<NodeRef> members = new ArrayList<>(s.replicas());
            members.add(0, s.master());
            for (NodeRef n : members) {
                if (!nodes.add(n)) {
                    out.add("node " + n + " is in more than one place");
                }
            }
        }
        if (owned.size() != SlotHash.SLOT_COUNT) {
            out.add((SlotHash.SLOT_COUNT - owned.size()) + " slots have no owner, the first "
                    + SlotSet.of(new SlotRange(0, SlotHash.SLOT_COUNT - 1)).minus(owned)
                    .ranges().get(0));
        }
        for (String p : record.servingProxies()) {
            if (!record.proxies().contains(p)) {
                out.add("proxy " + p + " serves a node but is not in proxies");
            }
        }
        Set<Integer> moving = new HashSet<>();
        for (SlotMove m : record.moves()) {
            if (record.shard(m.fromShard()).isEmpty() || record.shard(m.toShard()).isEmpty()
                    || m.fromShard() == m.toShard()) {
                out.add("move " + m + " is not between two shards of the cluster");
                continue;
            }
            if (!moving.add(m.fromShard()) | !moving.add(m.toShard())) {
                out.add("move " + m + " touches a shard another move touches");
            }
            SlotSet ranges = SlotRanges.parse(m.ranges());
            if (ranges.isEmpty() || !ranges.minus(SlotRanges.parse(record.shard(m.fromShard()).orElseThrow().slots())).isEmpty()) {
                out.add("move " + m + " moves slots its source does not own");
            }
        }
        return out;
    }

    /** Masters that share a host with one of their replicas, as problems. */
    public static List<String> hostProblems(ClusterRecord record, List<ProxyRecord> proxies) {
        Hosts hosts = new Hosts(proxies);
        List<String> out = new ArrayList<>();
        for (Shard s : record.shards()) {
            String host = hosts.of(s.master());
            for (NodeRef r : s.replicas()) {
                if (hosts.of(r).equals(host)) {
                    out.add("shard " + s.id() + ": replica " + r + " is on its master's host " + host);
                }
            }
        }
        return out;
    }
}
