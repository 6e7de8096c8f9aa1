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
