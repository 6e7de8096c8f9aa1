package io.moonshard.controller.store;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Keys with values and revisions, as etcd 3 has them. Every revision is global to the store and only
 * grows, so a key's {@code modRevision} orders all writes and serves as an epoch. Each call blocks for
 * at most the store's request timeout and throws {@link StoreException} when the store does not answer
 * in time (no quorum, unreachable): callers then change nothing.
 */
public interface MetadataStore extends AutoCloseable {

    /** The key's current value, or empty. */
    Optional<Versioned> get(String key);

    /** Every key under {@code prefix}, sorted by key, with the revision they were read at. */
    Listing list(String prefix);

    /** Applies {@code txn} atomically if all its comparisons hold; {@link TxnResult#succeeded()} says which. */
    TxnResult commit(StoreTxn txn);

    /**
     * Calls {@code listener} (on a store thread; it must not block) with each change under
     * {@code prefix} after {@code afterRevision}, in revision order, until the returned handle is closed.
     * A watch that the store cancels (compaction, lost connection it cannot resume) reports {@link
     * WatchEvent.Kind#RESET}: the listener should list the prefix again.
     */
    AutoCloseable watch(String prefix, long afterRevision, Consumer<WatchEvent> listener);

    /**
     * Grants a lease of {@code ttl} (the store may round it up) and keeps it alive until closed or
     * until the store stops answering; see {@link Lease#validUntilNanos()}.
     */
    Lease grantLease(Duration ttl);

    /**
     * Revokes lease {@code id}, deleting every key attached to it, at once; its holder's next renewal
     * finds it gone. For ending the term of a holder known to be dead, not for one's own leases
     * (closing a {@link Lease} revokes it). False if the store had no such lease (expired, revoked).
     */
    boolean revokeLease(long id);

    /** The newest revision of the store. */
    long revision();

    @Override
    void close();

    /** Keys and the store revision they were read at. */
    record Listing(List<Versioned> items, long revision) {
        public Listing {
            items = List.copyOf(items);
        }
    }
}
