package io.moonshard.controller.store;

/**
 * A lease kept alive in the background. The holder may act on it only while {@link #isValid()}: until
 * the send time of the last keepalive the store acknowledged, plus the granted TTL, minus a margin, on
 * this JVM's monotonic clock. The store deletes the lease's keys no earlier than that (etcd: never
 * before TTL after the last keepalive it received), so a holder that stops in time never overlaps a
 * successor that waited for the deletion.
 */
public interface Lease extends AutoCloseable {

    long id();

    /** The granted TTL in milliseconds. */
    long ttlMillis();

    /** {@link System#nanoTime()} after which the holder must assume the lease lost. */
    long validUntilNanos();

    default boolean isValid() {
        return System.nanoTime() < validUntilNanos();
    }

    /** Stops the keepalives and revokes the lease (its keys go at once); best effort. */
    @Override
    void close();
}
