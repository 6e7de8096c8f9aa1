package io.moonshard.proxy.internal.migration;

/**
 * How migrations run, shared by every task of one proxy. The budget is read before every batch, so
 * {@code CONFIG SET moonshard-migration-keys-per-second} takes effect at once on running tasks.
 */
public final class MigrationSettings {

    /** Threads copying batches during a task's first pass, each with its own links to both Redis. */
    volatile int copyWorkers = 2;
    /** Keys per SCAN round and per copy batch. */
    volatile int batchKeys = 1000;
    /** Catch-up rounds end when this few keys are left dirty: the rest is copied inside the fence. */
    volatile int fenceDirtyKeys = 300;
    /** A fence that has not drained its slots and copied the last keys by then is aborted (the attempt only). */
    volatile long fenceTimeoutMillis = 100;
    /** Attempts at the fence before the whole task is aborted. */
    volatile int maxAttempts = 20;
    /** Catch-up rounds before a fence is tried anyway. */
    volatile int maxRounds = 30;
    /** Collections with more elements than this are copied in pages, never by one DUMP. */
    volatile int chunkThreshold = 512;
    volatile int chunkSize = 256;
    /** Copy budget in keys per second for all of one task's copying and trimming; 0: no limit. */
    private volatile long keysPerSecond;
    /** An empty destination may be seeded by replication ({@link SeedRule}); read when a task chooses. */
    private volatile boolean seedByReplication = true;
    /** A seed whose full sync has not loaded by then is aborted (the task, ownership staying at the source). */
    volatile long seedTimeoutMillis = 600_000;
    /**
     * The fence of a seed is tried once the destination is this close behind the source's stream: what
     * it has left to apply inside the fence (a replica applies some tens of MB/s, so 128 KB is a few ms).
     */
    volatile long seedLagBytes = 128 << 10;

    public long fenceTimeoutMillis() {
        return fenceTimeoutMillis;
    }

    public void fenceTimeoutMillis(long millis) {
        fenceTimeoutMillis = millis;
    }

    public long keysPerSecond() {
        return keysPerSecond;
    }

    public boolean seedByReplication() {
        return seedByReplication;
    }

    /** {@code CONFIG SET moonshard-migration-seed-by-replication yes|no}: for tasks choosing from now on. */
    public void seedByReplication(boolean enabled) {
        seedByReplication = enabled;
    }

    /** @throws IllegalArgumentException for a negative budget */
    public void keysPerSecond(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("the migration budget is keys per second, 0 for no limit");
        }
        keysPerSecond = value;
    }
}
