package io.moonshard.controller.election;

import io.moonshard.controller.model.Json;
import io.moonshard.controller.store.Lease;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on any {@link MetadataStore}: one key, held by the leader with its lease.
 *
 * <p>A candidate campaigns with one transaction, "the key is absent, then put it = my {@link Candidate}
 * (JSON) with my lease". The winner's term has the key's createRevision as fencing token. The others
 * watch the key and campaign again the moment it is deleted: by the leader's resignation, by etcd when
 * the leader's lease expires (about one TTL after a {@code kill -9}, plus etcd's lease-expiry tick, up
 * to 0.5 s), or by a standby that has proof the leader's process is gone (below). A term ends for the
 * leader no later than its lease's validity, which ends before etcd can delete the key ({@link Lease}),
 * so two terms never overlap on the leaders' clocks when the lease ends them. After a term is lost the
 * candidate campaigns again.
 *
 * <p><b>Ending a dead leader's term early.</b> A standby also watches the leader through a {@link
 * LeaderProbe} (by default {@link LeaderProbe#NEVER}; the controller probes the leader's API port, see
 * {@link DeathEvidence}). On proof that the leader's process is gone, the standby ends exactly the term
 * it read: one transaction deletes the key only if its modRevision still is the one read (the key is
 * written once per term, so that is the term's token: a newer term's key is never touched). If that
 * succeeded, the standby campaigns at once (without waiting for its watch to report the deletion) and
 * then revokes that term's lease (a lease serves one term only: {@link #lead} takes it from the
 * candidate, the term closes it). After a {@code kill -9} this takes about the probe's confirmation window (0.3-0.4 s)
 * instead of the TTL.
 *
 * <p>Why that is safe even if the probe is wrong (the leader alive, e.g. a firewall answering with
 * resets): every store write of a leader is fenced by the leader key's revision (the token), so once
 * the key is deleted no write of the old term can land, and the new term's token is higher, which the
 * proxies' lease fencing and the epochs (store revisions) order. The old leader ends its term when its
 * watch reports the deletion (milliseconds); should its watch be broken, its next keepalive finds the
 * lease gone (within TTL/4 plus a request timeout) and its {@link Leadership#isLeader()} turns false
 * then. A wrong proof therefore costs availability (a needless change of leader), not safety; what it
 * gives up is only that, in that one case, the old leader stops shortly after the new one starts
 * instead of before. A proof that arrives after the candidate moved on (another term, leading,
 * closed) is ignored.
 *
 * <p>Everything runs on one thread per election; the callbacks ({@code onElected}, {@link
 * Leadership#onLost}) run there too and must return quickly.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /** What the candidate is doing. */
    public enum State {
        /** Not started. */
        IDLE,
        /** Trying the transaction (or waiting to retry it after a store error). */
        CAMPAIGNING,
        /** Another candidate leads; watching the key. */
        STANDBY,
        LEADING,
        CLOSED
    }

    private final MetadataStore store;
    private final String key;
    private final Candidate me;
    private final Duration ttl;
    private final byte[] value;
    private final LeaderProbe probe;
    private final ScheduledThreadPoolExecutor thread;
    private volatile Thread electionThread;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile State state = State.IDLE;
    private volatile Leadership current;
    private volatile long deadTermsEnded;
    // the rest is touched on the election thread only
    private Consumer<Leadership> onElected = l -> { };
    private Lease lease;
    private AutoCloseable standbyWatch;
    /** The probe of the leader of the term this candidate stands by for, and that term's revision (0: none). */
    private AutoCloseable leaderWatch;
    private long probedRevision;
    /** The term whose leader the probe proved dead while this candidate was not standing by (0: none). */
    private long provenRevision;
    private ScheduledFuture<?> pendingCampaign;
    /** Bumped whenever the candidate moves on, so callbacks of an older watch are ignored. */
    private long generation;

    /**
     * @param key the leader key, e.g. {@code /moonshard/leader}
     * @param ttl the lease TTL; a standby takes over about this long after the leader dies
     */
    public LeaderElection(MetadataStore store, String key, Candidate me, Duration ttl) {
        this(store, key, me, ttl, LeaderProbe.NEVER);
    }

    /**
     * @param probe looks, while this candidate stands by, for proof that the leader's process is gone,
     *              which lets it end that leader's term without waiting for its lease
     */
    public LeaderElection(MetadataStore store, String key, Candidate me, Duration ttl, LeaderProbe probe) {
        this.probe = Objects.requireNonNull(probe, "probe");
        this.store = Objects.requireNonNull(store, "store");
        this.key = Objects.requireNonNull(key, "key");
        this.me = Objects.requireNonNull(me, "me");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.value = Json.write(me);
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "moonshard-election-" + me.id());
            t.setDaemon(true);
            electionThread = t;
            return t;
        });
        // close() must not wait for a retry planned far ahead
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        thread.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        thread.setRemoveOnCancelPolicy(true);
    }

    /** Starts campaigning; {@code onElected} is called (on the election thread) at the start of each term. */
    public void start(Consumer<Leadership> onElected) {
        Objects.requireNonNull(onElected, "onElected");
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started: " + this);
        }
        runOnThread(() -> {
            this.onElected = onElected;
            campaign();
        }, () -> { });
    }

    public Candidate candidate() {
        return me;
    }

    public State state() {
        return state;
    }

    /** How many leaders' terms this candidate ended on its probe's proof that they were dead. */
    public long deadTermsEnded() {
        return deadTermsEnded;
    }

    /** The current term, if this candidate leads and the term has not ended. */
    public Optional<Leadership> leadership() {
        Leadership l = current;
        return l != null && l.isLeader() ? Optional.of(l) : Optional.empty();
    }

    /**
     * Who leads now, read from the store (any candidate's view); empty when nobody does.
     *
     * @throws StoreException if the store does not answer
     */
    public Optional<LeaderInfo> currentLeader() {
        return currentLeader(store, key);
    }

    /** Who leads under {@code key}, read from {@code store}, e.g. for a CLI that is no candidate. */
    public static Optional<LeaderInfo> currentLeader(MetadataStore store, String key) {
        return store.get(key).map(v -> new LeaderInfo(parse(v.value()), v.createRevision()));
    }

    private static Candidate parse(byte[] value) {
        try {
            return Json.read(value, Candidate.class);
        } catch (RuntimeException e) {
            // written by something else than a candidate: show it rather than fail
            return new Candidate(new String(value, StandardCharsets.UTF_8), "");
        }
    }

    /**
     * Stops campaigning, resigns if leading (deleting the key, revoking the lease) and stops the
     * election's thread, waiting for that a few request timeouts at most.
     */
    @Override
    public void close() {
        Runnable shutdown = () -> {
            if (state == State.CLOSED) {
                return;
            }
            State before = state;
            state = State.CLOSED;
            generation++;
            cancelPendingCampaign();
            closeStandbyWatch();
            closeLeaderProbe();
            Leadership l = current;
            if (l != null) {
                l.resignNow();
            }
            if (lease != null) {
                lease.close();
                lease = null;
            }
            LOG.info("election on {} closed for {} (was {})", key, me.id(), before);
        };
        if (onThread()) {
            shutdown.run();
            thread.shutdown();
            return;
        }
        try {
            thread.execute(shutdown);
        } catch (RejectedExecutionException e) {
            return; // closed before
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("election thread of {} did not stop", me.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- the campaign, on the election thread

    private void campaign() {
        if (state == State.CLOSED || current != null) {
            return;
        }
        generation++;
        cancelPendingCampaign();
        closeStandbyWatch();
        state = State.CAMPAIGNING;
        try {
            Lease l = validLease();
            TxnResult result = store.commit(StoreTxn.builder().absent(key).put(key, value, l.id()).build());
            if (result.succeeded()) {
                lead(result.revision(), l);
                return;
            }
            MetadataStore.Listing listing = store.list(key);
            Optional<Versioned> found = exact(listing, key);
            Versioned held = found.orElse(null);
            if (held != null && held.leaseId() != l.id() && java.util.Arrays.equals(held.value(), value)) {
                // my own key from a term that ended (its lease could not be renewed, e.g. while etcd had
                // no quorum; etcd renews such a lease to a full TTL when quorum returns): that term is
                // over here, so delete the key rather than wait a TTL for it
                store.commit(StoreTxn.builder().unchanged(key, held.modRevision()).delete(key).build());
                LOG.info("{} deleted its own leader key of an ended term (lease {})", me.id(), Long.toHexString(held.leaseId()));
                runOnThread(this::campaign, () -> { });
                return;
            }
            ElectionRules.Next next = ElectionRules.afterLostTxn(found, listing.revision(), l.id());
            if (next instanceof ElectionRules.Elected elected) {
                lead(elected.token(), l);
            } else if (next instanceof ElectionRules.Wait wait) {
                standby(wait.afterRevision(), held);
            } else {
                runOnThread(this::campaign, () -> { });
            }
        } catch (StoreException e) {
            LOG.warn("campaign of {} for {} failed, retrying: {}", me.id(), key, e.getMessage());
            pendingCampaign = schedule(this::campaign, retryDelayNanos());
        }
    }

    private Lease validLease() {
        if (lease != null && lease.isValid()) {
            return lease;
        }
        if (lease != null) {
            lease.close();
            lease = null;
        }
        lease = store.grantLease(ttl);
        return lease;
    }

    private void lead(long token, Lease l) {
        lease = null; // the term owns it now
        closeLeaderProbe();
        Leadership term = new Leadership(this, store, key, token, l);
        current = term;
        state = State.LEADING;
        LOG.info("{} leads {} with token {}", me.id(), key, token);
        term.start();
        try {
            onElected.accept(term);
        } catch (RuntimeException e) {
            LOG.warn("onElected of {} failed", me.id(), e);
        }
    }

    private void standby(long afterRevision, Versioned leader) {
        state = State.STANDBY;
        long g = generation;
        try {
            standbyWatch = store.watch(key, afterRevision, event -> runOnThread(() -> onStandbyEvent(g, event), () -> { }));
        } catch (StoreException e) {
            pendingCampaign = schedule(this::campaign, retryDelayNanos());
            return;
        }
        // a safety net should a watch event ever be missed: look again now and then
        pendingCampaign = schedule(this::campaign, recheckIntervalNanos());
        probeLeader(leader);
    }

    /**
     * Probes the leader of the term read as {@code leader}. A probe of that same term already running
     * goes on, with what it has seen so far: the periodic re-campaign must not restart the evidence
     * (a restarted probe needs to see the port accept again before a refusal counts).
     */
    private void probeLeader(Versioned leader) {
        if (leaderWatch != null && probedRevision == leader.modRevision()) {
            if (provenRevision == leader.modRevision()) {
                // proven while a campaign was retrying (the store away): the proof still holds
                runOnThread(() -> onLeaderProvenDead(leader), () -> { });
            }
            return;
        }
        closeLeaderProbe();
        try {
            leaderWatch = probe.watch(parse(leader.value()), () -> runOnThread(() -> onLeaderProvenDead(leader), () -> { }));
            probedRevision = leader.modRevision();
        } catch (RuntimeException e) {
            LOG.warn("could not probe the leader {}: {}", key, e.toString()); // the lease still ends its term
        }
    }

    private void onStandbyEvent(long g, WatchEvent event) {
        if (g != generation || state != State.STANDBY) {
            return;
        }
        if (event.kind() == WatchEvent.Kind.RESET || ElectionRules.vacated(event, key)) {
            campaign();
        }
    }

    /**
     * The probe proved the process of the term read as {@code dead} gone: end that term (only that one:
     * the transaction compares the revision read) and campaign at once.
     */
    private void onLeaderProvenDead(Versioned dead) {
        if (probedRevision != dead.modRevision()) {
            return; // the candidate moved on since that read: the proof is about a term it no longer waits for
        }
        if (state != State.STANDBY) {
            provenRevision = dead.modRevision(); // campaigning: acted on once it stands by for that term again
            return;
        }
        closeLeaderProbe(); // it has said all it will
        LOG.warn("{}: the leader {} (token {}) is gone (its API port refuses connections): ending its term",
                me.id(), parse(dead.value()).id(), dead.createRevision());
        // never one's own lease (a key on it would be this candidate's, which it does not wait for)
        boolean othersLease = dead.leaseId() != 0 && (lease == null || lease.id() != dead.leaseId());
        boolean deleted = false;
        try {
            deleted = store.commit(ElectionRules.endDeadTerm(key, dead)).succeeded();
        } catch (StoreException e) {
            // nothing lost: the lease still ends the term, and campaign() looks at the key again
            LOG.warn("{} could not end the dead leader's term on {}: {}", me.id(), key, e.getMessage());
        }
        if (deleted) {
            deadTermsEnded++;
        }
        campaign(); // first: the key is free now, and the revoke below changes nothing for it
        if (deleted && othersLease) {
            try {
                // also ends the term for a leader that is somehow alive and missed the deletion: its
                // next keepalive finds no lease
                store.revokeLease(dead.leaseId());
            } catch (StoreException e) {
                LOG.debug("revoking the dead leader's lease failed (it expires by itself): {}", e.getMessage());
            }
        }
    }

    /** Called by the term when it ends; campaigns again (a TTL later after a resignation). */
    void termEnded(Leadership term, boolean resigned) {
        if (current != term) {
            return;
        }
        current = null;
        if (state == State.CLOSED) {
            return;
        }
        state = State.CAMPAIGNING;
        generation++;
        pendingCampaign = schedule(this::campaign, resigned ? ttl.toNanos() : 0);
    }

    // --- helpers

    static Optional<Versioned> exact(MetadataStore.Listing listing, String key) {
        return listing.items().stream().filter(v -> v.key().equals(key)).findFirst();
    }

    long retryDelayNanos() {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(50), ttl.toNanos() / 4);
    }

    private long recheckIntervalNanos() {
        return Math.max(TimeUnit.SECONDS.toNanos(5), 2 * ttl.toNanos());
    }

    private boolean onThread() {
        return Thread.currentThread() == electionThread;
    }

    /** Runs {@code task} on the election thread; {@code ifClosed} instead once it has stopped. */
    void runOnThread(Runnable task, Runnable ifClosed) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("election task of {} failed", me.id(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            ifClosed.run();
        }
    }

    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return thread.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("election task of {} failed", me.id(), e);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private void cancelPendingCampaign() {
        if (pendingCampaign != null) {
            pendingCampaign.cancel(false);
            pendingCampaign = null;
        }
    }

    private void closeStandbyWatch() {
        AutoCloseable w = standbyWatch;
        standbyWatch = null;
        closeQuietly(w);
    }

    private void closeLeaderProbe() {
        AutoCloseable p = leaderWatch;
        leaderWatch = null;
        probedRevision = 0;
        provenRevision = 0;
        closeQuietly(p);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing a watch failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "LeaderElection[" + key + ", " + me.id() + ", " + state + "]";
    }
}
