package io.moonshard.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScalePlanTest {

    @Test
    void growingThreeShardsToFourTakesOneSliceOfEach() {
        List<ProxyRecord> pool = Pools.pool(3, 3, Pools.Shape.BALANCED, 2, 1);
        List<ProxyRecord> free = Pools.more(3, 3, 2, 10);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 3, 1, null), pool).orElseThrow();
        ScalePlan.Plan plan = ScalePlan.to(r, 4, pool, free).orElseThrow();
        assertThat(plan.record().spec().shards()).isEqualTo(4);
        Shard added = plan.record().shard(3).orElseThrow();
        assertThat(added.slots()).isEmpty();
        assertThat(added.replicas()).hasSize(1);
        assertThat(plan.moves()).containsExactly(
                new SlotMove(0, 3, List.of("4096-5460"), 0),
                new SlotMove(1, 3, List.of("9557-10922"), 0),
                new SlotMove(2, 3, List.of("15019-16383"), 0));
        // one proxy for the master, a second for its replica on another host
        assertThat(plan.takenProxies()).hasSize(2);
        assertThat(RecordCheck.hostProblems(plan.record(), all(pool, free))).isEmpty();
        // one move per shard at a time: all three touch shard 3
        assertThat(ScalePlan.nextMoves(plan.record(), plan.moves(), 3)).containsExactly(plan.moves().get(0));
    }

    @Test
    void newMastersGoToTheHostsWithFewestMasters() {
        List<ProxyRecord> pool = List.of(Pools.proxy(0, 0, 2), Pools.proxy(0, 1, 2), Pools.proxy(1, 0, 2),
                Pools.proxy(2, 0, 2));
        ClusterRecord r = Placement.create(new ClusterSpec("c", 4, 1, null), pool).orElseThrow();
        assertThat(Pools.mastersPerHost(r, Pools.hostOf(pool))).containsEntry("10.0.0.1", 2);
        List<ProxyRecord> free = List.of(Pools.proxy(0, 5, 2), Pools.proxy(1, 5, 2), Pools.proxy(2, 5, 2));
        ScalePlan.Plan plan = ScalePlan.to(r, 6, pool, free).orElseThrow();
        // hosts 2 and 3 had one master each: the two new ones go there, their replicas on the other's proxy
        Shard a = plan.record().shard(4).orElseThrow();
        Shard b = plan.record().shard(5).orElseThrow();
        assertThat(a.master().proxy()).isEqualTo("10.0.0.2:6005");
        assertThat(b.master().proxy()).isEqualTo("10.0.0.3:6005");
        assertThat(a.replicas().get(0).proxy()).isEqualTo("10.0.0.3:6005");
        assertThat(b.replicas().get(0).proxy()).isEqualTo("10.0.0.2:6005");
        assertThat(plan.takenProxies()).containsExactly("10.0.0.2:6005", "10.0.0.3:6005");
    }

    @Test
    void threeToSixOnTheSmallestPoolLeavesEveryReplicaANodeOnAnotherHost() {
        // benchmarks/controller-scale.sh's pool: 3 shards on a proxy per host, one free proxy per host.
        // The masters take node 0 of each free proxy, leaving one node per host; the replicas' ranking
        // alone put the first two on each other's master hosts and refused the third (no node left off
        // its master's host), although each replica can take the next host's node.
        List<ProxyRecord> pool = Pools.pool(3, 3, Pools.Shape.BALANCED, 2, 1);
        List<ProxyRecord> free = Pools.more(3, 3, 2, 10);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 3, 1, null), pool).orElseThrow();
        ScalePlan.Plan plan = ScalePlan.to(r, 6, pool, free).orElseThrow();
        assertThat(plan.record().shards()).hasSize(6);
        assertThat(plan.takenProxies()).hasSize(3);
        assertThat(RecordCheck.problems(plan.record())).isEmpty();
        assertThat(RecordCheck.hostProblems(plan.record(), all(pool, free))).isEmpty();
        Set<String> hostsOfNewMasters = new HashSet<>();
        for (int id = 3; id < 6; id++) {
            Shard s = plan.record().shard(id).orElseThrow();
            assertThat(s.replicas()).hasSize(1);
            assertThat(Pools.hostOf(all(pool, free)).get(s.replicas().get(0).proxy()))
                    .isNotEqualTo(Pools.hostOf(all(pool, free)).get(s.master().proxy()));
            hostsOfNewMasters.add(Pools.hostOf(all(pool, free)).get(s.master().proxy()));
        }
        assertThat(hostsOfNewMasters).hasSize(3);
        assertThat(Pools.nodes(plan.record())).doesNotHaveDuplicates().hasSize(12);
    }

    @Test
    void placeableIsHallsConditionForReplicasOffTheirMastersHosts() {
        Map<String, Integer> onePerHost = Map.of("a", 1, "b", 1, "c", 1);
        assertThat(NodePool.placeable(List.of("a", "b", "c"), onePerHost)).isTrue();
        assertThat(NodePool.placeable(List.of("a", "b"), Map.of("a", 1, "b", 1))).isTrue();
        // after the first two replicas took the nodes of a and b: c's replica has only its own host
        assertThat(NodePool.placeable(List.of("c"), Map.of("c", 1))).isFalse();
        assertThat(NodePool.placeable(List.of("a", "a"), onePerHost)).isTrue();
        assertThat(NodePool.placeable(List.of("a", "a", "a"), onePerHost)).isFalse();
        assertThat(NodePool.placeable(List.of("a", "b", "c", "a"), onePerHost)).isFalse();
        assertThat(NodePool.placeable(List.of(), Map.of())).isTrue();
    }

    @Test
    void refusesWithoutFreeProxiesOrWhileMovesRun() {
        List<ProxyRecord> pool = Pools.pool(2, 2, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool).orElseThrow();
        assertThat(ScalePlan.to(r, 3, pool, List.of()).refusal())
                .isEqualTo("cluster c needs 1 free proxies for its new masters; the pool has 0");
        assertThat(ScalePlan.to(r, 3, pool, List.of(Pools.proxy(0, 9, 2))).refusal())
                .isEqualTo("cluster c: no free Redis node left on a host other than 10.0.0.1 for replica 1 of new shard 2");
        ClusterRecord moving = ScalePlan.start(r, List.of(new SlotMove(0, 1, List.of("0-9"), 0)), 7);
        assertThat(moving.moves()).containsExactly(new SlotMove(0, 1, List.of("0-9"), 7));
        assertThat(ScalePlan.to(moving, 1, pool, List.of()).refusal()).contains("1 moves in flight");
        assertThat(ScalePlan.to(r, 2, pool, List.of()).orElseThrow().moves()).isEmpty();
    }

    @Test
    void nextMovesKeepsToTheLimitAndOneMovePerShard() {
        List<ProxyRecord> pool = Pools.pool(4, 8, Pools.Shape.BALANCED, 2, 1);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 8, 1, null), pool).orElseThrow();
        List<SlotMove> planned = List.of(new SlotMove(0, 1, List.of("0-9"), 0), new SlotMove(1, 2, List.of("2048-2050"), 0),
                new SlotMove(2, 3, List.of("4096-4100"), 0), new SlotMove(4, 5, List.of("8192-8200"), 0),
                new SlotMove(6, 7, List.of("0-5"), 0), new SlotMove(6, 7, List.of("12288-12290"), 0));
        // 0->1 and 2->3 and 4->5 are disjoint; 1->2 touches 1; 6->7 of 0-5 is not 6's any more
        assertThat(ScalePlan.nextMoves(r, planned, 10)).containsExactly(planned.get(0), planned.get(2), planned.get(3),
                planned.get(5));
        assertThat(ScalePlan.nextMoves(r, planned, 2)).containsExactly(planned.get(0), planned.get(2));
        ClusterRecord running = ScalePlan.start(r, List.of(planned.get(0)), 3);
        assertThat(ScalePlan.nextMoves(running, planned, 2)).containsExactly(planned.get(2));
        assertThat(ScalePlan.nextMoves(running, planned, 1)).isEmpty();
        ClusterRecord done = ScalePlan.commit(running, running.moves().get(0));
        assertThat(done.moves()).isEmpty();
        assertThat(done.shard(1).orElseThrow().slots()).containsExactly("0-9", "2048-4095");
        assertThat(ScalePlan.nextMoves(done, planned, 1)).containsExactly(planned.get(1));
    }

    @Test
    void everyShapeGrowsAndShrinksToEvenSharesOwningEverySlotAtEveryStep() {
        int scaled = 0;
        for (int hosts = 1; hosts <= 6; hosts++) {
            for (int proxies = 2; proxies <= 10; proxies += 2) {
                for (Pools.Shape shape : Pools.Shape.values()) {
                    List<ProxyRecord> pool = Pools.pool(hosts, proxies, shape, 3, 11L * hosts + proxies);
                    List<ProxyRecord> free = Pools.more(hosts, 6, 3, 20);
                    for (int replicas = 0; replicas <= Math.min(2, hosts - 1); replicas++) {
                        for (int shards = 1; shards <= proxies; shards += 3) {
                            Outcome<ClusterRecord> placed = Placement.create(new ClusterSpec("c", shards, replicas, null),
                                    pool);
                            if (!placed.isOk()) {
                                continue;
                            }
                            for (int target : new int[] {shards + 1, shards + 3, Math.max(1, shards - 1),
                                    Math.max(1, shards / 2)}) {
                                scale(placed.value(), target, pool, free, 1 + target % 3);
                                scaled++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(scaled).isGreaterThan(300);
    }

    private static void scale(ClusterRecord r, int target, List<ProxyRecord> pool, List<ProxyRecord> free, int k) {
        String what = r.spec() + " to " + target;
        List<ProxyRecord> all = all(pool, free);
        Outcome<ScalePlan.Plan> out = ScalePlan.to(r, target, pool, free);
        assertThat(out.refusal()).as(what).isNull();
        assertThat(ScalePlan.to(r, target, pool, free)).as("deterministic").isEqualTo(out);
        ScalePlan.Plan plan = out.value();
        ClusterRecord rec = plan.record();
        assertThat(RecordCheck.problems(rec)).as(what).isEmpty();
        assertThat(RecordCheck.hostProblems(rec, all)).as(what).isEmpty();
        assertThat(rec.spec().shards()).isEqualTo(target);
        assertThat(rec.shards()).hasSize(Math.max(target, r.shards().size()));
        for (SlotMove m : plan.moves()) {
            assertThat(SlotRanges.parse(m.ranges()).ranges()).as("one contiguous range").hasSize(1);
            assertThat(m.fromShard()).isNotEqualTo(m.toShard());
        }
        Set<Integer> parties = new HashSet<>();
        plan.moves().forEach(m -> {
            parties.add(m.fromShard());
            parties.add(m.toShard());
        });
        int touched = parties.size();
        // each move ends a donor's surplus or a receiver's need (the shards start contiguous)
        assertThat(plan.moves().size()).as(what + ": few moves").isLessThanOrEqualTo(Math.max(0, touched - 1));
        // run it: start what nextMoves gives, commit the oldest, until nothing is left
        List<SlotMove> left = new ArrayList<>(plan.moves());
        long revision = 10;
        int steps = 0;
        while (!left.isEmpty() || !rec.moves().isEmpty()) {
            List<SlotMove> next = ScalePlan.nextMoves(rec, left, k);
            assertThat(rec.moves().size() + next.size()).isLessThanOrEqualTo(k);
            rec = ScalePlan.start(rec, next, ++revision);
            left.removeAll(next);
            assertThat(RecordCheck.problems(rec)).as(what).isEmpty();
            assertThat(rec.moves()).as(what + ": stuck with " + left).isNotEmpty();
            rec = ScalePlan.commit(rec, rec.moves().get(0));
            assertThat(RecordCheck.problems(rec)).as(what).isEmpty();
            assertThat(++steps).isLessThan(1000);
        }
        ScalePlan.Released released = ScalePlan.release(rec);
        ClusterRecord fin = released.record();
        assertThat(RecordCheck.problems(fin)).as(what).isEmpty();
        assertThat(fin.shards()).hasSize(target);
        int[] sizes = fin.shards().stream().mapToInt(s -> SlotRanges.parse(s.slots()).size()).sorted().toArray();
        int[] shares = SlotSplit.shares(target);
        Arrays.sort(shares);
        assertThat(sizes).as(what).isEqualTo(shares);
        // the kept shards are the lowest ids, then the new ones; what was freed serves nothing
        List<Integer> before = r.shards().stream().map(Shard::id).sorted().toList();
        List<Integer> ids = fin.shards().stream().map(Shard::id).toList();
        assertThat(ids.subList(0, Math.min(target, before.size()))).isEqualTo(
                before.subList(0, Math.min(target, before.size())));
        for (String p : released.freedProxies()) {
            assertThat(fin.servingProxies()).doesNotContain(p);
            assertThat(fin.proxies()).doesNotContain(p);
        }
        assertThat(fin.proxies()).containsAll(fin.servingProxies());
        assertThat(fin.proxies()).containsAll(plan.takenProxies().stream()
                .filter(p -> fin.servingProxies().contains(p)).toList());
        // slots only flow one way: a kept shard of a shrink only gains, an old shard of a growth only gives
        for (Shard s : fin.shards()) {
            if (r.shard(s.id()).isEmpty()) {
                continue;
            }
            SlotSet was = SlotRanges.parse(r.shard(s.id()).orElseThrow().slots());
            SlotSet now = SlotRanges.parse(s.slots());
            if (target < r.shards().size()) {
                assertThat(was.minus(now).isEmpty()).as(what).isTrue();
            } else {
                assertThat(now.minus(was).isEmpty()).as(what).isTrue();
            }
        }
    }

    private static List<ProxyRecord> all(List<ProxyRecord> pool, List<ProxyRecord> free) {
        List<ProxyRecord> all = new ArrayList<>(pool);
        all.addAll(free);
        return all;
    }
}
