package io.moonshard.proxy;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A running Moonshard proxy: listens for Redis Cluster clients and serves the slots its
 * {@code UMCTL SETCLUSTER} metadata gives it from its local Redis instances.
 *
 * <pre>{@code
 * ProxyServer proxy = ProxyServer.builder()
 *         .config(ProxyConfig.builder().address("127.0.0.1:5299").build())
 *         .build()
 *         .start();                 // returns once the port is bound
 * ...
 * proxy.close();                    // stop accepting, drain in-flight commands, close
 * }</pre>
 *
 * <p>Thread-safe: {@link #start()} and {@link #close()} may be called from any thread but not from
 * one of the proxy's own event loops.
 */
public final class ProxyServer implements AutoCloseable {

    private final ProxyConfig config;
    private final io.moonshard.proxy.internal.ProxyRuntime runtime;

    private ProxyServer(ProxyConfig config) {
        this.config = config;
        this.runtime = new io.moonshard.proxy.internal.ProxyRuntime(config);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the listening port and returns this server once it accepts connections. */
    public ProxyServer start() throws InterruptedException {
        runtime.start();
        return this;
    }

    /** The address actually bound (useful with port 0). */
    public InetSocketAddress boundAddress() {
        return runtime.boundAddress();
    }

    public ProxyConfig config() {
        return config;
    }

    /**
     * Completes when the server has fully stopped, whether by {@link #close()} or by
     * {@code UMCTL SHUTDOWN}. A launcher waits on this to exit the process.
     */
    public CompletableFuture<Void> terminationFuture() {
        return runtime.terminationFuture();
    }

    /** Stops accepting, lets in-flight commands finish (bounded by the backend timeout), then closes. */
    @Override
    public void close() {
        runtime.close();
    }

    /** Builds a {@link ProxyServer}. */
    public static final class Builder {
        private ProxyConfig config = ProxyConfig.defaults();

        private Builder() {
        }

        public Builder config(ProxyConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        public ProxyServer build() {
            return new ProxyServer(config);
        }
    }
}
