package io.moonshard.controller.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One cluster's whole state in the store: the spec, the shards (every slot owned by exactly one), the
 * moves in flight, a failover awaiting its promotion, the proxies it holds, and the proxies it let go
 * that may still hold its old metadata ({@code retired}: they get the current metadata, as proxies that
 * own nothing, until they take it, so they redirect instead of serving), and whether a failover left
 * masters to even out over the hosts ({@code rebalance}: set by the failover, cleared once {@code
 * placement.Rebalance} has nothing left to do, or by a handover an operator asked for). It is written as one
 * key, so each change is one transaction and the key's {@code mod_revision} gives the epoch ({@link
 * Epochs}).
 */
public record ClusterRecord(ClusterSpec spec, List<Shard> shards, List<SlotMove> moves, List<Promotion> promotions,
                            List<String> proxies, List<String> retired, boolean rebalance) {

    public ClusterRecord {
        Objects.requireNonNull(spec, "spec");
        shards = List.copyOf(shards);
        moves = List.copyOf(moves == null ? List.of() : moves);
        promotions = List.copyOf(promotions == null ? List.of() : promotions);
        proxies = List.copyOf(proxies);
        retired = List.copyOf(retired == null ? List.of() : retired);
    }

    public ClusterRecord(ClusterSpec spec, List<Shard> shards, List<SlotMove> moves, List<Promotion> promotions,
                         List<String> proxies, List<String> retired) {
        this(spec, shards, moves, promotions, proxies, retired, false);
    }

    public ClusterRecord(ClusterSpec spec, List<Shard> shards, List<SlotMove> moves, List<Promotion> promotions,
                         List<String> proxies) {
        this(spec, shards, moves, promotions, proxies, List.of(), false);
    }

    public String name() {
        return spec.name();
    }

    public Optional<Shard> shard(int id) {
        return shards.stream().filter(s -> s.id() == id).findFirst();
    }

    /** Every proxy that serves a node of this cluster, master or replica, in a stable order. */
    public Set<String> servingProxies() {
        Set<String> out = new TreeSet<>();
        for (Shard s : shards) {
            out.add(s.master().proxy());
            s.replicas().forEach(r -> out.add(r.proxy()));
        }
        return out;
    }

    public ClusterRecord withShards(List<Shard> newShards) {
        return new ClusterRecord(spec, newShards, moves, promotions, proxies, retired, rebalance);
    }

    public ClusterRecord withShard(Shard replaced) {
        List<Shard> out = new ArrayList<>();
        for (Shard s : shards) {
            out.add(s.id() == replaced.id() ? replaced : s);
        }
        return withShards(out);
    }

    public ClusterRecord withMoves(List<SlotMove> newMoves) {
        return new ClusterRecord(spec, shards, newMoves, promotions, proxies, retired, rebalance);
    }

    public ClusterRecord withPromotions(List<Promotion> newPromotions) {
        return new ClusterRecord(spec, shards, moves, newPromotions, proxies, retired, rebalance);
    }

    public ClusterRecord withProxies(List<String> newProxies) {
        return new ClusterRecord(spec, shards, moves, promotions, newProxies, retired, rebalance);
    }

    public ClusterRecord withRetired(List<String> newRetired) {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, newRetired, rebalance);
    }

    public ClusterRecord withSpec(ClusterSpec newSpec) {
        return new ClusterRecord(newSpec, shards, moves, promotions, proxies, retired, rebalance);
    }

    public ClusterRecord withRebalance(boolean pending) {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, retired, pending);
    }
}
