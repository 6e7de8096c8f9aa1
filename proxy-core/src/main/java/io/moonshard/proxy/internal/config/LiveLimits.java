package io.moonshard.proxy.internal.config;

import io.moonshard.proxy.ClientOutputBufferLimits;
import io.moonshard.proxy.ProxyConfig;
import java.util.function.UnaryOperator;

/**
 * The limits that {@code CONFIG SET} changes at run time and that backend connections and client
 * sessions read on their paths: the backend timeout, the number of client-dedicated backend
 * connections, the client output buffer limits, and when writes are answered ({@link WriteAckPolicy}). The command layer's {@code LiveSettings} parses and
 * sets them; everything below it only reads them here.
 *
 * <p>Each value is a volatile field (a plain load on the usual hardware), so a change is seen by every
 * event loop from its next use on; nothing is copied into connections.
 */
public final class LiveLimits {

    private volatile long backendTimeoutNanos;
    private volatile int maxDedicatedConnections;
    private volatile ClientOutputBufferLimits outputLimits;
    private volatile WriteAckPolicy writeAck;

    public LiveLimits(ProxyConfig config) {
        this.backendTimeoutNanos = config.backendTimeout().toNanos();
        this.maxDedicatedConnections = config.maxDedicatedConnections();
        this.outputLimits = config.clientOutputBufferLimit();
        this.writeAck = WriteAckPolicy.of(config);
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

    /**
     * When writes are answered now ({@code moonshard-write-ack}, {@code moonshard-write-ack-timeout-ms}); read
     * once per backend flush, so a change applies from each connection's next batch on.
     */
    public WriteAckPolicy writeAck() {
        return writeAck;
    }

    /**
     * Replaces the policy by {@code change} of the current one. Synchronized so that two CONFIG SETs on
     * different event loops (one of the mode, one of the timeout) cannot lose one another.
     */
    public synchronized void updateWriteAck(UnaryOperator<WriteAckPolicy> change) {
        writeAck = change.apply(writeAck);
    }
}
