package io.moonshard.proxy.internal.migration;

import java.util.concurrent.locks.LockSupport;

/**
 * A task's keys-per-second budget ({@code moonshard-migration-keys-per-second}, read at every call so a
 * change applies at once): {@link #pace} parks the calling thread until the keys handled so far are
 * within it. Shared by a task's threads (its copy workers), so its methods are synchronized.
 */
final class Budget {

    private final MigrationSettings settings;
    private long keysSinceStart;
    private long startNanos = System.nanoTime();

    Budget(MigrationSettings settings) {
        this.settings = settings;
    }

    /** Counts {@code keys} more and waits as long as the budget asks; returns at once without one. */
    synchronized void pace(int keys) {
        long budget = settings.keysPerSecond();
        if (budget <= 0) {
            return;
        }
        keysSinceStart += keys;
        long due = startNanos + keysSinceStart * 1_000_000_000L / budget;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait); // rate limiting: the wait is the point
        }
        if (keysSinceStart > budget) {
            keysSinceStart = 0;
            startNanos = System.nanoTime();
        }
    }
}
