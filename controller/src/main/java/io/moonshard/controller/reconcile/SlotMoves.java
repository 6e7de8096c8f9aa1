package io.moonshard.controller.reconcile;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import io.moonshard.controller.placement.Outcome;
import io.moonshard.controller.placement.ScalePlan;
import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a slot move is decided and driven: the leader's scaling step, run once a cluster's proxies all
 * hold its current epoch. In one tick it does at most one of these, each one transaction:
 * <ol>
 *   <li><b>commit</b> the running moves that both proxies list as done in {@code UMCTL INFOMGR} (the source
 *       {@code MIGRATING}, the destination {@code IMPORTING} line of the task): their ranges become the
 *       destination's;</li>
 *   <li><b>start</b> the next moves of the plan that evens the slots over the spec's shards ({@link
 *       ScalePlan}), at most {@code maxConcurrentMoves} at once and never two on one shard: they are tagged
 *       in the record, and the proxies move the keys themselves (issue 14's migration engine);</li>
 *   <li><b>release</b>, once nothing moves, the shards beyond the spec that own no slot: their proxies
 *       go back to the pool, after being told the cluster's metadata as proxies that own nothing and
 *       then wiped ({@link #pruneRetired}).</li>
 * </ol>
 */
final class SlotMoves {

    private static final Logger LOG = LoggerFactory.getLogger(SlotMoves.class);

    private final MetadataStore store;
    private final Keys keys;
    private final ProxyClients clients;
    private final ControllerSettings settings;
    private final LeaderGuard leadership;
    private final ControllerMetrics metrics;

    SlotMoves(MetadataStore store, Keys keys, ProxyClients clients, ControllerSettings settings, LeaderGuard leadership,
              ControllerMetrics metrics) {
        this.store = store;
        this.keys = keys;
        this.clients = clients;
        this.settings = settings;
        this.leadership = leadership;
        this.metrics = metrics;
    }

    /**
     * One step for {@code record} (read at {@code revision}); returns the proxies to push first when it
     * wrote (the destinations of committed moves), or null when it wrote nothing.
     */
    List<String> step(PoolState state, ClusterRecord record, long revision) {
        if (!record.moves().isEmpty()) {
            return commitDone(record, revision);
        }
        if (start(state, record, revision)) {
            return List.of();
        }
        if (release(state, record, revision)) {
            return List.of();
        }
        return null;
    }

    /**
     * Moves from {@code retired} to {@code wiping} the proxies that have taken the current metadata and
     * that no cluster owns any more (released by a scale-in): their Redis may still hold keys (the trim of
     * moved keys runs in the background, a replica keeps what its master had), so they are free only once
     * the leader has wiped them ({@link Reconciler}). A failed proxy keeps its owner key and stays listed.
     * True when it wrote.
     */
    boolean pruneRetired(PoolState state, ClusterRecord record, long revision, Map<String, Observation> observations) {
        List<String> keep = new ArrayList<>();
        Set<String> wiping = new LinkedHashSet<>(record.wiping());
        for (String p : record.retired()) {
            Observation o = observations.get(p);
            boolean done = o != null && o.reachable() && o.last().epoch() >= Epochs.metadata(revision)
                    && !state.owners().containsKey(p);
            if (done) {
                wiping.add(p);
            } else {
                keep.add(p);
            }
        }
        if (keep.size() == record.retired().size()) {
            return false;
        }
        StoreTxn txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision))
                .put(keys.cluster(record.name()), Json.write(record.withRetired(keep).withWiping(new ArrayList<>(wiping))
                        .withPromotions(List.of()))).build();
        return store.commit(txn).succeeded();
    }

    private List<String> commitDone(ClusterRecord record, long revision) {
        ClusterRecord next = record;
        List<String> destinations = new ArrayList<>();
        for (SlotMove m : record.moves()) {
            NodeRef src = record.shard(m.fromShard()).orElseThrow().master();
            NodeRef dst = record.shard(m.toShard()).orElseThrow().master();
            String tail = tail(m, src, dst);
            List<String> atSource = clients.infoMgr(src.proxy());
            List<String> atDestination = clients.infoMgr(dst.proxy());
            if (atSource != null && atDestination != null
                    && atSource.contains(record.name() + " MIGRATING " + tail)
                    && atDestination.contains(record.name() + " IMPORTING " + tail)) {
                next = ScalePlan.commit(next, m);
                destinations.add(dst.proxy());
            }
        }
        if (next == record) {
            return null;
        }
        StoreTxn txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision))
                .put(keys.cluster(record.name()), Json.write(next.withPromotions(List.of()))).build();
        TxnResult result = store.commit(txn);
        if (!result.succeeded()) {
            return null;
        }
        for (int i = 0; i < record.moves().size() - next.moves().size(); i++) {
            metrics.moveDone();
        }
        LOG.info("cluster {}: committed {} move(s) at revision {}, {} running", record.name(),
                record.moves().size() - next.moves().size(), result.revision(), next.moves().size());
        return destinations;
    }

    /** {@code <n> <s-e>... <epoch> <src_proxy> <src_node> <dst_proxy> <dst_node>}, as INFOMGR lines end. */
    static String tail(SlotMove m, NodeRef src, NodeRef dst) {
        StringBuilder sb = new StringBuilder();
        List<SlotRange> ranges = SlotRanges.parse(m.ranges()).ranges();
        sb.append(ranges.size());
        for (SlotRange r : ranges) {
            sb.append(' ').append(r.start()).append('-').append(r.end());
        }
        return sb.append(' ').append(Epochs.metadata(m.startedRevision())).append(' ').append(src.proxy()).append(' ')
                .append(src.node()).append(' ').append(dst.proxy()).append(' ').append(dst.node()).toString();
    }

    private boolean start(PoolState state, ClusterRecord record, long revision) {
        List<ProxyRecord> members = members(state, record);
        Outcome<ScalePlan.Plan> plan = ScalePlan.to(record, record.spec().shards(), members, List.of());
        if (!plan.isOk() || !plan.value().takenProxies().isEmpty()) {
            return false; // shards the scale request could not staff yet: nothing to move to
        }
        List<SlotMove> next = ScalePlan.nextMoves(record, plan.value().moves(), settings.maxConcurrentMoves());
        if (next.isEmpty()) {
            return false;
        }
        // the moves carry this read's revision as their migration epoch: below the epoch of the write
        // that tags them, which is what the proxies require, and fixed for as long as they run
        ClusterRecord started = ScalePlan.start(record, next, revision).withPromotions(List.of());
        StoreTxn txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision))
                .put(keys.cluster(record.name()), Json.write(started)).build();
        TxnResult result = store.commit(txn);
        if (result.succeeded()) {
            LOG.info("cluster {}: started {} move(s) at revision {}: {}", record.name(), next.size(), result.revision(),
                    next.stream().map(m -> m.fromShard() + "->" + m.toShard() + " " + m.ranges()).toList());
        }
        return result.succeeded();
    }

    private boolean release(PoolState state, ClusterRecord record, long revision) {
        if (record.shards().size() <= record.spec().shards()) {
            return false;
        }
        ScalePlan.Released released = ScalePlan.release(record);
        if (released.record().shards().size() == record.shards().size()) {
            return false;
        }
        Set<String> retired = new LinkedHashSet<>(record.retired());
        retired.addAll(released.freedProxies());
        ClusterRecord next = released.record().withRetired(new ArrayList<>(retired)).withPromotions(List.of());
        StoreTxn.Builder txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision));
        for (String p : released.freedProxies()) {
            if (record.name().equals(state.owners().get(p))) {
                txn.unchanged(keys.owner(p), state.ownerKeys().get(p).modRevision()).delete(keys.owner(p));
            }
        }
        txn.put(keys.cluster(record.name()), Json.write(next));
        TxnResult result = store.commit(txn.build());
        if (result.succeeded()) {
            LOG.info("cluster {}: released {} shard(s) and proxies {} at revision {}", record.name(),
                    record.shards().size() - next.shards().size(), released.freedProxies(), result.revision());
        }
        return result.succeeded();
    }

    private static List<ProxyRecord> members(PoolState state, ClusterRecord record) {
        List<ProxyRecord> out = new ArrayList<>();
        for (String p : record.proxies()) {
            ProxyRecord r = state.proxies().get(p);
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    /** Whether every proxy of {@code record} holds {@code revision}'s epoch (its moves may then advance). */
    static boolean inSync(ClusterRecord record, long revision, Map<String, Observation> observations) {
        long epoch = Epochs.metadata(revision);
        for (String p : record.servingProxies()) {
            Observation o = observations.get(p);
            if (o == null || !o.reachable() || o.last().epoch() < epoch) {
                return false;
            }
        }
        return true;
    }
}
