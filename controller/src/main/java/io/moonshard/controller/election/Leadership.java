package io.moonshard.controller.election;

import io.moonshard.controller.store.Lease;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One term of leadership, from the election to its loss. The leader may act while {@link #isLeader()}:
 * its lease is still valid on this JVM's clock (so etcd cannot have deleted the key yet, and no other
 * candidate can hold it) and nothing has ended the term: the key deleted or written over (seen by a
 * watch), the lease lost, {@link #resign()}. Writes should still compare revisions: {@link #token()} is
 * the fencing token, unique and growing from term to term.
 *
 * <p>The one way the key can go while the lease is still valid here: a standby took this process for
 * dead (its API port refused connections, see {@link LeaderElection}) and deleted the key and revoked
 * the lease. The watch then ends the term within milliseconds; without a watch, the next keepalive
 * finds the lease gone (within TTL/4 and a request timeout), which ends {@link #isLeader()} at once and
 * {@link #lost()} within another TTL/4.
 *
 * <p>A term that ended never comes back; the election campaigns again and a new term has a new token.
 * Its state changes run on the election's thread.
 */
public final class Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    private final LeaderElection election;
    private final MetadataStore store;
    private final String key;
    private final long token;
    private final Lease lease;
    private final CompletableFuture<String> lost = new CompletableFuture<>();
    // the rest is touched on the election thread only
    private AutoCloseable watch;
    private ScheduledFuture<?> validityCheck;
    private ScheduledFuture<?> recheck;

    Leadership(LeaderElection election, MetadataStore store, String key, long token, Lease lease) {
        this.election = election;
        this.store = store;
        this.key = key;
        this.token = token;
        this.lease = lease;
    }

    /** The fencing token of this term: the leader key's createRevision. */
    public long token() {
        return token;
    }

    public Candidate candidate() {
        return election.candidate();
    }

    /** Own lease still valid and the term not ended. */
    public boolean isLeader() {
        return !lost.isDone() && lease.isValid();
    }

    /**
     * {@link System#nanoTime()} until which this term may last at most (the lease's validity): an action
     * that cannot finish before it should not start.
     */
    public long validUntilNanos() {
        return lease.validUntilNanos();
    }

    /** Completes with the reason once the term has ended, on the election thread; never fails. */
    public CompletableFuture<String> lost() {
        return lost;
    }

    /**
     * Runs {@code action} once the term has ended: on the election thread, or at once on the caller's
     * if it already has.
     */
    public void onLost(Runnable action) {
        lost.thenRun(action);
    }

    /**
     * Ends the term: stops counting as leader at once, then deletes the key (if it is still this
     * term's) and revokes the lease, so a standby takes over without waiting for the TTL. This
     * candidate campaigns again only a TTL later, which leaves the term to another. Completes when done.
     */
    public CompletableFuture<Void> resign() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        election.runOnThread(() -> {
            resignNow();
            done.complete(null);
        }, () -> done.complete(null));
        return done;
    }

    // --- on the election thread

    void start() {
        armValidityCheck();
        watchFrom(token);
    }

    void resignNow() {
        if (!end("resigned")) {
            return;
        }
        try {
            store.commit(StoreTxn.builder().unchanged(key, token).delete(key).build());
        } catch (StoreException e) {
            LOG.warn("could not delete the leader key {} on resigning (it goes with the lease): {}", key, e.getMessage());
        }
        lease.close();
        election.termEnded(this, true);
    }

    private void lose(String why) {
        if (!end(why)) {
            return;
        }
        LOG.warn("leadership of {} (token {}) lost: {}", key, token, why);
        lease.close(); // revoking lets a standby take over at once if etcd still had the key
        election.termEnded(this, false);
    }

    /** Marks the term ended and stops its monitors; false if it already was. */
    private boolean end(String why) {
        if (lost.isDone()) {
            return false;
        }
        cancel(validityCheck);
        cancel(recheck);
        closeWatch();
        lost.complete(why); // isLeader() is false from here, before the key can go
        return true;
    }

    private void armValidityCheck() {
        if (lost.isDone()) {
            return;
        }
        long left = lease.validUntilNanos() - System.nanoTime();
        if (left <= 0) {
            lose("the lease was not renewed in time");
            return;
        }
        // looked at again at least every TTL/4, not only when the validity would run out: a lease the
        // store says is gone (revoked by a standby that took this process for dead, while the watch
        // missed the key's deletion) ends its validity early, at the next keepalive, and the term
        // should end then rather than up to a TTL later
        validityCheck = election.schedule(this::armValidityCheck, Math.min(left, election.retryDelayNanos()));
    }

    private void watchFrom(long afterRevision) {
        try {
            watch = store.watch(key, afterRevision, event -> election.runOnThread(() -> onEvent(event), () -> { }));
        } catch (StoreException e) {
            LOG.debug("could not watch the leader key {}: {}", key, e.getMessage());
            scheduleRecheck();
        }
    }

    private void onEvent(WatchEvent event) {
        if (lost.isDone()) {
            return;
        }
        if (event.kind() == WatchEvent.Kind.RESET) {
            closeWatch();
            recheck();
        } else if (ElectionRules.endsTerm(event, key, token)) {
            lose(event.kind() == WatchEvent.Kind.DELETE ? "the leader key was deleted" : "the leader key was overwritten");
        }
    }

    /** After a RESET: read the key; if still ours, watch again from the read's revision. */
    private void recheck() {
        if (lost.isDone()) {
            return;
        }
        try {
            MetadataStore.Listing listing = store.list(key);
            Optional<Versioned> current = LeaderElection.exact(listing, key);
            if (!ElectionRules.stillOurs(current, token, lease.id())) {
                lose("the leader key is no longer this term's");
                return;
            }
            watchFrom(listing.revision());
        } catch (StoreException e) {
            // the validity check ends the term if the store stays away
            scheduleRecheck();
        }
    }

    private void scheduleRecheck() {
        recheck = election.schedule(this::recheck, election.retryDelayNanos());
    }

    private void closeWatch() {
        AutoCloseable w = watch;
        watch = null;
        if (w != null) {
            try {
                w.close();
            } catch (Exception e) {
                LOG.debug("closing the leader watch failed", e);
            }
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "Leadership[" + key + ", token " + token + (lost.isDone() ? ", ended" : "") + "]";
    }
}
