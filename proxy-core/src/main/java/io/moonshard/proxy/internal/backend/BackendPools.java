package io.moonshard.proxy.internal.backend;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Every event loop's {@link BackendPool}, and the count of client-dedicated connections over all of
 * them (bounded by {@code max_dedicated_connections}). A pool is confined to its loop; what crosses
 * loops here (warming spares, dropping removed backends, closing) is handed to each pool's loop.
 */
public final class BackendPools {

    private final BackendEnvironment env;
    private final Bootstrap bootstrap;
    private final ConcurrentHashMap<EventLoop, BackendPool> pools = new ConcurrentHashMap<>();
    private final AtomicInteger dedicatedConnections = new AtomicInteger();

    public BackendPools(BackendEnvironment env, Bootstrap bootstrap) {
        this.env = env;
        this.bootstrap = bootstrap;
    }

    /** The backend pool of {@code loop}, created on first use. */
    public BackendPool poolFor(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new BackendPool(env, this, l, bootstrap));
    }

    /** Runs {@code action} on each pool's own event loop (the pool of a loop never runs elsewhere). */
    public void forEachOnItsLoop(BiConsumer<EventLoop, BackendPool> action) {
        pools.forEach((loop, pool) -> loop.execute(() -> action.accept(loop, pool)));
    }

    /** Counts one more client-dedicated backend connection; false (nothing counted) over the limit. */
    public boolean tryAcquireDedicatedConnection() {
        int limit = env.limits().maxDedicatedConnections();
        while (true) {
            int now = dedicatedConnections.get();
            if (now >= limit) {
                return false;
            }
            if (dedicatedConnections.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void releaseDedicatedConnection() {
        dedicatedConnections.decrementAndGet();
    }

    public int dedicatedConnectionCount() {
        return dedicatedConnections.get();
    }

    /** Every other loop opens its spare dedicated connections to {@code address} (see {@link BackendPool}). */
    void warmSpares(String address, int protocol, BackendPool except) {
        pools.forEach((loop, pool) -> {
            if (pool != except) {
                loop.execute(() -> pool.warmSpares(address, protocol));
            }
        });
    }

    /** Closes every pooled connection (shutdown). */
    public void closeAll() {
        forEachOnItsLoop((loop, pool) -> pool.closeAll());
    }
}
