package io.moonshard.proxy.internal.migration;

/**
 * A task's counts for INFOMGR's progress lines and the metrics: written by the task's thread, read
 * by anyone (each field on its own; a reader may see one field newer than another).
 */
final class Progress {
    volatile long keysCopied;
    volatile long keysDeleted;
    volatile long bytesCopied;
    volatile long chunkedKeys;
    volatile long keysTrimmed;
    /** A seeded destination's deletions of the keys of slots it does not import. */
    volatile long foreignKeysDeleted;
    /** How the source moves the keys: {@code -} until it has chosen, {@code keys} or {@code replication}. */
    volatile String mode = "-";
    /** A seed's time from REPLICAOF until the destination followed the source's stream, -1 before. */
    volatile long seedMillis = -1;
    volatile long rounds;
    volatile long refusedFences;
    volatile long lastFenceMicros;
    volatile long longestRoundTripMicros;
    volatile long startedNanos = System.nanoTime();

    void add(KeyCopier.CopyStats stats) {
        keysCopied += stats.keysCopied();
        keysDeleted += stats.keysDeleted();
        bytesCopied += stats.bytesCopied();
        chunkedKeys += stats.chunkedKeys();
        longestRoundTripMicros = Math.max(longestRoundTripMicros, stats.longestRoundTripMicros());
    }
}
