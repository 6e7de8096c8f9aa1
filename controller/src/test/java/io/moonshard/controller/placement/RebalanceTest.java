package io.moonshard.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RebalanceTest {

    /** Fails over the masters of {@code shards} to their first replica (a dead Redis each). */
    static ClusterRecord failedOver(ClusterRecord r, List<ProxyRecord> pool, int... shards) {
        for (int id : shards) {
            Shard s = r.shard(id).orElseThrow();
            Map<NodeRef, Long> offsets = new HashMap<>();
            offsets.put(s.replicas().get(0), 10L);
            r = FailoverPlan.plan(r, new FailoverPlan.MasterDown(s.master()), offsets, pool, List.of(), 0).record();
        }
        return r.withPromotions(List.of()); // the promotions were sent and confirmed
    }

    @Test
    void switchesMastersBackFromTheHostFailoversPiledThemOn() {
        List<ProxyRecord> pool = Pools.pool(3, 6, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 6, 1, null), pool).orElseThrow();
        Map<String, String> hostOf = Pools.hostOf(pool);
        assertThat(Pools.mastersPerHost(r, hostOf).values()).containsOnly(2);
        assertThat(Rebalance.plan(r, pool)).isEmpty();
        // both masters on host 1 fail over: each to its replica on the next host of the ring
        ClusterRecord piled = failedOver(r, pool, 0, 3);
        assertThat(Pools.mastersPerHost(piled, hostOf)).doesNotContainKey("10.0.0.1");
        assertThat(Rebalance.overLimit(piled, pool)).isNotEmpty();
        List<Rebalance.Switchover> plan = Rebalance.plan(piled, pool);
        assertThat(plan).hasSize(2);
        ClusterRecord after = piled;
        for (Rebalance.Switchover s : plan) {
            assertThat(hostOf.get(s.to().proxy())).isEqualTo("10.0.0.1");
            after = s.applyTo(after);
        }
        assertThat(Pools.mastersPerHost(after, hostOf).values()).containsOnly(2);
        assertThat(RecordCheck.problems(after)).isEmpty();
        assertThat(RecordCheck.hostProblems(after, pool)).isEmpty();
        assertThat(Rebalance.plan(after, pool)).isEmpty();
    }

    /**
     * The controller's scenario (ControllerScenarioIT): 3 shards over 3 hosts, 5 proxies of 2 nodes (2
     * free, on the first two hosts). The masters of shard 0, then of shard 1 die; each time the
     * replacement replica lands on the host the failover left without a master, so the rebalance can
     * hand a master back there and every host ends with one again. (A third death, of the master on
     * the third host, cannot be evened out: that host's only proxy has no live node left to take the
     * replacement, so the shard's new replica goes elsewhere and no replica is there to hand back to.)
     */
    @Test
    void everyFailoverInTurnCanBeEvenedOutAgain() {
        List<ProxyRecord> pool = Pools.pool(3, 5, Pools.Shape.BALANCED, 2, 1);
        Map<String, String> hostOf = Pools.hostOf(pool);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 3, 1, null), pool).orElseThrow();
        for (int round = 0; round < 2; round++) {
            Shard s = r.shards().get(round);
            Map<NodeRef, Long> offsets = new HashMap<>();
            s.replicas().forEach(n -> offsets.put(n, 10L));
            Set<String> inCluster = new HashSet<>(r.proxies());
            List<ProxyRecord> members = pool.stream().filter(p -> inCluster.contains(p.address())).toList();
            List<ProxyRecord> free = pool.stream().filter(p -> !inCluster.contains(p.address())).toList();
            FailoverPlan.Result failed = FailoverPlan.plan(r, new FailoverPlan.MasterDown(s.master()), offsets, members,
                    free, 0);
            r = failed.record().withPromotions(List.of());
            assertThat(RecordCheck.problems(r)).isEmpty();
            for (Rebalance.Switchover sw : Rebalance.plan(r, pool)) {
                r = sw.applyTo(r);
            }
            assertThat(Pools.mastersPerHost(r, hostOf)).as("round %d: %s", round, r).hasSize(3).allSatisfy((h, n) ->
                    assertThat(n).isEqualTo(1));
            assertThat(RecordCheck.hostProblems(r, pool)).isEmpty();
            assertThat(Rebalance.overLimit(r, pool)).isEmpty();
        }
    }

    @Test
    void leavesShardsWithAMoveOrAPromotionInFlightAlone() {
        List<ProxyRecord> pool = Pools.pool(2, 2, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool).orElseThrow();
        ClusterRecord piled = failedOver(r, pool, 0);
        assertThat(Rebalance.plan(piled, pool)).containsExactly(new Rebalance.Switchover(0,
                piled.shards().get(0).master(), piled.shards().get(0).replicas().get(0)));
        ClusterRecord moving = piled.withMoves(List.of(new SlotMove(0, 1, List.of("0-10"), 5)));
        assertThat(Rebalance.plan(moving, pool)).isEmpty();
        assertThatThrownBy(() -> new Rebalance.Switchover(1, piled.shards().get(0).master(),
                piled.shards().get(0).replicas().get(0)).applyTo(piled)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void afterThePlanNoOverloadedHostHasAShardItCouldHandOff() {
        int plans = 0;
        for (int hosts = 2; hosts <= 6; hosts++) {
            for (int proxies = 2; proxies <= 12; proxies++) {
                for (Pools.Shape shape : Pools.Shape.values()) {
                    List<ProxyRecord> pool = Pools.pool(hosts, proxies, shape, 3, 3L * hosts + proxies);
                    Map<String, String> hostOf = Pools.hostOf(pool);
                    for (int replicas = 1; replicas <= 2; replicas++) {
                        Outcome<ClusterRecord> placed = Placement.create(new ClusterSpec("c", proxies, replicas, null),
                                pool);
                        if (!placed.isOk()) {
                            continue;
                        }
                        Random random = new Random(proxies + 100L * hosts);
                        ClusterRecord r = placed.value();
                        int[] failing = random.ints(proxies / 2 + 1, 0, proxies).distinct().toArray();
                        ClusterRecord piled = failedOver(r, pool, failing);
                        List<Rebalance.Switchover> plan = Rebalance.plan(piled, pool);
                        assertThat(Rebalance.plan(piled, pool)).isEqualTo(plan);
                        ClusterRecord after = piled;
                        Set<Integer> switched = new HashSet<>();
                        for (Rebalance.Switchover s : plan) {
                            assertThat(switched.add(s.shard())).isTrue();
                            after = s.applyTo(after);
                        }
                        assertThat(RecordCheck.problems(after)).isEmpty();
                        int hostCount = new HashSet<>(hostOf.values()).size();
                        int limit = (proxies + hostCount - 1) / hostCount;
                        Map<String, Integer> masters = Pools.mastersPerHost(after, hostOf);
                        for (Shard s : after.shards()) {
                            String h = hostOf.get(s.master().proxy());
                            if (masters.get(h) > limit) {
                                // nothing left to do: none of its replicas is on a host under the limit
                                assertThat(s.replicas()).noneMatch(x -> masters.getOrDefault(hostOf.get(x.proxy()), 0) < limit);
                            }
                        }
                        int maxBefore = Pools.mastersPerHost(piled, hostOf).values().stream().max(Integer::compare).orElseThrow();
                        int maxAfter = masters.values().stream().max(Integer::compare).orElseThrow();
                        assertThat(maxAfter).isLessThanOrEqualTo(maxBefore);
                        plans++;
                    }
                }
            }
        }
        assertThat(plans).isGreaterThan(150);
    }
}
