package io.moonshard.proxy.internal.config;

import io.moonshard.proxy.ClientOutputBufferLimits;
import io.moonshard.proxy.ProxyConfig;

/**
 * The limits that {@code CONFIG SET} changes at run time and that backend connections and client
 * sessions read on their paths: the backend timeout, the number of client-dedicated backend
 * connections, and the client output buffer limits. The command layer's {@code LiveSettings} parses and
 * sets them; everything below it only reads them here.
 *
 * <p>Each value is a volatile field (a plain load on the usual hardware), so a change is seen by every
 * event loop from its next use on; nothing is copied into connections.
 */
public final class LiveLimits {

    private volatile long backendTimeoutNanos;
    private volatile int maxDedicatedConnections;
    private volatile ClientOutputBufferLimits outputLimits;

    public LiveLimits(ProxyConfig config) {
        this.backendTimeoutNanos = config.backendTimeout().toNanos();
        this.maxDedicatedConnections = config.maxDedicatedConnections();
        this.outputLimits = config.clientOutputBufferLimit();
    }

    /** The backend timeout now ({@code moonshard-backend-timeout}); read per timeout check. */
    public long backendTimeoutNanos() {
        return backendTimeoutNanos;
    }

    public void backendTimeoutNanos(long nanos) {
        backendTimeoutNanos = nanos;
    }

    /** The limit of client-dedicated backend connections now ({@code moonshard-max-dedicated-connections}). */
    public int maxDedicatedConnections() {
        return maxDedicatedConnections;
    }

    public void maxDedicatedConnections(int limit) {
        maxDedicatedConnections = limit;
    }

    /** The client output buffer limits now ({@code client-output-buffer-limit}); read per reply due. */
    public ClientOutputBufferLimits outputLimits() {
        return outputLimits;
    }

    public void outputLimits(ClientOutputBufferLimits limits) {
        outputLimits = limits;
    }
}
