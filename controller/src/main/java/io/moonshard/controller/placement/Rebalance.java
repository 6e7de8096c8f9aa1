package io.moonshard.controller.placement;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Promotion;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Planned switchovers that even out masters over hosts after failovers piled them up: while a host
 * has more than {@code ceil(masters / hosts)} masters (hosts: those the cluster's nodes are on), one
 * of its shards switches over to a replica on a host below that limit, the least loaded first. The
 * most loaded host is relieved first (by name on a tie), its shards in id order; a shard with a move
 * or a promotion in flight is left alone; each shard switches at most once per plan.
 */
public final class Rebalance {

    /** {@code UMCTL SWITCHOVER} of {@code shard}'s master {@code from} to its replica {@code to}. */
    public record Switchover(int shard, NodeRef from, NodeRef to) {
        public Switchover {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }

        /** The record once it is done: {@code to} is the master, {@code from} a replica in {@code to}'s place. */
        public ClusterRecord applyTo(ClusterRecord record) {
            Shard s = record.shard(shard).orElseThrow(() -> new IllegalArgumentException("no shard " + shard));
            if (!s.master().equals(from) || !s.replicas().contains(to)) {
                throw new IllegalArgumentException(this + " does not match " + s);
            }
            List<NodeRef> replicas = new ArrayList<>(s.replicas());
            replicas.set(replicas.indexOf(to), from);
            return record.withShard(s.withMaster(to, replicas));
        }
    }

    private Rebalance() {
    }

    /** The hosts with more than ceil(masters / hosts) masters, with their counts; empty when even. */
    public static Map<String, Integer> overLimit(ClusterRecord record, List<ProxyRecord> members) {
        Hosts hosts = new Hosts(members);
        int hostCount = hosts.nodes(record).size();
        Map<String, Integer> out = new TreeMap<>();
        if (hostCount == 0) {
            return out;
        }
        int limit = (record.shards().size() + hostCount - 1) / hostCount;
        hosts.masters(record).forEach((host, n) -> {
            if (n > limit) {
                out.put(host, n);
            }
        });
        return out;
    }

    /** @param members the records of the cluster's proxies (their hosts) */
    public static List<Switchover> plan(ClusterRecord record, List<ProxyRecord> members) {
        Hosts hosts = new Hosts(members);
        Set<String> allHosts = new HashSet<>(hosts.nodes(record).keySet());
        if (allHosts.isEmpty()) {
            return List.of();
        }
        int limit = (record.shards().size() + allHosts.size() - 1) / allHosts.size();
        Set<Integer> busy = new HashSet<>();
        for (SlotMove m : record.moves()) {
            busy.add(m.fromShard());
            busy.add(m.toShard());
        }
        for (Promotion p : record.promotions()) {
            busy.add(p.shard());
        }
        ClusterRecord working = record;
        List<Switchover> out = new ArrayList<>();
        Set<String> stuck = new HashSet<>();
        while (true) {
            Map<String, Integer> masters = new TreeMap<>(hosts.masters(working));
            String over = null;
            for (Map.Entry<String, Integer> e : masters.entrySet()) {
                if (e.getValue() > limit && !stuck.contains(e.getKey())
                        && (over == null || e.getValue() > masters.get(over))) {
                    over = e.getKey();
                }
            }
            if (over == null) {
                return out;
            }
            Switchover next = relieve(working, over, limit, masters, hosts, busy);
            if (next == null) {
                stuck.add(over);
                continue;
            }
            out.add(next);
            busy.add(next.shard());
            working = next.applyTo(working);
        }
    }

    /** A switchover of one of {@code host}'s shards to a replica on a host under {@code limit}, or null. */
    private static Switchover relieve(ClusterRecord record, String host, int limit, Map<String, Integer> masters,
                                      Hosts hosts, Set<Integer> busy) {
        Switchover best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (Shard s : record.shards()) {
            if (busy.contains(s.id()) || !hosts.of(s.master()).equals(host)) {
                continue;
            }
            for (NodeRef r : s.replicas()) {
                int load = masters.getOrDefault(hosts.of(r), 0);
                if (load < limit && load < bestLoad) {
                    best = new Switchover(s.id(), s.master(), r);
                    bestLoad = load;
                }
            }
        }
        return best;
    }
}
