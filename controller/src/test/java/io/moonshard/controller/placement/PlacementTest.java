package io.moonshard.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PlacementTest {

    @Test
    void placesTheUndermoonRingOnTwoHosts() {
        List<ProxyRecord> pool = List.of(Pools.proxy(0, 0, 2), Pools.proxy(1, 0, 2));
        ClusterRecord r = Placement.create(new ClusterSpec("mydb", 2, 1, null), pool).orElseThrow();
        assertThat(r.proxies()).containsExactly("10.0.0.1:6000", "10.0.0.2:6000");
        assertThat(r.shards()).containsExactly(
                new Shard(0, new NodeRef("10.0.0.1:6000", "10.0.0.1:7000"),
                        List.of(new NodeRef("10.0.0.2:6000", "10.0.0.2:7001")), List.of("0-8191")),
                new Shard(1, new NodeRef("10.0.0.2:6000", "10.0.0.2:7000"),
                        List.of(new NodeRef("10.0.0.1:6000", "10.0.0.1:7001")), List.of("8192-16383")));
    }

    @Test
    void prefersTheLeastUsedHostsAndSaysWhyItRefuses() {
        List<ProxyRecord> pool = List.of(Pools.proxy(0, 0, 2), Pools.proxy(1, 0, 2), Pools.proxy(2, 0, 2));
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool,
                Map.of("10.0.0.1", 5, "10.0.0.2", 1)).orElseThrow();
        assertThat(r.proxies()).containsExactly("10.0.0.3:6000", "10.0.0.2:6000");

        Outcome<ClusterRecord> few = Placement.create(new ClusterSpec("c", 4, 1, null), pool);
        assertThat(few.refusal()).isEqualTo("cluster c needs 4 free proxies with at least 2 Redis nodes each; the pool has 3");
        Outcome<ClusterRecord> small = Placement.create(new ClusterSpec("c", 2, 2, null), pool);
        assertThat(small.refusal()).isEqualTo(
                "cluster c needs 3 free proxies with at least 3 Redis nodes each; the pool has 0 (and 3 with fewer nodes)");
        Outcome<ClusterRecord> oneHost = Placement.create(new ClusterSpec("c", 2, 1, null),
                List.of(Pools.proxy(0, 0, 2), Pools.proxy(0, 1, 2)));
        assertThat(oneHost.refusal()).contains("must be on another host than their master");
        assertThat(Placement.create(new ClusterSpec("c", 2, 0, null),
                List.of(Pools.proxy(0, 0, 1), Pools.proxy(0, 1, 1))).isOk()).isTrue();
        // three hosts can carry 4 masters with one replica each (A B A C), never 4 with two each
        List<ProxyRecord> four = List.of(Pools.proxy(0, 0, 3), Pools.proxy(0, 1, 3), Pools.proxy(1, 0, 3),
                Pools.proxy(2, 0, 3));
        assertThat(Placement.create(new ClusterSpec("c", 4, 1, null), four).isOk()).isTrue();
        assertThat(Placement.create(new ClusterSpec("c", 4, 2, null), four).refusal())
                .startsWith("cluster c: the free proxies' hosts cannot be laid out");
    }

    @Test
    void everyPoolShapeGivesAValidSpreadPlacementOrAJustifiedRefusal() {
        int placed = 0;
        int refused = 0;
        for (int hosts = 1; hosts <= 6; hosts++) {
            for (int proxies = 2; proxies <= 12; proxies++) {
                for (Pools.Shape shape : Pools.Shape.values()) {
                    List<ProxyRecord> pool = Pools.pool(hosts, proxies, shape, 3, 31L * hosts + proxies);
                    for (int replicas = 0; replicas <= 2; replicas++) {
                        for (int shards = 1; shards <= proxies; shards++) {
                            ClusterSpec spec = new ClusterSpec("c", shards, replicas, null);
                            Outcome<ClusterRecord> out = Placement.create(spec, pool);
                            String what = spec + " on " + Pools.hostOf(pool).values();
                            if (out.isOk()) {
                                placed++;
                                check(spec, pool, out.value(), what);
                                assertThat(Placement.create(spec, Pools.shuffled(pool, shards)).value()).as(what)
                                        .isEqualTo(out.value());
                            } else {
                                refused++;
                                int n = Math.max(shards, replicas + 1);
                                if (n <= proxies && n <= 9) {
                                    assertThat(feasible(pool, shards, replicas)).as("refused but feasible: " + what
                                            + ": " + out.refusal()).isFalse();
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(placed).isGreaterThan(3000);
        assertThat(refused).isGreaterThan(100);
    }

    private static void check(ClusterSpec spec, List<ProxyRecord> pool, ClusterRecord r, String what) {
        int n = Math.max(spec.shards(), spec.replicas() + 1);
        assertThat(RecordCheck.problems(r)).as(what).isEmpty();
        assertThat(RecordCheck.hostProblems(r, pool)).as(what).isEmpty();
        assertThat(r.spec()).isEqualTo(spec);
        assertThat(r.proxies()).as(what).hasSize(n).doesNotHaveDuplicates();
        assertThat(r.moves()).isEmpty();
        assertThat(r.promotions()).isEmpty();
        Map<String, ProxyRecord> byAddress = new TreeMap<>();
        pool.forEach(p -> byAddress.put(p.address(), p));
        List<SlotRange> split = SlotSplit.even(spec.shards());
        for (int i = 0; i < spec.shards(); i++) {
            Shard s = r.shards().get(i);
            assertThat(s.id()).isEqualTo(i);
            assertThat(SlotRanges.parse(s.slots()).ranges()).containsExactly(split.get(i));
            // the ring: master at position i's node 0, replica j at position i+j's node j
            assertThat(s.master()).isEqualTo(new NodeRef(r.proxies().get(i), byAddress.get(r.proxies().get(i)).nodes().get(0)));
            assertThat(s.replicas()).hasSize(spec.replicas());
            for (int j = 1; j <= spec.replicas(); j++) {
                String p = r.proxies().get((i + j) % n);
                assertThat(s.replicas().get(j - 1)).isEqualTo(new NodeRef(p, byAddress.get(p).nodes().get(j)));
            }
        }
        // masters spread: a host holds at most its share when the pool lets every host carry its share
        Map<String, String> hostOf = Pools.hostOf(pool);
        Map<String, Integer> free = new TreeMap<>();
        pool.forEach(p -> free.merge(p.host(), 1, Integer::sum));
        int hosts = free.size();
        boolean roomy = free.values().stream().allMatch(c -> c >= (n + hosts - 1) / hosts);
        if (roomy) {
            int share = (spec.shards() + hosts - 1) / hosts;
            assertThat(Pools.mastersPerHost(r, hostOf).values()).as(what).allMatch(c -> c <= share);
        }
        // no two nodes of a shard on one host whenever the ring allows it
        if (strictFeasible(r, pool, spec)) {
            for (Shard s : r.shards()) {
                Set<String> hostsOfShard = new HashSet<>();
                Pools.nodes(r).stream().filter(x -> x.equals(s.master()) || s.replicas().contains(x))
                        .forEach(x -> hostsOfShard.add(hostOf.get(x.proxy())));
                assertThat(hostsOfShard).as(what).hasSize(1 + s.replicas().size());
            }
        }
    }

    /** Whether the proxies picked could be ringed with every shard's nodes on distinct hosts. */
    private static boolean strictFeasible(ClusterRecord r, List<ProxyRecord> pool, ClusterSpec spec) {
        Map<String, String> hostOf = Pools.hostOf(pool);
        List<String> hosts = new ArrayList<>();
        r.proxies().forEach(p -> hosts.add(hostOf.get(p)));
        Map<String, Integer> counts = new TreeMap<>();
        hosts.forEach(h -> counts.merge(h, 1, Integer::sum));
        return search(new ArrayList<>(counts.keySet()), counts.values().stream().mapToInt(i -> i).toArray(),
                new int[hosts.size()], 0, spec.shards(), spec.replicas(), true);
    }

    /** Brute force: can any choice of proxies from the pool be ringed with no master beside its replica's host? */
    static boolean feasible(List<ProxyRecord> pool, int shards, int replicas) {
        Map<String, Integer> available = new TreeMap<>();
        for (ProxyRecord p : pool) {
            if (p.nodes().size() >= replicas + 1) {
                available.merge(p.host(), 1, Integer::sum);
            }
        }
        int n = Math.max(shards, replicas + 1);
        return search(new ArrayList<>(available.keySet()), available.values().stream().mapToInt(i -> i).toArray(),
                new int[n], 0, shards, replicas, false);
    }

    private static boolean search(List<String> hosts, int[] left, int[] at, int pos, int shards, int replicas,
                                  boolean strict) {
        int n = at.length;
        if (pos == n) {
            for (int i = 0; i < shards; i++) {
                for (int a = 0; a <= replicas; a++) {
                    for (int b = a + 1; b <= replicas; b++) {
                        if ((strict || a == 0) && at[(i + a) % n] == at[(i + b) % n]) {
                            return false;
                        }
                    }
                }
            }
            return true;
        }
        for (int h = 0; h < left.length; h++) {
            if (left[h] == 0) {
                continue;
            }
            at[pos] = h;
            left[h]--;
            boolean ok = prefixOk(at, pos, shards, replicas, strict) && search(hosts, left, at, pos + 1, shards,
                    replicas, strict);
            left[h]++;
            if (ok) {
                return true;
            }
        }
        return false;
    }

    /** The constraints among positions 0..pos (no wrap yet). */
    private static boolean prefixOk(int[] at, int pos, int shards, int replicas, boolean strict) {
        for (int i = 0; i < shards && i <= pos; i++) {
            for (int a = 0; a <= replicas; a++) {
                for (int b = a + 1; b <= replicas; b++) {
                    int pa = i + a;
                    int pb = i + b;
                    if (pa <= pos && pb <= pos && (strict || a == 0) && at[pa] == at[pb]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
