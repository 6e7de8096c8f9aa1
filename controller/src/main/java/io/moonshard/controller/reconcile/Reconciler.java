package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Promotion;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.proxyclient.Reply;
import io.moonshard.controller.render.MetadataRenderer;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's loop. Each tick reads the whole store ({@link PoolState}) and, per cluster, in this
 * order:
 * <ol>
 *   <li><b>fail over</b>: a master whose Redis its live proxy reports down for {@code redisDownAfter},
 *       or a proxy that has not answered since its lease surely ran out, gets a {@link FailoverPlanner}
 *       decision written as one transaction (guarded by the leadership);</li>
 *   <li><b>promote</b>: the record's promotions are sent ({@code UMCTL PROMOTE}, offset-checked) until
 *       each is confirmed; nothing is pushed before, so no proxy is told a node is master before it is;</li>
 *   <li><b>push</b>: every proxy holding an older epoch than the record's gets the cluster's client
 *       password ({@link ClientPasswords}), and once it took it, SETREPL then SETCLUSTER, importing side
 *       first; proxies the cluster let go get it too, as proxies owning nothing;</li>
 *   <li>once every proxy holds it: <b>move slots</b> ({@link SlotMoves}) or, after a failover,
 *       <b>rebalance</b> masters over hosts ({@link Rebalancer}).</li>
 * </ol>
 * A deleting cluster gets none of that: every proxy it holds is wiped ({@link Wipes}: it serves nothing,
 * its Redis become empty masters), and once all are, the record and the owner keys go in one transaction,
 * so its proxies are free only when clean ({@link #finishDelete}); the proxies a scale-in let go are wiped
 * the same way before they are free ({@link #wipeReleased}). Then every free proxy that served a cluster
 * and that this leader has not seen wiped is wiped, and its client password cleared ({@link #releaseFree}).
 * Lease renewals ride on the probes ({@link Prober}); a proxy is renewed only while it holds the epoch
 * it should, so one that missed a change (paused, partitioned) stays fenced until it takes the new one.
 * Where a slot move is decided and driven: {@link SlotMoves}.
 */
public final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final MetadataStore store;
    private final Keys keys;
    private final ProxyClients clients;
    private final ControllerSettings settings;
    private final LeaderGuard leadership;
    private final ControllerMetrics metrics;
    private final Prober prober;
    private final SlotMoves moves;
    private final Rebalancer rebalancer;
    private final ClientPasswords passwords;
    /** For the rebalancing handovers: as long a wait as the API's handovers get. */
    private final ProxyClients handoverClients;
    /** For the wipes: a WIPE answers once whole nodes are flushed, so its links wait longer than a probe's. */
    private final ProxyClients wipeClients;
    private final Wipes wipes;
    /** The epoch each proxy must hold for its lease to be renewed; absent: no cluster claims it. */
    private final Map<String, Long> requiredEpochs = new ConcurrentHashMap<>();
    /** Promotions confirmed by this leader: cluster, record revision, node. */
    private final Set<String> confirmedPromotions = new HashSet<>();
    /** When an epoch was last pushed to a proxy, so an unanswered push is repeated, not flooded. */
    private final Map<String, long[]> lastPush = new HashMap<>();

    public Reconciler(MetadataStore store, Keys keys, ProxyClients clients, ControllerSettings settings, LeaderGuard leadership,
                      ControllerMetrics metrics) {
        this.store = store;
        this.keys = keys;
        this.clients = clients;
        this.settings = settings;
        this.leadership = leadership;
        this.metrics = metrics;
        this.prober = new Prober(clients, settings.probeInterval().toMillis(), settings.proxyLeaseTtl().toMillis(),
                this::leaseTokenFor);
        this.moves = new SlotMoves(store, keys, clients, settings, leadership, metrics);
        // a SWITCHOVER answers once the replica caught up and the peers took the new master: that takes
        // longer than a probe's timeout on a busy host, and a handover given up on while it happens all
        // the same leaves the record naming the old master
        this.handoverClients = new ProxyClients(settings.proxyAdminPassword(), HANDOVER_TIMEOUT_MILLIS);
        this.rebalancer = new Rebalancer(store, keys, new Switchover(store, keys, handoverClients), leadership, metrics);
        this.passwords = new ClientPasswords(clients, settings.probeInterval().toNanos() * 3);
        this.wipeClients = new ProxyClients(settings.proxyAdminPassword(), WIPE_TIMEOUT_MILLIS);
        this.wipes = new Wipes(wipeClients, WIPE_RETRY_NANOS);
    }

    /** How long a rebalancing SWITCHOVER may take to answer, as the API's handovers (ServerCommand). */
    private static final int HANDOVER_TIMEOUT_MILLIS = 10_000;
    /** How long a WIPE may take to answer: the proxy waits up to 5 s for its migration tasks, then flushes. */
    private static final int WIPE_TIMEOUT_MILLIS = 30_000;
    /** A refused or failed wipe is asked again after this. */
    private static final long WIPE_RETRY_NANOS = 500_000_000L;

    /** The observations of the proxies, for the API's status. */
    public Map<String, Observation> observations() {
        return prober.observations();
    }

    private long leaseTokenFor(String proxy) {
        if (!leadership.isLeader()) {
            return 0;
        }
        Long required = requiredEpochs.get(proxy);
        Observation seen = prober.observations().get(proxy);
        if (required == null) {
            // a free proxy owns nothing: renewing it serves nobody stale (and lets it pass /ready)
            return seen != null && seen.reachable() ? leadership.token() : 0;
        }
        // never renew a proxy whose last probe went unanswered: the renewals would only push its fence
        // further out while nobody can tell whether it serves; it is renewed again once it answers
        return seen != null && seen.reachable() && seen.last().epoch() >= required ? leadership.token() : 0;
    }

    /** One look at everything; false when the store could not be read (nothing was done). */
    public boolean tick() {
        if (!leadership.isLeader()) {
            return false;
        }
        PoolState state;
        try {
            state = PoolState.read(store, keys);
        } catch (StoreException e) {
            LOG.debug("store unreadable; nothing decided this tick: {}", e.getMessage());
            return false;
        }
        prober.track(state.proxies().keySet());
        passwords.retain(state.proxies().keySet());
        wipes.retain(state.proxies().keySet());
        updateRequiredEpochs(state);
        Map<String, Observation> observations = prober.observations();
        metrics.observe(state, observations);
        for (Map.Entry<String, ClusterRecord> e : state.clusters().entrySet()) {
            String name = e.getKey();
            ClusterRecord record = e.getValue();
            long revision = state.revision(name);
            if (revision == 0) {
                continue;
            }
            try {
                if (record.deleting()) {
                    finishDelete(state, record, revision, observations);
                    continue; // nothing else happens to a cluster being deleted
                }
                TxnResult failedOver = failOver(state, record, revision, observations);
                if (failedOver != null) {
                    if (!failedOver.succeeded()) {
                        continue; // someone wrote first: decide again on a fresh read next tick
                    }
                    // act on the decision at once rather than a tick later: promote, then push
                    PoolState fresh = PoolState.read(store, keys);
                    record = fresh.clusters().get(name);
                    revision = fresh.revision(name);
                    if (record == null) {
                        continue;
                    }
                }
                if (!promote(record, revision, observations)) {
                    continue;
                }
                push(record, revision, observations, List.of());
                if (wipeReleased(state, record, revision, prober.observations())) {
                    continue; // the record changed: the next tick works on it
                }
                if (SlotMoves.inSync(record, revision, prober.observations())) {
                    if (moves.pruneRetired(state, record, revision, prober.observations())) {
                        continue;
                    }
                    List<String> first = moves.step(state, record, revision);
                    if (first != null) {
                        PoolState fresh = PoolState.read(store, keys);
                        ClusterRecord now = fresh.clusters().get(name);
                        if (now != null) {
                            push(now, fresh.revision(name), prober.observations(), first);
                        }
                    } else {
                        // promote() confirmed every promotion of this revision above
                        rebalancer.step(state, record, revision); // the next tick pushes what it changed
                    }
                }
            } catch (StoreException ex) {
                LOG.debug("store unavailable while reconciling {}: {}", name, ex.getMessage());
            }
        }
        releaseFree(state, prober.observations());
        return true;
    }

    private void updateRequiredEpochs(PoolState state) {
        Map<String, Long> required = new HashMap<>();
        for (Map.Entry<String, ClusterRecord> e : state.clusters().entrySet()) {
            long epoch = Epochs.metadata(state.revision(e.getKey()));
            ClusterRecord r = e.getValue();
            if (r.deleting()) {
                // renewed only once wiped at the delete's epoch: one not wiped yet stops serving within its lease
                r.allProxies().forEach(p -> required.merge(p, epoch, Math::max));
                continue;
            }
            r.servingProxies().forEach(p -> required.merge(p, epoch, Math::max));
            r.proxies().forEach(p -> required.merge(p, epoch, Math::max));
            r.retired().forEach(p -> required.merge(p, epoch, Math::max));
        }
        requiredEpochs.keySet().retainAll(required.keySet());
        requiredEpochs.putAll(required);
    }

    // ---- failover ----

    /** The transaction of a failover decided now, or null when there was nothing to decide. */
    private TxnResult failOver(PoolState state, ClusterRecord record, long revision, Map<String, Observation> observations) {
        long now = System.nanoTime();
        Set<NodeRef> deadMasters = new LinkedHashSet<>();
        Set<String> deadProxies = new LinkedHashSet<>();
        for (String proxy : record.servingProxies()) {
            Observation o = observations.get(proxy);
            if (o == null || o.reachable() || o.unreachableSinceNanos() == 0) {
                continue;
            }
            boolean silent = now - o.unreachableSinceNanos() >= settings.proxyDownAfter().toNanos() && surelyFenced(o, now);
            // every connection refused for a while: no process listens, so none serves; no lease to wait out
            boolean gone = o.refusedSinceNanos() != 0 && now - o.refusedSinceNanos() >= settings.proxyDownAfter().toNanos() / 4;
            if (silent || gone) {
                deadProxies.add(proxy);
            }
        }
        deadMasters.addAll(downMasters(record, observations, now, settings));
        if (deadMasters.isEmpty() && deadProxies.isEmpty()) {
            return null;
        }
        Map<NodeRef, Long> offsets = new HashMap<>();
        for (Shard s : record.shards()) {
            for (NodeRef r : s.replicas()) {
                Observation o = observations.get(r.proxy());
                offsets.put(r, o == null ? -1 : o.replicaOffset(r.node()));
            }
        }
        FailoverPlanner.Decision decision = FailoverPlanner.decide(record, deadMasters, deadProxies, offsets, state.proxies(),
                state.freeProxies(), System.currentTimeMillis());
        if (decision.record().equals(record)) {
            LOG.warn("cluster {}: {} down, {} unreachable, and nothing can take over: {}", record.name(), deadMasters,
                    deadProxies, decision.why());
            return null;
        }
        StoreTxn.Builder txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision));
        for (String taken : decision.takenProxies()) {
            txn.absent(keys.owner(taken)).put(keys.owner(taken), record.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        // the failover may have piled masters onto a host: evened out once the cluster has settled
        txn.put(keys.cluster(record.name()), Json.write(decision.record().withRebalance(true)));
        TxnResult result = store.commit(txn.build());
        if (result.succeeded()) {
            metrics.failoverDecided();
            LOG.info("cluster {}: failed over at revision {} (masters down {}, proxies gone {}): {}", record.name(),
                    result.revision(), deadMasters, deadProxies, decision.why());
        }
        return result;
    }

    /**
     * The masters whose live proxy has reported their Redis down for long enough to fail them over: {@link
     * ControllerSettings#masterDownAfter}, longer for a shard that owns no slot (a new shard's master loading
     * its seed is reported down while it loads; failing it over then restarted the move and cost the clients
     * CLUSTERDOWN errors in the 3 -> 6 scale runs).
     */
    static Set<NodeRef> downMasters(ClusterRecord record, Map<String, Observation> observations, long now,
                                    ControllerSettings settings) {
        Set<NodeRef> down = new LinkedHashSet<>();
        for (Shard s : record.shards()) {
            Observation o = observations.get(s.master().proxy());
            if (o != null && o.reachable()
                    && o.masterDownNanos(s.master().node(), now) >= settings.masterDownAfter(s).toNanos()) {
                down.add(s.master());
            }
        }
        return down;
    }

    /**
     * Whether a proxy that stopped answering can no longer be serving: the last renewal sent to it, or
     * this leadership's start if later (no earlier leader renewed anything after its own lease ran out,
     * which was before this one began), is a lease TTL, a round trip and a drift margin ago.
     */
    private boolean surelyFenced(Observation o, long now) {
        long lastRenewal = Math.max(o.leaseSentNanos(), leadership.sinceNanos());
        return now - lastRenewal >= settings.fencedAfterNanos();
    }

    // ---- promotion ----

    /** True when every promotion of the record is confirmed, so its metadata may be pushed. */
    private boolean promote(ClusterRecord record, long revision, Map<String, Observation> observations) {
        boolean all = true;
        for (Promotion p : record.promotions()) {
            String id = record.name() + "@" + revision + "@" + p.node().node();
            if (confirmedPromotions.contains(id)) {
                continue;
            }
            Observation o = observations.get(p.node().proxy());
            if (o != null && o.reachable() && o.last().epoch() >= Epochs.metadata(revision)) {
                confirmedPromotions.add(id); // it already holds this record's metadata: promoted before
                continue;
            }
            if (!passwords.holds(p.node().proxy(), record.spec().password())) {
                // it took the password with its metadata, but maybe from another leader: once more, so the
                // promoted side never serves the shard without it
                Reply password = passwords.set(p.node().proxy(), record.spec().password());
                if (!password.done()) {
                    all = false;
                    LOG.warn("cluster {}: client password to {} not taken, so no PROMOTE yet: {}", record.name(),
                            p.node().proxy(), password.detail());
                    continue;
                }
            }
            Reply reply = clients.promote(p.node().proxy(), Epochs.promotion(revision), p.node().node(), p.minOffset());
            if (reply.done()) {
                confirmedPromotions.add(id);
                metrics.promoted(p);
                LOG.info("cluster {}: {} promoted at {} (epoch {}): {}", record.name(), p.node(), p.node().proxy(),
                        Epochs.promotion(revision), reply.detail());
            } else {
                all = false;
                LOG.warn("cluster {}: PROMOTE {} at {} not done: {}", record.name(), p.node().node(), p.node().proxy(),
                        reply.detail());
            }
        }
        return all;
    }

    // ---- metadata push ----

    /** Pushes the record's metadata to every proxy behind it, {@code first} first (a committed move's destination). */
    private void push(ClusterRecord record, long revision, Map<String, Observation> observations, List<String> first) {
        long epoch = Epochs.metadata(revision);
        long now = System.nanoTime();
        Set<String> targets = new LinkedHashSet<>(first);
        targets.addAll(MetadataRenderer.pushOrder(record));
        targets.addAll(record.retired());
        String password = record.spec().password();
        for (String proxy : targets) {
            Observation o = observations.get(proxy);
            if (o == null || !o.reachable()) {
                continue;
            }
            if (wipes.running(proxy)) {
                continue; // a free proxy's wipe (it was just taken) must end before it holds this cluster's data
            }
            if (o.last().epoch() >= epoch) {
                // it holds the metadata; a password this leader has not seen it take (this leader is new,
                // or the proxy was set up before the controller set passwords) is sent on its own
                if (!passwords.holds(proxy, password) && !passwords.recentlyRefused(proxy)) {
                    Reply taken = passwords.set(proxy, password);
                    if (!taken.done()) {
                        LOG.warn("cluster {}: client password to {} not taken: {}", record.name(), proxy, taken.detail());
                    }
                }
                continue;
            }
            long[] last = lastPush.get(proxy);
            if (last != null && last[0] == epoch && now - last[1] < settings.probeInterval().toNanos() * 3) {
                continue; // pushed moments ago: wait for the probe to see it
            }
            // the password first, in a round trip of its own, and the metadata only once it is taken: a
            // proxy behind the record's epoch may be new to the cluster or restarted (it lost what it was
            // told), and it must demand the password before it is given the cluster's slots or roles
            Reply passwordTaken = passwords.set(proxy, password);
            if (!passwordTaken.done()) {
                lastPush.put(proxy, new long[] {epoch, now});
                LOG.warn("cluster {}: client password to {} not taken, so metadata epoch {} waits: {}", record.name(), proxy,
                        epoch, passwordTaken.detail());
                continue;
            }
            List<Reply> replies = clients.pushMetadata(proxy, MetadataRenderer.setRepl(record, revision, proxy),
                    MetadataRenderer.setCluster(record, revision, proxy));
            lastPush.put(proxy, new long[] {epoch, now});
            if (replies.stream().allMatch(Reply::done)) {
                metrics.pushed();
                prober.probeSoon(proxy);
            } else {
                LOG.warn("cluster {}: metadata epoch {} to {} not taken: {}", record.name(), epoch, proxy, replies);
            }
        }
    }

    // ---- wipes: deletes, scale-ins, free proxies ----

    /**
     * A deleting cluster: every proxy it holds, or let go without a wipe yet, is wiped at the epoch of the
     * delete's write (above anything the cluster sent; any cluster taking a proxy later writes higher),
     * and once all are, the record and the owner keys go in one transaction: the proxies are free only
     * when clean. A proxy that does not answer keeps the delete waiting (it stops serving within its lease,
     * which is no longer renewed), until it answers or the operator removes it from the pool. When moves
     * were in flight, every proxy is wiped twice: a move's source copies into another proxy's Redis, and
     * only once every proxy has been wiped (each WIPE waits for its own tasks to end) has the copying
     * stopped everywhere, so the second round leaves every node empty for good.
     */
    private void finishDelete(PoolState state, ClusterRecord record, long revision, Map<String, Observation> observations) {
        long epoch = Epochs.metadata(revision);
        List<ProxyRecord> targets = new java.util.ArrayList<>();
        for (String p : record.allProxies()) {
            ProxyRecord member = state.proxies().get(p);
            if (member != null) {
                targets.add(member); // one the operator removed from the pool is theirs to flush
            }
        }
        int rounds = record.moves().isEmpty() ? 1 : 2;
        for (int round = 1; round <= rounds; round++) {
            boolean all = true;
            for (ProxyRecord p : targets) {
                Observation o = observations.get(p.address());
                if (o == null || !o.reachable()) {
                    all = false;
                } else if (!wipes.wiped(p.address(), epoch, round, p.nodes())) {
                    all = false;
                }
            }
            if (!all) {
                return;
            }
        }
        StoreTxn.Builder txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision));
        for (Map.Entry<String, String> owner : state.owners().entrySet()) {
            if (owner.getValue().equals(record.name())) {
                txn.unchanged(keys.owner(owner.getKey()), state.ownerKeys().get(owner.getKey()).modRevision())
                        .delete(keys.owner(owner.getKey()));
            }
        }
        txn.delete(keys.cluster(record.name()));
        TxnResult result = store.commit(txn.build());
        if (result.succeeded()) {
            LOG.info("cluster {}: deleted at revision {}; its proxies {} were wiped at epoch {} and are free", record.name(),
                    result.revision(), targets.stream().map(ProxyRecord::address).toList(), epoch);
        }
    }

    /**
     * The proxies a scale-in let go ({@code wiping}) are wiped at the record's epoch, which nothing else
     * sends them, and leave the list once wiped: only then are they free. True when it wrote.
     */
    private boolean wipeReleased(PoolState state, ClusterRecord record, long revision, Map<String, Observation> observations) {
        if (record.wiping().isEmpty()) {
            return false;
        }
        long epoch = Epochs.metadata(revision);
        List<String> remaining = new java.util.ArrayList<>();
        for (String p : record.wiping()) {
            ProxyRecord released = state.proxies().get(p);
            if (released == null) {
                continue; // removed from the pool: nothing of it is given to anyone
            }
            Observation o = observations.get(p);
            // REDIRECT: it keeps answering MOVED to the cluster's proxies, for clients whose slot map is old
            if (o == null || !o.reachable() || !wipes.wiped(p, epoch, 1, true, released.nodes())) {
                remaining.add(p);
            }
        }
        if (remaining.size() == record.wiping().size()) {
            return false;
        }
        StoreTxn txn = leadership.guard(StoreTxn.builder().unchanged(keys.cluster(record.name()), revision))
                .put(keys.cluster(record.name()), Json.write(record.withWiping(remaining).withPromotions(List.of()))).build();
        TxnResult result = store.commit(txn);
        if (result.succeeded()) {
            LOG.info("cluster {}: released proxies wiped, free from revision {}; still to wipe: {}", record.name(),
                    result.revision(), remaining);
        }
        return result.succeeded();
    }

    /**
     * A free proxy demands no client password and holds no data, so the next cluster it joins starts from
     * nothing. One whose epoch shows it served a cluster and that this leader has not seen wiped at that
     * epoch (a leader before this one let it go, or a controller that did not wipe yet) is wiped first, at
     * the epoch of the store revision its freedom was read at: above anything its old cluster sent it,
     * below anything a cluster taking it later sends. Then its client password is cleared, once per proxy
     * and leader, unless this leader has seen it cleared.
     */
    private void releaseFree(PoolState state, Map<String, Observation> observations) {
        long epoch = Epochs.metadata(state.ownersRevision());
        for (ProxyRecord free : state.freeProxies()) {
            String proxy = free.address();
            Observation o = observations.get(proxy);
            if (o == null || !o.reachable()) {
                continue;
            }
            long held = o.last().epoch();
            if (held < 0 || held > epoch) {
                continue; // unknown, or newer than this view: a later tick decides on a fresh read
            }
            // REDIRECT: peers it still names keep clients with an old slot map moving (a scale-in's)
            if (held > 0 && !wipes.wipedAt(proxy, held) && !wipes.wiped(proxy, epoch, 1, true, free.nodes())) {
                continue; // wiping in the background; its password waits, so it never serves old data without one
            }
            if (passwords.holds(proxy, null) || passwords.recentlyRefused(proxy)) {
                continue;
            }
            Reply cleared = passwords.set(proxy, null);
            if (!cleared.done()) {
                LOG.warn("free proxy {}: client password not cleared: {}", proxy, cleared.detail());
            } else if (held > 0) {
                LOG.info("free proxy {}: wiped, client password cleared", proxy);
            }
        }
    }

    public void close() {
        prober.close();
        wipes.close();
        wipeClients.close();
        handoverClients.close();
    }
}
