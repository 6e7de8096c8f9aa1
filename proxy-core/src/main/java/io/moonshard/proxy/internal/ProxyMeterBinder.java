package io.moonshard.proxy.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToLongFunction;

/**
 * Publishes the proxy's counters to a Micrometer registry of the embedder's choice. Every meter is a
 * function counter or a gauge that reads, at scrape time, a value the proxy keeps anyway (the
 * {@link ProxyMetrics} adders, the client registry, the cluster snapshot), so binding adds no work to
 * the command path. Before {@link ProxyRuntime#start()} every meter reads 0; after {@code close()}
 * the last values stay.
 *
 * <p>No meter has tags, so the series count is fixed. Names follow Prometheus conventions once a
 * Prometheus registry renders them: {@code moonshard.commands} becomes {@code moonshard_commands_total}.
 */
final class ProxyMeterBinder implements MeterBinder {

    private final ProxyRuntime runtime;

    ProxyMeterBinder(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "moonshard.commands",
                "Commands received from clients (every command, proxy-local ones included)",
                c -> c.metrics().commandsProcessed());
        counter(registry, "moonshard.backend.requests",
                "Commands forwarded to a backend Redis",
                c -> c.metrics().backendRequests());
        counter(registry, "moonshard.backend.errors",
                "Backend failures that failed a command (connect errors, timeouts, closed connections)",
                c -> c.metrics().backendErrors());
        counter(registry, "moonshard.redirections",
                "MOVED and ASK redirections answered to clients",
                c -> c.metrics().redirections());
        counter(registry, "moonshard.error.replies",
                "Commands the proxy itself refused with an error reply (unknown command, wrong arity, ...)",
                c -> c.metrics().errorReplies());
        counter(registry, "moonshard.client.connections.accepted",
                "Client connections accepted",
                c -> c.clients().totalConnections());
        counter(registry, "moonshard.client.connections.rejected",
                "Client connections refused because max_clients were connected",
                c -> c.metrics().rejectedClients());
        counter(registry, "moonshard.setcluster.applied",
                "UMCTL SETCLUSTER commands applied (initial_setcluster included)",
                c -> c.cluster().appliedCount());
        gauge(registry, "moonshard.client.connections",
                "Client connections open now",
                c -> c.clients().connected());
        gauge(registry, "moonshard.cluster.epoch",
                "Epoch of the cluster metadata the proxy holds (0 before the first SETCLUSTER)",
                ProxyContext::clusterEpoch);
        Gauge.builder("moonshard.ready", runtime, r -> r.isReady() ? 1 : 0)
                .description("1 while the proxy is ready by UMCTL READY's rule (holds metadata and serves some slots), else 0")
                .strongReference(true)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToLongFunction<ProxyContext> read) {
        // function counters hold the runtime weakly; the gauges below hold it strongly, so it stays
        FunctionCounter.builder(name, runtime, r -> read(r, read))
                .description(description)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToLongFunction<ProxyContext> read) {
        Gauge.builder(name, runtime, r -> read(r, read))
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    private static double read(ProxyRuntime runtime, ToLongFunction<ProxyContext> read) {
        ProxyContext context = runtime.context();
        return context == null ? 0 : read.applyAsLong(context);
    }
}
