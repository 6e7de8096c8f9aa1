package io.moonshard.controller.reconcile;

import io.moonshard.controller.store.StoreTxn;

/**
 * What the reconciler needs of its leadership: the fencing token it renews proxies' leases with,
 * whether it still holds, since when (a new leader treats that as the last renewal any proxy may have
 * had from its predecessor), and the comparison that makes a write land only while it leads.
 */
public interface LeaderGuard {

    long token();

    boolean isLeader();

    long sinceNanos();

    /** Adds to {@code txn} the comparison that fails it once this leadership is gone. */
    StoreTxn.Builder guard(StoreTxn.Builder txn);
}
