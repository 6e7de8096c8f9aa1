package io.moonshard.proxy.internal.engine;

import java.util.Set;

/**
 * When a snapshot or a SETREPL changes the set of Redis nodes the proxy serves (SETCLUSTER's local
 * nodes and the local replicas READONLY clients read from), each loop's connections to a node that
 * left finish what is in flight, then close; connections to nodes that stay are kept as they are.
 */
public final class RetiredBackends implements BackgroundEngine {

    @Override
    public void start(EngineHost host) {
        host.onPublished((previous, next) -> {
            if (!previous.localBackends().equals(next.localBackends())) {
                retain(host);
            }
        });
        host.replication().onApplied(request -> retain(host));
    }

    private static void retain(EngineHost host) {
        Set<String> served = host.servedBackends(); // read now: the newest snapshot and SETREPL
        host.forEachPool((loop, pool) -> pool.retainOnly(served));
    }
}
