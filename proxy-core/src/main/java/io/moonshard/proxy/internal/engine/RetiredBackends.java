package io.moonshard.proxy.internal.engine;

/**
 * When a snapshot changes the set of local backends, each loop's connections to a backend that left
 * finish what is in flight, then close; connections to backends that stay are kept as they are.
 */
public final class RetiredBackends implements BackgroundEngine {

    @Override
    public void start(EngineHost host) {
        host.onPublished((previous, next) -> {
            if (!previous.localBackends().equals(next.localBackends())) {
                host.forEachPool((loop, pool) -> pool.retainOnly(next.localBackends()));
            }
        });
    }
}
