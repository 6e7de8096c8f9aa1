package io.moonshard.controller.placement;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Promotion;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a failover decides, per shard the failure touches:
 *
 * <ul>
 *   <li>a shard whose master failed promotes the replica with the highest known replication offset
 *       (never one whose offset is unknown, -1 or absent; on a tie the one on the host with the fewest
 *       masters, then the first listed), with {@code MINOFFSET} that offset. Without any replica of
 *       known offset the shard is not failed over: it stays down ({@link Result#downShards()}) until a
 *       later plan, with fresher offsets, can promote one;</li>
 *   <li>{@link MasterDown} (a Redis died behind a live proxy): the old master node stays in the shard,
 *       last among the replicas, to resync from the new master when it is back;</li>
 *   <li>{@link ProxyDown}: its nodes leave every shard; each shard that lost a node there and is not
 *       down gets replicas back up to the spec's count from free proxies, on hosts other than the
 *       shard's master's (fewer when the pool has none: {@link Result#shortOfReplicas()}); the proxy
 *       leaves {@code proxies}, unless a shard stays down with its master there.</li>
 * </ul>
 *
 * <p>The promotions are added to the record's {@code promotions} (the controller sends them, then the
 * record's metadata) and returned. Moves in flight are kept as they are.
 */
public final class FailoverPlan {

    /** What failed. */
    public sealed interface Failure permits MasterDown, ProxyDown {
    }

    /** The Redis of a master died; its proxy answers. */
    public record MasterDown(NodeRef node) implements Failure {
        public MasterDown {
            Objects.requireNonNull(node, "node");
        }
    }

    /** A proxy died: every node it serves is lost. */
    public record ProxyDown(String proxy) implements Failure {
        public ProxyDown {
            Objects.requireNonNull(proxy, "proxy");
        }
    }

    /**
     * @param record          the record to write
     * @param promotions      the promotions decided by this plan (also in {@code record.promotions()})
     * @param downShards      shards whose master failed and that no replica could take over
     * @param shortOfReplicas shards left with fewer replicas than the spec asks for
     * @param takenProxies    free proxies the plan took into the cluster for new replicas
     */
    public record Result(ClusterRecord record, List<Promotion> promotions, List<Integer> downShards,
                         List<Integer> shortOfReplicas, List<String> takenProxies) {
        public Result {
            promotions = List.copyOf(promotions);
            downShards = List.copyOf(downShards);
            shortOfReplicas = List.copyOf(shortOfReplicas);
            takenProxies = List.copyOf(takenProxies);
        }

        /** Whether the record changed at all. */
        public boolean changesAnything(ClusterRecord before) {
            return !record.equals(before);
        }
    }

    private FailoverPlan() {
    }

    /**
     * @param offsets          replication offsets of the replicas, as their proxies report them; -1 or
     *                         absent: unknown
     * @param members          the records of the cluster's proxies, the failed one included (their hosts)
     * @param freeProxies      the pool's proxies that serve no cluster
     * @param detectedAtMillis when the failure was seen
     */
    public static Result plan(ClusterRecord record, Failure failure, Map<NodeRef, Long> offsets,
                              List<ProxyRecord> members, List<ProxyRecord> freeProxies,
                              long detectedAtMillis) {
        Hosts hosts = new Hosts(members, freeProxies);
        String deadProxy = failure instanceof ProxyDown pd ? pd.proxy() : null;
        NodeRef deadNode = failure instanceof MasterDown md ? md.node() : null;
        NodePool pool = new NodePool(record, hosts, freeProxies, members, deadProxy);
        List<Shard> shards = new ArrayList<>();
        List<Promotion> promotions = new ArrayList<>();
        List<Integer> down = new ArrayList<>();
        List<Integer> lostNode = new ArrayList<>();
        Map<Integer, NodeRef> deadMasterOf = new java.util.HashMap<>();
        ClusterRecord working = record;
        for (Shard s : record.shards()) {
            boolean masterFailed = s.master().equals(deadNode) || s.master().proxy().equals(deadProxy);
            List<NodeRef> survivors = new ArrayList<>();
            for (NodeRef r : s.replicas()) {
                if (!r.proxy().equals(deadProxy)) {
                    survivors.add(r);
                } else {
                    pool.left(hosts.of(r));
                }
            }
            if (survivors.size() < s.replicas().size() || s.master().proxy().equals(deadProxy)) {
                lostNode.add(s.id());
            }
            if (!masterFailed) {
                shards.add(s.withMaster(s.master(), survivors));
                continue;
            }
            NodeRef chosen = choose(survivors, offsets, hosts, working);
            if (chosen == null) {
                down.add(s.id());
                shards.add(s.withMaster(s.master(), survivors));
                continue;
            }
            List<NodeRef> replicas = new ArrayList<>(survivors);
            replicas.remove(chosen);
            if (deadNode != null) {
                // the dead node leaves the shard if a live replica can be taken now (a spare node of the
                // cluster, or a free proxy's), so the new master has one at once: one that waited for the
                // dead Redis to come back would leave write_ack=replica writes unconfirmed until then.
                // With no node to take, it stays as a replica and resyncs when its Redis is back.
                lostNode.add(s.id());
                deadMasterOf.put(s.id(), s.master());
            }
            if (s.master().proxy().equals(deadProxy)) {
                pool.left(hosts.of(s.master()));
            }
            Shard promoted = s.withMaster(chosen, replicas);
            shards.add(promoted);
            working = working.withShard(promoted);
            pool.demoted(hosts.of(s.master()));
            pool.promoted(hosts.of(chosen));
            promotions.add(new Promotion(s.id(), chosen, offsets.get(chosen), detectedAtMillis));
        }

        List<Integer> shortOf = new ArrayList<>();
        List<Shard> refilled = new ArrayList<>();
        for (Shard s : shards) {
            boolean refill = lostNode.contains(s.id()) && !down.contains(s.id());
            List<NodeRef> replicas = new ArrayList<>(s.replicas());
            while (refill && replicas.size() < record.spec().replicas()) {
                Set<String> avoid = new HashSet<>();
                replicas.forEach(r -> avoid.add(hosts.of(r)));
                if (deadProxy != null) {
                    avoid.add(hosts.of(deadProxy)); // the host may be what failed
                }
                NodeRef added = pool.replica(hosts.of(s.master()), avoid);
                if (added == null) {
                    break;
                }
                replicas.add(added);
            }
            NodeRef deadMaster = deadMasterOf.get(s.id());
            if (deadMaster != null && replicas.size() < record.spec().replicas()) {
                replicas.add(deadMaster);
            }
            if (replicas.size() < record.spec().replicas()) {
                shortOf.add(s.id());
            }
            refilled.add(s.withMaster(s.master(), replicas));
        }

        Set<String> proxies = new LinkedHashSet<>(record.proxies());
        if (deadProxy != null && refilled.stream().noneMatch(s -> s.master().proxy().equals(deadProxy))) {
            proxies.remove(deadProxy);
        }
        proxies.addAll(pool.taken());
        List<Promotion> allPromotions = new ArrayList<>(record.promotions());
        allPromotions.addAll(promotions);
        ClusterRecord out = record.withShards(refilled).withPromotions(allPromotions)
                .withProxies(new ArrayList<>(proxies));
        return new Result(out, promotions, down, shortOf, pool.taken());
    }

    /** The replica of highest known offset; on a tie the one on the host with fewest masters, then the first. */
    private static NodeRef choose(List<NodeRef> replicas, Map<NodeRef, Long> offsets, Hosts hosts,
                                  ClusterRecord working) {
        Map<String, Integer> masters = hosts.masters(working);
        NodeRef best = null;
        long bestOffset = -1;
        for (NodeRef r : replicas) {
            Long offset = offsets.get(r);
            if (offset == null || offset < 0) {
                continue;
            }
            boolean better = best == null || offset > bestOffset
                    || offset == bestOffset && masters.getOrDefault(hosts.of(r), 0)
                    < masters.getOrDefault(hosts.of(best), 0);
            if (better) {
                best = r;
                bestOffset = offset;
            }
        }
        return best;
    }
}
