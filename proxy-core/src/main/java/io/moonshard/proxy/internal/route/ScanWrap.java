package io.moonshard.proxy.internal.route;

/**
 * One walk over a Redis keyspace with {@code SCAN} that starts at an arbitrary cursor and wraps
 * around: from {@code start} to the end of the pass, then from 0 back to where it started. Pure
 * cursor arithmetic, no I/O.
 *
 * <p>Redis advances a SCAN cursor by incrementing its bits in reverse order (the high bits first), so
 * the buckets of a pass are visited in increasing order of the bit-reversed cursor, whatever the table's
 * size (that is what lets a pass survive a resize). The second part of the walk has covered everything
 * before {@code start} once the cursor Redis returns, bit-reversed, is at or past {@code start}
 * bit-reversed. A bucket may be visited twice, none is missed.
 */
final class ScanWrap {

    private final long start;
    private boolean wrapped;

    /** @param start the first cursor, any value (Redis masks it to its table) */
    ScanWrap(long start) {
        this.start = start;
    }

    /** The cursor to send first. */
    String first() {
        return Long.toUnsignedString(start);
    }

    /**
     * The cursor to send after a page whose reply carried {@code returned}, or null when the walk has
     * covered the whole keyspace.
     */
    String next(String returned) {
        long cursor = Long.parseUnsignedLong(returned);
        if (!wrapped) {
            if (cursor != 0) {
                return returned;
            }
            if (start == 0) {
                return null; // the first part was a whole pass
            }
            wrapped = true;
            return "0";
        }
        if (cursor == 0 || Long.compareUnsigned(Long.reverse(cursor), Long.reverse(start)) >= 0) {
            return null;
        }
        return returned;
    }
}
