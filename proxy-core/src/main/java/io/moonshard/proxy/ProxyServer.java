package io.moonshard.proxy;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.moonshard.proxy.internal.runtime.ProxyRuntime;
import java.net.InetSocketAddress;
import java.util.List;
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
    private final ProxyRuntime runtime;

    private ProxyServer(ProxyConfig config, LogLevelControl logLevelControl) {
        this.config = config;
        this.runtime = new ProxyRuntime(config, logLevelControl);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the listening port and returns this server once it accepts connections. */
    public ProxyServer start() throws InterruptedException {
        runtime.start();
        return this;
    }

    /** The address actually bound (useful with port 0); null with {@code tls_only}. */
    public InetSocketAddress boundAddress() {
        return runtime.boundAddress();
    }

    /** The TLS listener's address ({@code tls_port}), or null without one. */
    public InetSocketAddress tlsBoundAddress() {
        return runtime.tlsBoundAddress();
    }

    /**
     * The configuration the proxy started with. Settings changed at run time with
     * {@code CONFIG SET moonshard-...} are not reflected here; {@code CONFIG GET moonshard-*} shows them.
     */
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

    /**
     * Whether the proxy is ready to serve, by the rule of {@code UMCTL READY}: it has been started, is
     * not closing, holds cluster metadata ({@code UMCTL SETCLUSTER}), and some local slot range is not
     * migrating away. Cheap and safe to call from any thread, e.g. for a readiness probe.
     */
    public boolean isReady() {
        return runtime.isReady();
    }

    /**
     * The proxy's meters, for a Micrometer registry of the caller's choice:
     * {@code server.metrics().bindTo(registry)}. Each meter reads, at scrape time, a count the proxy
     * keeps anyway (per event loop, summed when read), so binding costs nothing per command. They may be
     * bound before or after {@link #start()}; before it they read 0.
     *
     * <ul>
     *   <li>function counters: {@code moonshard.backend.requests}, {@code moonshard.backend.errors},
     *       {@code moonshard.redirections}, {@code moonshard.error.replies},
     *       {@code moonshard.client.connections.accepted}, {@code moonshard.client.connections.rejected},
     *       {@code moonshard.setcluster.applied}; in bytes: {@code moonshard.client.received},
     *       {@code moonshard.client.sent}, {@code moonshard.backend.received}, {@code moonshard.backend.sent};</li>
     *   <li>gauges: {@code moonshard.client.connections} (open now), {@code moonshard.cluster.epoch},
     *       {@code moonshard.ready} (1 or 0, as {@link #isReady()}), {@code moonshard.pending.commands},
     *       {@code moonshard.backend.dedicated.connections}, {@code moonshard.blocked.clients};</li>
     *   <li>function timers (count and total time): {@code moonshard.command.duration},
     *       {@code moonshard.backend.duration}; their buckets: {@link #latencyHistograms()};</li>
     *   <li>tagged, each series registered once first used: {@code moonshard.commands}
     *       ({@code command}, {@code outcome}), {@code moonshard.backend.connections} ({@code address},
     *       {@code state}), {@code moonshard.backend.reconnects} ({@code address}).</li>
     * </ul>
     *
     * <p>A Prometheus registry renders the counters with a {@code _total} suffix, e.g.
     * {@code moonshard_commands_total{command="get",outcome="ok"}}.
     */
    public MeterBinder metrics() {
        return runtime.meterBinder();
    }

    /**
     * Snapshots of the latency histograms, fixed buckets from 25 µs to 10 s: {@code moonshard.command.duration}
     * (a command from decoded request to complete reply) and {@code moonshard.backend.duration} (a backend
     * request from write to reply), commands that may block left out of both. For an exporter that renders
     * histogram buckets (see {@link LatencyHistogram}); counts since start, 0 before it. Any thread.
     */
    public List<LatencyHistogram> latencyHistograms() {
        return runtime.latencyHistograms();
    }

    /** Stops accepting, lets in-flight commands finish (bounded by the backend timeout), then closes. */
    @Override
    public void close() {
        runtime.close();
    }

    /** Builds a {@link ProxyServer}. */
    public static final class Builder {
        private ProxyConfig config = ProxyConfig.defaults();
        private LogLevelControl logLevelControl;

        private Builder() {
        }

        public Builder config(ProxyConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * How {@code CONFIG SET moonshard-loglevel} changes the process's log level; null (the default)
         * leaves the setting out. See {@link LogLevelControl}.
         */
        public Builder logLevelControl(LogLevelControl control) {
            this.logLevelControl = control;
            return this;
        }

        public ProxyServer build() {
            return new ProxyServer(config, logLevelControl);
        }
    }
}
