package io.moonshard.proxy.internal.backend;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.config.LiveLimits;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * What backend connections need from the proxy, and nothing more: the start configuration (backend
 * password, cluster secret, connections per backend), the live backend timeout and dedicated
 * connection limit, the cluster metadata (to tell a peer proxy from a Redis), and the counters.
 *
 * @param config  the configuration the proxy started with
 * @param limits  the limits {@code CONFIG SET} changes at run time
 * @param cluster the cluster metadata
 * @param metrics the proxy-wide counters (requests sent, backend errors)
 * @param meters  the per-loop counts and the per-address connection gauges
 */
public record BackendEnvironment(ProxyConfig config, LiveLimits limits, ClusterState cluster, ProxyMetrics metrics,
                                 ProxyMeters meters) {

    /** Whether {@code address} is a peer proxy of this cluster (it relays PUBLISH), not a Redis. */
    public boolean isPeerProxy(String address) {
        return cluster.snapshot().peers().containsKey(address);
    }

    public ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }
}
