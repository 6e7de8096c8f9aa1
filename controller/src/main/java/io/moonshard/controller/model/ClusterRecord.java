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
 * placement.Rebalance} has nothing left to do, or by a handover an operator asked for). Two more keep
 * other users' clusters from ever seeing this one's data: {@code wiping}, the proxies a scale-in let go
 * that the leader must wipe ({@code UMCTL WIPE}) before they are free, and {@code deleting}, set by
 * {@code DELETE}: the leader wipes every proxy of the cluster, then removes the record and its owner keys
 * in one transaction. It is written as one key, so each change is one transaction and the key's {@code
 * mod_revision} gives the epoch ({@link Epochs}). A record written before a field existed reads it as
 * empty or false.
 */
public record ClusterRecord(ClusterSpec spec, List<Shard> shards, List<SlotMove> moves, List<Promotion> promotions,
                            List<String> proxies, List<String> retired, boolean rebalance, List<String> wiping,
                            boolean deleting) {

    public ClusterRecord {
        Objects.requireNonNull(spec, "spec");
        shards = List.copyOf(shards);
        moves = List.copyOf(moves == null ? List.of() : moves);
        promotions = List.copyOf(promotions == null ? List.of() : promotions);
        proxies = List.copyOf(proxies);
        retired = List.copyOf(retired == null ? List.of() : retired);
        wiping = List.copyOf(wiping == null ? List.of() : wiping);
    }

    public ClusterRecord(ClusterSpec spec, List<Shard> shards, List<SlotMove> moves, List<Promotion> promotions,
                         List<String> proxies, List<String> retired, boolean rebalance) {
        this(spec, shards, moves, promotions, proxies, retired, rebalance, List.of(), false);
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

    /**
     * Every proxy this cluster holds or let go without a wipe yet, in a stable order: its proxies, those
     * serving a node, the retired and the wiping ones. A delete wipes all of them.
     */
    public Set<String> allProxies() {
        Set<String> out = new TreeSet<>(proxies);
        out.addAll(servingProxies());
        out.addAll(retired);
        out.addAll(wiping);
        return out;
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
        return new ClusterRecord(spec, newShards, moves, promotions, proxies, retired, rebalance, wiping, deleting);
    }

    public ClusterRecord withShard(Shard replaced) {
        List<Shard> out = new ArrayList<>();
        for (Shard s : shards) {
            out.add(s.id() == replaced.id() ? replaced : s);
        }
        return withShards(out);
    }

    public ClusterRecord withMoves(List<SlotMove> newMoves) {
        return new ClusterRecord(spec, shards, newMoves, promotions, proxies, retired, rebalance, wiping, deleting);
    }

    public ClusterRecord withPromotions(List<Promotion> newPromotions) {
        return new ClusterRecord(spec, shards, moves, newPromotions, proxies, retired, rebalance, wiping, deleting);
    }

    public ClusterRecord withProxies(List<String> newProxies) {
        return new ClusterRecord(spec, shards, moves, promotions, newProxies, retired, rebalance, wiping, deleting);
    }

    public ClusterRecord withRetired(List<String> newRetired) {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, newRetired, rebalance, wiping, deleting);
    }

    public ClusterRecord withSpec(ClusterSpec newSpec) {
        return new ClusterRecord(newSpec, shards, moves, promotions, proxies, retired, rebalance, wiping, deleting);
    }

    public ClusterRecord withWiping(List<String> newWiping) {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, retired, rebalance, newWiping, deleting);
    }

    /** Marked for deletion: nothing but the wipe of its proxies happens to it any more. */
    public ClusterRecord asDeleting() {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, retired, rebalance, wiping, true);
    }

    public ClusterRecord withRebalance(boolean pending) {
        return new ClusterRecord(spec, shards, moves, promotions, proxies, retired, pending, wiping, deleting);
    }
}
