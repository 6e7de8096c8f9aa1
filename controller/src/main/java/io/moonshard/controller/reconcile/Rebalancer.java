package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.placement.Rebalance;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreTxn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a failover, evens out masters over hosts again: where the failover left the record's
 * {@code rebalance} mark, the leader runs the first handover {@link Rebalance} plans ({@link
 * Switchover}, lossless), one per cluster at a time, each once the record has stayed unchanged and
 * every proxy has held its epoch for {@link #SETTLED_FOR} (the dead node's replacement has had time
 * to sync; a flapping cluster is left alone); when the plan is empty the mark is cleared. Only
 * failovers set the mark, so a layout an operator chose (a handover through the API, a drain before a
 * proxy stops) is never undone: those clear it.
 */
final class Rebalancer {

    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);
    /** How long a record must stay unchanged (and a refused handover wait) before the next handover. */
    static final Duration SETTLED_FOR = Duration.ofSeconds(2);

    private final MetadataStore store;
    private final Keys keys;
    private final Switchover switchover;
    private final LeaderGuard leadership;
    private final ControllerMetrics metrics;
    /** Per cluster: the revision last seen and since when (nanoTime), or the last refused attempt. */
    private final Map<String, long[]> quietSince = new HashMap<>();

    Rebalancer(MetadataStore store, Keys keys, Switchover switchover, LeaderGuard leadership, ControllerMetrics metrics) {
        this.store = store;
        this.keys = keys;
        this.switchover = switchover;
        this.leadership = leadership;
        this.metrics = metrics;
    }

    /**
     * One look at a cluster whose every proxy holds the record's epoch and whose promotions are all
     * confirmed (they stay in the record until its next write); true when it changed the store (a
     * handover ran, or the mark was cleared), so the caller reads again before doing more.
     */
    boolean step(PoolState state, ClusterRecord record, long revision) {
        if (!record.rebalance() || !record.moves().isEmpty()) {
            quietSince.remove(record.name());
            return false;
        }
        long now = System.nanoTime();
        long[] seen = quietSince.get(record.name());
        if (seen == null || seen[0] != revision) {
            quietSince.put(record.name(), new long[] {revision, now});
            return false;
        }
        if (now - seen[1] < SETTLED_FOR.toNanos()) {
            return false;
        }
        ClusterRecord promoted = record.withPromotions(List.of());
        List<Rebalance.Switchover> plan = Rebalance.plan(promoted, new ArrayList<>(state.proxies().values()));
        if (plan.isEmpty()) {
            StoreTxn txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision))
                    .put(keys.cluster(record.name()), Json.write(promoted.withRebalance(false))).build();
            boolean cleared = store.commit(txn).succeeded();
            if (cleared) {
                Map<String, Integer> over = Rebalance.overLimit(promoted, new ArrayList<>(state.proxies().values()));
                if (over.isEmpty()) {
                    LOG.info("cluster {}: masters are spread evenly over the hosts again", record.name());
                } else {
                    LOG.warn("cluster {}: masters stay piled on {}: no replica on a host with fewer masters to hand"
                            + " one to", record.name(), over);
                }
            }
            return cleared;
        }
        Rebalance.Switchover next = plan.get(0);
        try {
            switchover.run(record.name(), next.shard(), next.to(), true);
            metrics.rebalanced();
            LOG.info("cluster {}: shard {} handed over from {} to {} to even out masters over hosts", record.name(),
                    next.shard(), next.from(), next.to());
        } catch (ClusterAdmin.Refused e) {
            // e.g. the replica is not in sync yet: wait another quiet period
            LOG.info("cluster {}: rebalancing handover of shard {} to {} not done now: {}", record.name(), next.shard(),
                    next.to(), e.getMessage());
            quietSince.put(record.name(), new long[] {revision, now});
            return false;
        }
        return true;
    }
}
