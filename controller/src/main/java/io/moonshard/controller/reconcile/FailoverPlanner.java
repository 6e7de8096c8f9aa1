package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.placement.FailoverPlan;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the failures seen in one tick into one record to write: each failure planned by the pure
 * {@link FailoverPlan} on the result of the one before, so several at once (a proxy and, behind another
 * proxy, a Redis) become one transaction. A failed proxy leaves the cluster's proxies for its retired
 * list: it keeps its owner key, so it is not handed to another cluster with this one's data in its Redis
 * (docs/controller.md, "A failed proxy").
 */
public final class FailoverPlanner {

    private FailoverPlanner() {
    }

    /**
     * The new record (equal to the old one when nothing could be done), the free proxies it takes, and
     * why, for the log and the API.
     */
    public record Decision(ClusterRecord record, List<String> takenProxies, String why) {
        public Decision {
            takenProxies = List.copyOf(takenProxies);
        }
    }

    /**
     * @param deadMasters masters whose Redis died behind a live proxy
     * @param deadProxies proxies that stopped answering and are surely fenced
     * @param offsets     each replica's last reported replication offset (-1 unknown)
     * @param pool        every proxy of the pool, by address (the cluster's, for their hosts, and the free ones)
     * @param free        proxies of the pool no cluster holds
     */
    public static Decision decide(ClusterRecord record, Set<NodeRef> deadMasters, Set<String> deadProxies,
                                  Map<NodeRef, Long> offsets, Map<String, ProxyRecord> pool, List<ProxyRecord> free,
                                  long nowMillis) {
        List<ProxyRecord> members = new ArrayList<>();
        for (String p : record.proxies()) {
            ProxyRecord r = pool.get(p);
            if (r != null) {
                members.add(r);
            }
        }
        List<ProxyRecord> available = new ArrayList<>(free);
        ClusterRecord working = record.withPromotions(List.of());
        List<String> taken = new ArrayList<>();
        List<String> why = new ArrayList<>();
        List<FailoverPlan.Failure> failures = new ArrayList<>();
        deadProxies.forEach(p -> failures.add(new FailoverPlan.ProxyDown(p)));
        deadMasters.stream().filter(n -> !deadProxies.contains(n.proxy()))
                .forEach(n -> failures.add(new FailoverPlan.MasterDown(n)));
        List<io.moonshard.controller.model.Promotion> promotions = new ArrayList<>();
        Set<String> retired = new LinkedHashSet<>(record.retired());
        for (FailoverPlan.Failure failure : failures) {
            FailoverPlan.Result r = FailoverPlan.plan(working, failure, offsets, members, available, nowMillis);
            working = r.record();
            promotions.addAll(r.promotions());
            for (String t : r.takenProxies()) {
                taken.add(t);
                available.removeIf(p -> p.address().equals(t));
                ProxyRecord rec = pool.get(t);
                if (rec != null) {
                    members.add(rec);
                }
            }
            if (failure instanceof FailoverPlan.ProxyDown pd) {
                retired.add(pd.proxy());
            }
            why.add(failure + ": promoted " + r.promotions().stream().map(p -> p.node().node()).toList()
                    + (r.downShards().isEmpty() ? "" : ", shards with no replica to promote " + r.downShards())
                    + (r.shortOfReplicas().isEmpty() ? "" : ", short of replicas " + r.shortOfReplicas())
                    + (r.takenProxies().isEmpty() ? "" : ", took " + r.takenProxies()));
        }
        ClusterRecord out = working.withPromotions(promotions).withRetired(List.copyOf(retired));
        if (sameLayout(out, record)) {
            return new Decision(record, List.of(), String.join("; ", why));
        }
        return new Decision(out, taken, String.join("; ", why));
    }

    private static boolean sameLayout(ClusterRecord a, ClusterRecord b) {
        return a.shards().equals(b.shards()) && a.proxies().equals(b.proxies());
    }
}
