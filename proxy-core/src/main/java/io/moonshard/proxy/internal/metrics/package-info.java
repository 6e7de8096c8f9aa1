/**
 * Counting what happens: per-loop counts and latency buckets
 * ({@link io.moonshard.proxy.internal.metrics.LoopStats}), their sum over loops
 * ({@link io.moonshard.proxy.internal.metrics.ProxyMeters}), reply outcomes, and the slow log. Written
 * on the command path with plain stores; read by INFO and the metrics binder. May use
 * {@code config} and {@code wire}.
 */
package io.moonshard.proxy.internal.metrics;
