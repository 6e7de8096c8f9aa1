package io.moonshard.proxy.internal.backend;

/**
 * Whether writes wait for the end of the loop iteration to leave together (the default, always in
 * service): every request a loop reads from its clients in one iteration goes to a backend in one
 * {@code writev}, and every client's replies in one {@code send}. The JVM property
 * {@code moonshard.benchmark.flushEveryWrite=true} turns that off, flushing every request and reply on
 * its own, so {@code benchmarks/load.sh} can measure what the coalescing is worth in one run
 * (docs/performance.md); it is not a setting to run with.
 */
public final class WriteCoalescing {

    /** Read once: the JIT drops the branches that test it. */
    public static final boolean FLUSH_EVERY_WRITE = Boolean.getBoolean("moonshard.benchmark.flushEveryWrite");

    private WriteCoalescing() {
    }
}
