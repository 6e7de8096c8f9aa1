package io.moonshard.controller.placement;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where a new cluster goes: {@code n = max(shards, replicas + 1)} proxies of the free pool in a ring.
 * Shard {@code i}'s master is ring position {@code i}'s node 0 and its {@code j}-th replica position
 * {@code (i + j) mod n}'s node {@code j} (undermoon's layout: each proxy fronts one master and the
 * replicas of the masters before it), with the slots split as redis-cli does ({@link SlotSplit}).
 *
 * <p>The proxies are taken one per host in turn, the least-used hosts first (fewest proxies in use by
 * other clusters per {@code hostLoad}, then most free proxies, then by name), so a cluster spreads over
 * as many hosts as it can. They are then laid round the ring so that no master shares a host with one
 * of its replicas, and preferably no two nodes of a shard share one: a search over the positions in
 * which each takes the host with the most proxies still to place among those allowed there. With a
 * pool whose hosts have free proxies alike, that interleaves the hosts, so no host gets more than
 * {@code ceil(shards / hosts)} masters. A pool where no such ring exists is refused, as is one without
 * enough proxies of {@code replicas + 1} nodes each.
 */
public final class Placement {

    private Placement() {
    }

    /** {@link #create(ClusterSpec, List, Map)} with no other cluster's load known. */
    public static Outcome<ClusterRecord> create(ClusterSpec spec, List<ProxyRecord> freeProxies) {
        return create(spec, freeProxies, Map.of());
    }

    /**
     * @param freeProxies the pool's proxies that serve no cluster
     * @param hostLoad    proxies in use per host (by other clusters); absent hosts count 0
     */
    public static Outcome<ClusterRecord> create(ClusterSpec spec, List<ProxyRecord> freeProxies,
                                                Map<String, Integer> hostLoad) {
        int n = Math.max(spec.shards(), spec.replicas() + 1);
        int nodesEach = spec.replicas() + 1;
        Map<String, Deque<ProxyRecord>> byHost = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        int tooSmall = 0;
        for (ProxyRecord p : sortedByAddress(freeProxies)) {
            if (!seen.add(p.address())) {
                continue;
            }
            if (p.nodes().size() < nodesEach) {
                tooSmall++;
                continue;
            }
            byHost.computeIfAbsent(p.host(), h -> new ArrayDeque<>()).add(p);
        }
        int usable = byHost.values().stream().mapToInt(Deque::size).sum();
        if (usable < n) {
            return Outcome.refused("cluster " + spec.name() + " needs " + n + " free proxies with at least " + nodesEach
                    + " Redis nodes each; the pool has " + usable + (tooSmall > 0 ? " (and " + tooSmall
                    + " with fewer nodes)" : ""));
        }
        if (spec.replicas() > 0 && byHost.size() < 2) {
            return Outcome.refused("cluster " + spec.name() + " has replicas, which must be on another host than"
                    + " their master; the free proxies are all on " + byHost.keySet());
        }
        List<String> hostOrder = new ArrayList<>(byHost.keySet());
        hostOrder.sort(Comparator.<String>comparingInt(h -> hostLoad.getOrDefault(h, 0))
                .thenComparing(h -> -byHost.get(h).size())
                .thenComparing(Comparator.naturalOrder()));
        List<ProxyRecord> picked = pickRoundRobin(byHost, hostOrder, n);
        List<ProxyRecord> ring = ring(picked, hostOrder, spec.shards(), spec.replicas());
        if (ring == null) {
            return Outcome.refused("cluster " + spec.name() + ": the free proxies' hosts cannot be laid out so that"
                    + " no master shares a host with one of its " + spec.replicas() + " replicas (picked per host: "
                    + countByHost(picked) + ")");
        }
        List<SlotRange> split = SlotSplit.even(spec.shards());
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < spec.shards(); i++) {
            ProxyRecord m = ring.get(i);
            List<NodeRef> replicas = new ArrayList<>();
            for (int j = 1; j <= spec.replicas(); j++) {
                ProxyRecord r = ring.get((i + j) % n);
                replicas.add(new NodeRef(r.address(), r.nodes().get(j)));
            }
            shards.add(new Shard(i, new NodeRef(m.address(), m.nodes().get(0)), replicas,
                    List.of(SlotRanges.format(split.get(i)))));
        }
        return Outcome.ok(new ClusterRecord(spec, shards, List.of(), List.of(),
                ring.stream().map(ProxyRecord::address).toList()));
    }

    private static List<ProxyRecord> sortedByAddress(List<ProxyRecord> in) {
        List<ProxyRecord> out = new ArrayList<>(in);
        out.sort(Comparator.comparing(ProxyRecord::address));
        return out;
    }

    /** One proxy of each host in turn, in {@code hostOrder}, until {@code n}; a host without more drops out. */
    private static List<ProxyRecord> pickRoundRobin(Map<String, Deque<ProxyRecord>> byHost, List<String> hostOrder,
                                                    int n) {
        Map<String, Deque<ProxyRecord>> left = new LinkedHashMap<>();
        hostOrder.forEach(h -> left.put(h, new ArrayDeque<>(byHost.get(h))));
        List<ProxyRecord> out = new ArrayList<>(n);
        while (out.size() < n) {
            for (Deque<ProxyRecord> q : left.values()) {
                if (out.size() < n && !q.isEmpty()) {
                    out.add(q.poll());
                }
            }
        }
        return out;
    }

    /** How many positions the search may try before it gives up: far more than any real pool needs. */
    private static final int SEARCH_BUDGET = 200_000;

    /**
     * Lays {@code picked} round a ring of its size so that no master (position {@code i < shards})
     * shares a host with its replicas (positions {@code i+1 .. i+replicas}); preferably so that no two
     * nodes of one shard do (then a failover to any replica keeps the others on other hosts). Null
     * when neither is found.
     */
    private static List<ProxyRecord> ring(List<ProxyRecord> picked, List<String> hostOrder, int shards, int replicas) {
        List<ProxyRecord> strict = arrange(picked, hostOrder, conflicts(picked.size(), shards, replicas, true));
        return strict != null ? strict : arrange(picked, hostOrder, conflicts(picked.size(), shards, replicas, false));
    }

    /**
     * For each position, the earlier positions that must not be on its host: those sharing a shard with
     * it ({@code strict}), or only its master and the replicas of the master it is.
     */
    private static List<List<Integer>> conflicts(int n, int shards, int replicas, boolean strict) {
        List<List<Integer>> out = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            Set<Integer> before = new TreeSet<>();
            for (int dp = 0; dp <= Math.min(replicas, n - 1); dp++) {
                int i = Math.floorMod(p - dp, n); // p holds node dp of shard i
                if (i >= shards) {
                    continue;
                }
                for (int j = 0; j <= replicas; j++) {
                    int q = (i + j) % n;
                    boolean pair = strict ? q != p : (dp == 0) != (j == 0);
                    if (q < p && pair) {
                        before.add(q);
                    }
                }
            }
            out.add(List.copyOf(before));
        }
        return out;
    }

    /**
     * A depth-first search over positions in order: each takes a host none of its conflicting earlier
     * positions is on, the host with the most proxies still to place first (the earliest of {@code
     * hostOrder} on a tie), which interleaves the hosts and mostly succeeds without backtracking.
     */
    private static List<ProxyRecord> arrange(List<ProxyRecord> picked, List<String> hostOrder,
                                             List<List<Integer>> conflicts) {
        int n = picked.size();
        List<String> hostList = new ArrayList<>();
        for (String h : hostOrder) {
            if (picked.stream().anyMatch(p -> p.host().equals(h))) {
                hostList.add(h);
            }
        }
        int[] left = new int[hostList.size()];
        for (ProxyRecord p : picked) {
            left[hostList.indexOf(p.host())]++;
        }
        int[] hostAt = place(left, conflicts);
        if (hostAt == null) {
            return null;
        }
        Map<String, Deque<ProxyRecord>> byHost = new LinkedHashMap<>();
        for (ProxyRecord p : picked) {
            byHost.computeIfAbsent(p.host(), h -> new ArrayDeque<>()).add(p);
        }
        List<ProxyRecord> out = new ArrayList<>(n);
        for (int pos = 0; pos < n; pos++) {
            out.add(byHost.get(hostList.get(hostAt[pos])).poll());
        }
        return out;
    }

    /** The search, iterative (a ring can have thousands of positions): the host index of each, or null. */
    private static int[] place(int[] left, List<List<Integer>> conflicts) {
        int n = conflicts.size();
        int[] hostAt = new int[n];
        int[][] candidates = new int[n][];
        int[] next = new int[n];
        int budget = SEARCH_BUDGET;
        int pos = 0;
        candidates[0] = candidates(0, hostAt, left, conflicts);
        while (pos >= 0) {
            if (pos == n) {
                return hostAt;
            }
            if (next[pos] == candidates[pos].length || --budget < 0) {
                if (budget < 0) {
                    return null;
                }
                pos--; // nothing left here: undo the previous position's choice and try its next
                if (pos >= 0) {
                    left[hostAt[pos]]++;
                }
                continue;
            }
            int h = candidates[pos][next[pos]++];
            hostAt[pos] = h;
            left[h]--;
            pos++;
            if (pos < n) {
                candidates[pos] = candidates(pos, hostAt, left, conflicts);
                next[pos] = 0;
            }
        }
        return null;
    }

    /** The hosts allowed at {@code pos}, the most proxies left first, then in host order. */
    private static int[] candidates(int pos, int[] hostAt, int[] left, List<List<Integer>> conflicts) {
        List<Integer> out = new ArrayList<>();
        for (int h = 0; h < left.length; h++) {
            final int host = h;
            if (left[h] > 0 && conflicts.get(pos).stream().noneMatch(q -> hostAt[q] == host)) {
                out.add(h);
            }
        }
        out.sort(Comparator.<Integer>comparingInt(h -> -left[h]).thenComparingInt(h -> h));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Map<String, Integer> countByHost(List<ProxyRecord> proxies) {
        Map<String, Integer> out = new TreeMap<>();
        proxies.forEach(p -> out.merge(p.host(), 1, Integer::sum));
        return out;
    }
}
