package io.moonshard.controller.election;

import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import java.util.Optional;

/**
 * The decisions of an election, apart from the store calls that feed them. A term is the life of one
 * leader key: created by a candidate's "absent, then put with my lease" transaction, so its
 * createRevision (the token) is unique and grows from term to term; it ends when the key is deleted
 * (resign, lease expiry) or written over.
 */
final class ElectionRules {

    private ElectionRules() {
    }

    /** What a candidate does after its transaction found the key present. */
    sealed interface Next permits Retry, Elected, Wait {
    }

    /** The key went away between the transaction and the read: try again at once. */
    record Retry() implements Next {
    }

    /** The key is ours after all: an earlier attempt was applied though its answer was lost. */
    record Elected(long token) implements Next {
    }

    /** Another candidate leads: watch the key for changes after {@code afterRevision}. */
    record Wait(long afterRevision) implements Next {
    }

    /** {@code current} is the key as read at store revision {@code readRevision}. */
    static Next afterLostTxn(Optional<Versioned> current, long readRevision, long myLeaseId) {
        if (current.isEmpty()) {
            return new Retry();
        }
        Versioned v = current.get();
        if (v.leaseId() == myLeaseId && v.modRevision() == v.createRevision()) {
            return new Elected(v.createRevision());
        }
        return new Wait(readRevision);
    }

    /** Whether the key as read still is the one this term created with this lease. */
    static boolean stillOurs(Optional<Versioned> current, long token, long leaseId) {
        return current.isPresent()
                && current.get().createRevision() == token
                && current.get().modRevision() == token
                && current.get().leaseId() == leaseId;
    }

    /** Whether a change of {@code key} seen by the leader's watch ends its term (nobody rewrites it). */
    static boolean endsTerm(WatchEvent event, String key, long token) {
        if (!key.equals(event.key())) {
            return false; // a longer key sharing the prefix
        }
        return event.kind() == WatchEvent.Kind.DELETE
                || (event.kind() == WatchEvent.Kind.PUT && event.modRevision() != token);
    }

    /** Whether a change seen by a standby's watch is the leader key going away. */
    static boolean vacated(WatchEvent event, String key) {
        return event.kind() == WatchEvent.Kind.DELETE && key.equals(event.key());
    }

    /**
     * The transaction that ends the term read as {@code dead}, whose leader was proven gone: it deletes
     * the key only while it still is that very write. Revisions are global and the leader key is
     * written once per term, so a key with another modRevision belongs to another term (a newer one,
     * typically) and is left alone.
     */
    static StoreTxn endDeadTerm(String key, Versioned dead) {
        if (!key.equals(dead.key())) {
            throw new IllegalArgumentException("not the leader key: " + dead.key());
        }
        return StoreTxn.builder().unchanged(key, dead.modRevision()).delete(key).build();
    }
}
