package io.moonshard.controller.reconcile;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moonshard.controller.model.Promotion;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The controller's meters: clusters, shards, proxies by state, failovers and the time from a failure
 * being seen to its promotion, metadata pushes, moves in progress.
 */
public final class ControllerMetrics {

    private final AtomicLong clusters = new AtomicLong();
    private final AtomicLong shards = new AtomicLong();
    private final AtomicLong proxiesFree = new AtomicLong();
    private final AtomicLong proxiesServing = new AtomicLong();
    private final AtomicLong proxiesUnreachable = new AtomicLong();
    private final AtomicLong movesInProgress = new AtomicLong();
    private final AtomicLong leader = new AtomicLong();
    private final Counter failovers;
    private final Counter promotions;
    private final Counter pushes;
    private final Counter movesDone;
    private final Counter rebalanceSwitchovers;
    private final Timer timeToPromotion;

    public ControllerMetrics(MeterRegistry registry) {
        Gauge.builder("moonshard_controller_clusters", clusters, AtomicLong::get).register(registry);
        Gauge.builder("moonshard_controller_shards", shards, AtomicLong::get).register(registry);
        Gauge.builder("moonshard_controller_proxies", proxiesFree, AtomicLong::get).tag("state", "free").register(registry);
        Gauge.builder("moonshard_controller_proxies", proxiesServing, AtomicLong::get).tag("state", "serving")
                .register(registry);
        Gauge.builder("moonshard_controller_proxies", proxiesUnreachable, AtomicLong::get).tag("state", "unreachable")
                .register(registry);
        Gauge.builder("moonshard_controller_moves_in_progress", movesInProgress, AtomicLong::get).register(registry);
        Gauge.builder("moonshard_controller_leader", leader, AtomicLong::get)
                .description("1 while this controller leads").register(registry);
        failovers = Counter.builder("moonshard_controller_failovers").description("failover decisions written")
                .register(registry);
        promotions = Counter.builder("moonshard_controller_promotions").register(registry);
        pushes = Counter.builder("moonshard_controller_metadata_pushes").register(registry);
        movesDone = Counter.builder("moonshard_controller_moves_done").register(registry);
        rebalanceSwitchovers = Counter.builder("moonshard_controller_rebalance_switchovers")
                .description("planned handovers that evened out masters over hosts after a failover").register(registry);
        timeToPromotion = Timer.builder("moonshard_controller_time_to_failover")
                .description("from a failure first seen to its replica promoted").register(registry);
    }

    void observe(PoolState state, Map<String, Observation> observations) {
        clusters.set(state.clusters().size());
        shards.set(state.clusters().values().stream().mapToLong(r -> r.shards().size()).sum());
        proxiesFree.set(state.freeProxies().size());
        proxiesServing.set(state.owners().size());
        proxiesUnreachable.set(observations.values().stream().filter(o -> !o.reachable()).count());
        movesInProgress.set(state.clusters().values().stream().mapToLong(r -> r.moves().size()).sum());
    }

    void failoverDecided() {
        failovers.increment();
    }

    void promoted(Promotion p) {
        promotions.increment();
        long took = System.currentTimeMillis() - p.detectedAtMillis();
        if (took >= 0) {
            timeToPromotion.record(Duration.ofMillis(took));
        }
    }

    void pushed() {
        pushes.increment();
    }

    void moveDone() {
        movesDone.increment();
    }

    void rebalanced() {
        rebalanceSwitchovers.increment();
    }

    public void leading(boolean leads) {
        leader.set(leads ? 1 : 0);
    }

}
