package io.moonshard.controller.store.etcd;

/**
 * How long the holder of a lease may act on it, from the send times of the keepalives the store
 * acknowledged. Pure: every time is passed in ({@link System#nanoTime()} values).
 *
 * <p>etcd's leader expires a lease {@code TTL} after the last renewal it <em>received</em>; a keepalive is
 * received after it was sent, so {@code sendTime + TTL} is a lower bound of the expiry, on this JVM's
 * clock, whatever the network delay. The margin covers the rate difference of the two clocks and the
 * holder's own reaction time. Once the window has passed, or the store said the lease is gone, it is
 * over for good: a late acknowledgement does not bring it back, so a holder that saw itself lose the
 * lease never sees itself regain it.
 */
final class LeaseValidity {

    private static final long MIN_MARGIN_NANOS = 200_000_000L;

    private long validUntilNanos;
    private boolean ended;

    /** The window after a grant sent at {@code grantSentNanos} for {@code ttlNanos}. */
    LeaseValidity(long grantSentNanos, long ttlNanos) {
        this.validUntilNanos = grantSentNanos + ttlNanos - margin(ttlNanos);
    }

    /** 10 % of the TTL, at least 200 ms, at most half of the TTL. */
    static long margin(long ttlNanos) {
        return Math.min(ttlNanos / 2, Math.max(MIN_MARGIN_NANOS, ttlNanos / 10));
    }

    /**
     * The store acknowledged a keepalive sent at {@code sentNanos} and renewed the lease for {@code
     * ttlNanos}. Returns false if the window had already closed by {@code nowNanos} (the lease stays over).
     */
    synchronized boolean acknowledged(long sentNanos, long ttlNanos, long nowNanos) {
        if (isOver(nowNanos)) {
            ended = true;
            return false;
        }
        long candidate = sentNanos + ttlNanos - margin(ttlNanos);
        if (candidate - validUntilNanos > 0) { // nanoTime values compare by difference (they may overflow)
            validUntilNanos = candidate;
        }
        return true;
    }

    /** Ends the window at {@code nowNanos} at the latest (the lease was closed, or the store lost it). */
    synchronized void end(long nowNanos) {
        ended = true;
        if (nowNanos - validUntilNanos < 0) {
            validUntilNanos = nowNanos;
        }
    }

    synchronized long validUntilNanos() {
        return validUntilNanos;
    }

    /** Ended, or past its window. */
    synchronized boolean isOver(long nowNanos) {
        return ended || nowNanos - validUntilNanos >= 0;
    }
}
