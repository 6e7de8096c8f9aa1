package io.moonshard.proxy.internal.engine;

/**
 * Work the proxy does on its own, beside the commands clients send: retiring connections to backends
 * that left the cluster, and the slot migration and replication engines. An engine gets the proxy
 * through {@link EngineHost} only; it is registered with one line in the command layer's
 * {@code ProxyContext} and started once the context is built.
 */
public interface BackgroundEngine {

    /** Starts the engine; called once, before any client connects. */
    void start(EngineHost host);

    /** Stops the engine (the proxy shuts down); called once, after the listeners closed. */
    default void close() {
    }
}
