package io.moonshard.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Promotion;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FailoverPlanTest {

    private static final long REV = 41;
    private static final long NOW = 1_700_000_000_000L;

    @Test
    void aDeadRedisPromotesTheReplicaWithTheHighestKnownOffsetAndStaysAsReplica() {
        List<ProxyRecord> pool = Pools.pool(3, 3, Pools.Shape.BALANCED, 3, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 3, 2, null), pool).orElseThrow();
        Shard s = r.shards().get(0);
        NodeRef low = s.replicas().get(0);
        NodeRef high = s.replicas().get(1);
        FailoverPlan.Result out = FailoverPlan.plan(r, new FailoverPlan.MasterDown(s.master()),
                Map.of(low, 100L, high, 250L), pool, List.of(), NOW);
        assertThat(out.promotions()).containsExactly(new Promotion(0, high, 250, NOW));
        assertThat(out.record().promotions()).containsExactly(new Promotion(0, high, 250, NOW));
        assertThat(out.record().shards().get(0)).isEqualTo(new Shard(0, high, List.of(low, s.master()), s.slots()));
        assertThat(out.record().shards().subList(1, 3)).isEqualTo(r.shards().subList(1, 3));
        assertThat(out.record().proxies()).isEqualTo(r.proxies());
        assertThat(out.downShards()).isEmpty();
        assertThat(out.shortOfReplicas()).isEmpty();
        assertThat(out.takenProxies()).isEmpty();
        assertThat(RecordCheck.problems(out.record())).isEmpty();

        // an unknown offset never wins, however the others compare
        FailoverPlan.Result unknownHigh = FailoverPlan.plan(r, new FailoverPlan.MasterDown(s.master()),
                Map.of(low, 5L, high, -1L), pool, List.of(), NOW);
        assertThat(unknownHigh.promotions()).containsExactly(new Promotion(0, low, 5, NOW));
    }

    @Test
    void noReplicaOfKnownOffsetLeavesTheShardDown() {
        List<ProxyRecord> pool = Pools.pool(2, 2, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool).orElseThrow();
        NodeRef master = r.shards().get(1).master();
        FailoverPlan.Result out = FailoverPlan.plan(r, new FailoverPlan.MasterDown(master), Map.of(), pool, List.of(), NOW);
        assertThat(out.downShards()).containsExactly(1);
        assertThat(out.promotions()).isEmpty();
        assertThat(out.record()).isEqualTo(r);
        assertThat(out.changesAnything(r)).isFalse();
        // a replica's Redis: nothing to promote
        NodeRef replica = r.shards().get(1).replicas().get(0);
        assertThat(FailoverPlan.plan(r, new FailoverPlan.MasterDown(replica), Map.of(replica, 9L), pool, List.of(),
                NOW).record()).isEqualTo(r);
    }

    @Test
    void aDeadProxyLeavesEveryShardAndItsShardsGetReplicasFromFreeProxiesOnOtherHosts() {
        List<ProxyRecord> pool = Pools.pool(3, 3, Pools.Shape.BALANCED, 2, 1);
        List<ProxyRecord> free = List.of(Pools.proxy(0, 5, 2), Pools.proxy(1, 5, 2), Pools.proxy(2, 5, 2));
        ClusterRecord r = Placement.create(new ClusterSpec("c", 3, 1, null), pool).orElseThrow();
        String dead = r.proxies().get(1);
        // proxy 1 is shard 1's master and shard 0's replica
        NodeRef shard1Replica = r.shards().get(1).replicas().get(0);
        FailoverPlan.Result out = FailoverPlan.plan(r, new FailoverPlan.ProxyDown(dead), Map.of(shard1Replica, 77L),
                pool, free, NOW);
        ClusterRecord after = out.record();
        assertThat(out.promotions()).containsExactly(new Promotion(1, shard1Replica, 77, NOW));
        assertThat(after.proxies()).doesNotContain(dead);
        assertThat(Pools.nodes(after)).noneMatch(n -> n.proxy().equals(dead));
        assertThat(RecordCheck.problems(after)).isEmpty();
        List<ProxyRecord> all = new ArrayList<>(pool);
        all.addAll(free);
        assertThat(RecordCheck.hostProblems(after, all)).isEmpty();
        assertThat(after.shards()).allMatch(s -> s.replicas().size() == 1);
        assertThat(out.shortOfReplicas()).isEmpty();
        // shard 0 (master on host 1) gets a node of a free proxy on host 3, shard 1 (its new master on host 3)
        // one on host 1: never the dead proxy's host while another will do (the host may be what failed)
        assertThat(out.takenProxies()).containsExactly("10.0.0.3:6005", "10.0.0.1:6005");
        assertThat(after.proxies()).containsAll(out.takenProxies());
        assertThat(after.shards().get(0).replicas()).containsExactly(new NodeRef("10.0.0.3:6005", "10.0.0.3:7050"));
        assertThat(after.shards().get(1).replicas()).containsExactly(new NodeRef("10.0.0.1:6005", "10.0.0.1:7050"));

        FailoverPlan.Result noFree = FailoverPlan.plan(r, new FailoverPlan.ProxyDown(dead), Map.of(shard1Replica, 77L),
                pool, List.of(), NOW);
        assertThat(noFree.shortOfReplicas()).containsExactly(0, 1);
        assertThat(noFree.record().shards().get(0).replicas()).isEmpty();
        assertThat(RecordCheck.problems(noFree.record())).isEmpty();
    }

    @Test
    void aDeadProxyWhoseShardCannotFailOverStaysListed() {
        List<ProxyRecord> pool = Pools.pool(2, 2, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool).orElseThrow();
        String dead = r.proxies().get(0);
        FailoverPlan.Result out = FailoverPlan.plan(r, new FailoverPlan.ProxyDown(dead), Map.of(), pool, List.of(), NOW);
        assertThat(out.downShards()).containsExactly(0);
        assertThat(out.record().proxies()).contains(dead);
        assertThat(out.record().shards().get(0).master().proxy()).isEqualTo(dead);
        // shard 1 lost its replica on the dead proxy; with no free proxy it runs without one; shard 0 (down)
        // keeps its replica
        assertThat(out.record().shards().get(1).replicas()).isEmpty();
        assertThat(out.record().shards().get(0).replicas()).isEqualTo(r.shards().get(0).replicas());
        assertThat(out.shortOfReplicas()).containsExactly(1);
    }

    @Test
    void everyShapeAndFailurePromotesTheBestReplicaAndKeepsTheRecordValid() {
        int plans = 0;
        for (int hosts = 2; hosts <= 6; hosts++) {
            for (int proxies = 2; proxies <= 12; proxies++) {
                for (Pools.Shape shape : Pools.Shape.values()) {
                    List<ProxyRecord> pool = Pools.pool(hosts, proxies, shape, 3, 7L * hosts + proxies);
                    List<ProxyRecord> free = Pools.more(hosts, 3, 3, 20);
                    List<ProxyRecord> all = new ArrayList<>(pool);
                    all.addAll(free);
                    for (int replicas = 1; replicas <= 2; replicas++) {
                        for (int shards = 1; shards <= proxies; shards += 2) {
                            Outcome<ClusterRecord> placed = Placement.create(new ClusterSpec("c", shards, replicas, null),
                                    pool);
                            if (!placed.isOk()) {
                                continue;
                            }
                            ClusterRecord r = placed.value();
                            Random random = new Random(shards * 131L + proxies);
                            Map<NodeRef, Long> offsets = new HashMap<>();
                            for (NodeRef n : Pools.nodes(r)) {
                                offsets.put(n, random.nextInt(5) == 0 ? -1L : random.nextInt(1_000_000));
                            }
                            for (Shard s : r.shards()) {
                                check(r, new FailoverPlan.MasterDown(s.master()), offsets, pool, free, all);
                                plans++;
                            }
                            for (String p : r.proxies()) {
                                check(r, new FailoverPlan.ProxyDown(p), offsets, pool, free, all);
                                plans++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(plans).isGreaterThan(2000);
    }

    private static void check(ClusterRecord r, FailoverPlan.Failure failure, Map<NodeRef, Long> offsets,
                              List<ProxyRecord> pool, List<ProxyRecord> free, List<ProxyRecord> all) {
        FailoverPlan.Result out = FailoverPlan.plan(r, failure, offsets, pool, free, NOW);
        String what = failure + " of " + r;
        assertThat(FailoverPlan.plan(r, failure, offsets, pool, free, NOW)).as("deterministic").isEqualTo(out);
        ClusterRecord after = out.record();
        assertThat(RecordCheck.problems(after)).as(what).isEmpty();
        String deadProxy = failure instanceof FailoverPlan.ProxyDown pd ? pd.proxy() : null;
        NodeRef deadNode = failure instanceof FailoverPlan.MasterDown md ? md.node() : null;
        Map<String, String> hostOf = Pools.hostOf(all);
        Set<Integer> promoted = new HashSet<>();
        for (Promotion p : out.promotions()) {
            promoted.add(p.shard());
            Shard before = r.shard(p.shard()).orElseThrow();
            // the highest known offset among the replicas still alive
            long best = before.replicas().stream().filter(x -> !x.proxy().equals(deadProxy))
                    .mapToLong(x -> offsets.getOrDefault(x, -1L)).max().orElse(-1);
            assertThat(p.minOffset()).as(what).isEqualTo(best).isEqualTo(offsets.get(p.node())).isNotNegative();
            assertThat(before.replicas()).contains(p.node());
            assertThat(after.shard(p.shard()).orElseThrow().master()).isEqualTo(p.node());
            assertThat(p.detectedAtMillis()).isEqualTo(NOW);
            if (deadNode != null) {
                // the dead node stays as a replica only when no live node could be taken for the shard
                Shard s = after.shard(p.shard()).orElseThrow();
                if (s.replicas().contains(deadNode)) {
                    assertThat(s.replicas()).as(what).last().isEqualTo(deadNode);
                    assertThat(s.replicas()).as(what).hasSizeLessThanOrEqualTo(r.spec().replicas());
                } else {
                    assertThat(s.replicas()).as("a live node replaced the dead one: " + what).hasSize(r.spec().replicas());
                }
            }
        }
        for (Shard before : r.shards()) {
            Shard s = after.shard(before.id()).orElseThrow();
            assertThat(s.slots()).isEqualTo(before.slots());
            boolean masterFailed = before.master().equals(deadNode) || before.master().proxy().equals(deadProxy);
            if (masterFailed && !promoted.contains(s.id())) {
                assertThat(out.downShards()).as(what).contains(s.id());
                assertThat(before.replicas()).as(what).noneMatch(x -> !x.proxy().equals(deadProxy)
                        && offsets.getOrDefault(x, -1L) >= 0);
            }
            if (!masterFailed) {
                assertThat(s.master()).isEqualTo(before.master());
            }
            if (deadProxy != null && !out.downShards().contains(s.id())) {
                assertThat(s.master().proxy()).as(what).isNotEqualTo(deadProxy);
                assertThat(s.replicas()).as(what).noneMatch(n -> n.proxy().equals(deadProxy));
                // a replica on the master's host only where the placement had put both on one host
                // (two hosts for two replicas: replicas may share one); never a new one
                String masterHost = hostOf.get(s.master().proxy());
                for (NodeRef x : s.replicas()) {
                    if (hostOf.get(x.proxy()).equals(masterHost)) {
                        assertThat(before.replicas()).as(what).contains(x, s.master());
                    }
                }
            }
        }
        if (deadProxy != null) {
            boolean stillMaster = after.shards().stream().anyMatch(s -> s.master().proxy().equals(deadProxy));
            assertThat(after.proxies().contains(deadProxy)).as(what).isEqualTo(stillMaster);
            assertThat(after.proxies()).containsAll(out.takenProxies());
            // with three free proxies on every host there is always a node for a lost replica
            for (Shard s : after.shards()) {
                if (!out.downShards().contains(s.id()) && s.replicas().size() < r.spec().replicas()) {
                    assertThat(out.shortOfReplicas()).as(what).contains(s.id());
                }
            }
        } else {
            // a dead Redis: the proxies stay, plus any free one taken for a live replacement replica
            List<String> expected = new ArrayList<>(r.proxies());
            expected.addAll(out.takenProxies());
            assertThat(after.proxies()).as(what).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(out.shortOfReplicas()).isEmpty();
        }
    }
}
