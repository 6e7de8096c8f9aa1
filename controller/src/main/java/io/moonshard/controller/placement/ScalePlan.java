package io.moonshard.controller.placement;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A change in the number of shards, as slot moves between shard masters:
 *
 * <ul>
 *   <li>{@link #to} with more shards takes free proxies for the new shards (each new master on node 0
 *       of a free proxy on the host with the fewest masters; its replicas on other hosts, reusing the
 *       unused nodes of proxies it took before new ones) and plans the moves that bring every shard to
 *       its even share ({@link SlotSplit#shares}); with fewer, the moves that empty the shards of the
 *       highest ids into the rest, evenly. The record it returns has the new shards (owning no slot)
 *       and the new spec, and no move started: the moves are the plan.</li>
 *   <li>{@link #nextMoves} picks the moves to start now: at most {@code k} running, never two touching
 *       one shard. {@link #start} and {@link #commit} are the record changes of a move's two writes.</li>
 *   <li>{@link #release}, after the moves are done, drops the emptied shards and frees their proxies.</li>
 * </ul>
 *
 * <p>Each move is one contiguous range from one shard to another. Donors give from the top of their
 * highest range, receivers are filled in id order from donors in id order, so a donor gives to as few
 * receivers as it can and the count of moves stays near donors + receivers. The even share of each
 * kept shard is assigned biggest-first to the shards owning most, so a shard already at its share
 * does not move.
 */
public final class ScalePlan {

    /**
     * @param record       the record to write first: new shards and spec, taken proxies
     * @param moves        the moves to run, in order, none started ({@code startedRevision} 0)
     * @param takenProxies free proxies the plan took into the cluster
     */
    public record Plan(ClusterRecord record, List<SlotMove> moves, List<String> takenProxies) {
        public Plan {
            moves = List.copyOf(moves);
            takenProxies = List.copyOf(takenProxies);
        }
    }

    /** The record without its emptied shards, and the proxies that serve nothing in it any more. */
    public record Released(ClusterRecord record, List<String> freedProxies) {
        public Released {
            freedProxies = List.copyOf(freedProxies);
        }
    }

    private ScalePlan() {
    }

    /**
     * The plan to reach {@code shards} shards (the same count: the moves that even out the slots).
     *
     * @param members     the records of the cluster's proxies (their hosts)
     * @param freeProxies the pool's proxies that serve no cluster
     */
    public static Outcome<Plan> to(ClusterRecord record, int shards, List<ProxyRecord> members,
                                   List<ProxyRecord> freeProxies) {
        if (shards < 1) {
            return Outcome.refused("a cluster needs at least one shard: " + shards);
        }
        if (!record.moves().isEmpty()) {
            return Outcome.refused("cluster " + record.name() + " has " + record.moves().size()
                    + " moves in flight; plan a new scale once they are done");
        }
        List<Shard> sorted = new ArrayList<>(record.shards());
        sorted.sort(Comparator.comparingInt(Shard::id));
        Hosts hosts = new Hosts(members, freeProxies);
        NodePool pool = new NodePool(record, hosts, freeProxies, members, null);
        List<Shard> all = new ArrayList<>(sorted);
        int nextId = sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1).id() + 1;
        int replicas = record.spec().replicas();
        for (int i = sorted.size(); i < shards; i++) {
            NodeRef master = pool.master();
            if (master == null) {
                return Outcome.refused("cluster " + record.name() + " needs " + (shards - sorted.size())
                        + " free proxies for its new masters; the pool has " + (i - sorted.size()));
            }
            all.add(new Shard(nextId++, master, List.of(), List.of()));
        }
        // the hosts of the masters whose replicas are still to place, one entry per replica: each pick
        // leaves a node for every later one (NodePool#replica)
        List<String> pending = new ArrayList<>();
        for (int i = sorted.size(); i < all.size(); i++) {
            for (int j = 0; j < replicas; j++) {
                pending.add(hosts.of(all.get(i).master()));
            }
        }
        for (int i = sorted.size(); i < all.size(); i++) {
            Shard s = all.get(i);
            List<NodeRef> rs = new ArrayList<>();
            for (int j = 0; j < replicas; j++) {
                Set<String> avoid = new HashSet<>();
                rs.forEach(r -> avoid.add(hosts.of(r)));
                pending.remove(0);
                NodeRef r = pool.replica(hosts.of(s.master()), avoid, pending);
                if (r == null) {
                    return Outcome.refused("cluster " + record.name() + ": no free Redis node left on a host other"
                            + " than " + hosts.of(s.master()) + " for replica " + (j + 1) + " of new shard " + s.id());
                }
                rs.add(r);
            }
            all.set(i, s.withMaster(s.master(), rs));
        }
        List<Shard> kept = all.subList(0, Math.min(shards, all.size()));
        Map<Integer, Integer> targets = targets(kept);
        for (Shard s : all.subList(kept.size(), all.size())) {
            targets.put(s.id(), 0);
        }
        Set<String> proxies = new LinkedHashSet<>(record.proxies());
        proxies.addAll(pool.taken());
        // the retired and wiping lists and the rebalance mark carry over: a proxy waiting for its wipe must
        // never become free by a scale request
        ClusterRecord out = record.withSpec(record.spec().withShards(shards)).withShards(all).withMoves(List.of())
                .withProxies(new ArrayList<>(proxies));
        return Outcome.ok(new Plan(out, balance(all, targets), pool.taken()));
    }

    /** Each kept shard's even share: the biggest shares to the shards owning most (then by id). */
    private static Map<Integer, Integer> targets(List<Shard> kept) {
        int[] shares = SlotSplit.shares(kept.size());
        Integer[] order = new Integer[shares.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -shares[i]).thenComparingInt(i -> i));
        List<Shard> byOwned = new ArrayList<>(kept);
        byOwned.sort(Comparator.<Shard>comparingInt(s -> -SlotRanges.parse(s.slots()).size())
                .thenComparingInt(Shard::id));
        Map<Integer, Integer> out = new TreeMap<>();
        for (int i = 0; i < byOwned.size(); i++) {
            out.put(byOwned.get(i).id(), shares[order[i]]);
        }
        return out;
    }

    /** Moves taking every shard to its target: receivers in id order, filled from donors in id order. */
    private static List<SlotMove> balance(List<Shard> shards, Map<Integer, Integer> targets) {
        Map<Integer, SlotSet> owned = new TreeMap<>();
        for (Shard s : shards) {
            owned.put(s.id(), SlotRanges.parse(s.slots()));
        }
        List<SlotMove> moves = new ArrayList<>();
        for (Map.Entry<Integer, SlotSet> receiver : owned.entrySet()) {
            int need = targets.get(receiver.getKey()) - receiver.getValue().size();
            for (Map.Entry<Integer, SlotSet> donor : owned.entrySet()) {
                while (need > 0 && donor.getValue().size() > targets.get(donor.getKey())) {
                    int surplus = donor.getValue().size() - targets.get(donor.getKey());
                    List<SlotRange> ranges = donor.getValue().ranges();
                    SlotRange top = ranges.get(ranges.size() - 1);
                    int take = Math.min(Math.min(need, surplus), top.size());
                    SlotRange given = new SlotRange(top.end() - take + 1, top.end());
                    moves.add(new SlotMove(donor.getKey(), receiver.getKey(), List.of(SlotRanges.format(given)), 0));
                    donor.setValue(donor.getValue().minus(SlotSet.of(given)));
                    need -= take;
                }
            }
        }
        return moves;
    }

    /**
     * The moves of {@code planned} to start now, in plan order: with {@code record}'s running moves, at
     * most {@code k} in all, and never two touching the same shard. A planned move already running is
     * skipped, as is one whose ranges its source no longer wholly owns (done, or overtaken).
     */
    public static List<SlotMove> nextMoves(ClusterRecord record, List<SlotMove> planned, int k) {
        Set<Integer> busy = new HashSet<>();
        for (SlotMove m : record.moves()) {
            busy.add(m.fromShard());
            busy.add(m.toShard());
        }
        int running = record.moves().size();
        List<SlotMove> out = new ArrayList<>();
        for (SlotMove m : planned) {
            if (running + out.size() >= k) {
                break;
            }
            if (busy.contains(m.fromShard()) || busy.contains(m.toShard()) || isRunning(record, m)
                    || !ownedBySource(record, m)) {
                continue;
            }
            out.add(m);
            busy.add(m.fromShard());
            busy.add(m.toShard());
        }
        return out;
    }

    private static boolean isRunning(ClusterRecord record, SlotMove m) {
        return record.moves().stream().anyMatch(r -> r.fromShard() == m.fromShard() && r.toShard() == m.toShard()
                && SlotRanges.parse(r.ranges()).equals(SlotRanges.parse(m.ranges())));
    }

    private static boolean ownedBySource(ClusterRecord record, SlotMove m) {
        return record.shard(m.fromShard()).isPresent() && record.shard(m.toShard()).isPresent()
                && SlotRanges.parse(m.ranges()).minus(SlotRanges.parse(record.shard(m.fromShard()).orElseThrow().slots()))
                .isEmpty();
    }

    /** The record with {@code moves} started at {@code revision}: tagged, their ranges still the source's. */
    public static ClusterRecord start(ClusterRecord record, List<SlotMove> moves, long revision) {
        List<SlotMove> all = new ArrayList<>(record.moves());
        for (SlotMove m : moves) {
            all.add(new SlotMove(m.fromShard(), m.toShard(), m.ranges(), revision));
        }
        return record.withMoves(all);
    }

    /** The record once {@code move} is committed: its ranges are the destination's, the move is gone. */
    public static ClusterRecord commit(ClusterRecord record, SlotMove move) {
        if (!record.moves().contains(move)) {
            throw new IllegalArgumentException("not a running move of " + record.name() + ": " + move);
        }
        SlotSet ranges = SlotRanges.parse(move.ranges());
        List<Shard> shards = new ArrayList<>();
        for (Shard s : record.shards()) {
            SlotSet slots = SlotRanges.parse(s.slots());
            if (s.id() == move.fromShard()) {
                slots = slots.minus(ranges);
            } else if (s.id() == move.toShard()) {
                slots = slots.union(ranges);
            }
            shards.add(s.withSlots(SlotRanges.format(slots)));
        }
        List<SlotMove> moves = new ArrayList<>(record.moves());
        moves.remove(move);
        return record.withShards(shards).withMoves(moves);
    }

    /**
     * Drops the shards beyond the spec's count (those of highest ids) that own no slot and take part in
     * no move, and returns the proxies that then serve no node of the cluster. A shard still owning
     * slots is kept: its moves are not done.
     */
    public static Released release(ClusterRecord record) {
        List<Shard> sorted = new ArrayList<>(record.shards());
        sorted.sort(Comparator.comparingInt(Shard::id));
        Set<Integer> moving = new HashSet<>();
        record.moves().forEach(m -> {
            moving.add(m.fromShard());
            moving.add(m.toShard());
        });
        List<Shard> keep = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            Shard s = sorted.get(i);
            boolean dropped = i >= record.spec().shards() && s.slots().isEmpty() && !moving.contains(s.id());
            if (!dropped) {
                keep.add(s);
            }
        }
        ClusterRecord kept = record.withShards(keep);
        Set<String> serving = kept.servingProxies();
        List<String> proxies = new ArrayList<>();
        List<String> freed = new ArrayList<>();
        for (String p : record.proxies()) {
            (serving.contains(p) ? proxies : freed).add(p);
        }
        return new Released(kept.withProxies(proxies), freed);
    }
}
