package io.moonshard.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moonshard.proxy.LatencyHistogram;
import io.moonshard.proxy.ProxyServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The admin HTTP endpoint ({@code admin_port}), on the JDK's own HTTP server, apart from the proxy's
 * event loops:
 * <ul>
 *   <li>{@code GET /metrics}: the proxy's meters and the JVM's, in the Prometheus text format;</li>
 *   <li>{@code GET /health}: 200 {@code OK} while the process serves (liveness);</li>
 *   <li>{@code GET /ready}: 200 {@code READY} when {@link ProxyServer#isReady()}, else 503 (readiness).</li>
 * </ul>
 * {@code HEAD} works wherever {@code GET} does; other methods get 405, other paths 404.
 */
final class AdminServer implements AutoCloseable {

    /** Prometheus text exposition format 0.0.4, which every Prometheus-compatible scraper reads. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer http;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;

    private AdminServer(HttpServer http, ExecutorService executor, PrometheusMeterRegistry registry,
                        JvmGcMetrics gcMetrics) {
        this.http = http;
        this.executor = executor;
        this.registry = registry;
        this.gcMetrics = gcMetrics;
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) and starts serving.
     *
     * @throws IOException when the address cannot be bound
     */
    static AdminServer start(String host, int port, ProxyServer proxy) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gcMetrics = new JvmGcMetrics();
        HttpServer http;
        try {
            // The latency histograms: rendered from the proxy's own per-loop buckets as Prometheus
            // histograms (_bucket{le}, _sum, _count), in place of the count-and-sum function timers of
            // the same names that proxy.metrics() binds for registries that cannot show buckets.
            Set<String> histograms = proxy.latencyHistograms().stream().map(LatencyHistogram::name)
                    .collect(Collectors.toSet());
            registry.config().meterFilter(MeterFilter.deny(id -> histograms.contains(id.getName())));
            proxy.metrics().bindTo(registry);
            registry.getPrometheusRegistry().register(new LatencyHistograms(proxy));
            new JvmMemoryMetrics().bindTo(registry);
            gcMetrics.bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            http = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException | RuntimeException e) {
            gcMetrics.close();
            registry.close();
            throw e;
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, daemonThreads());
        AdminServer admin = new AdminServer(http, executor, registry, gcMetrics);
        BooleanSupplier serving = () -> !proxy.terminationFuture().isDone();
        http.createContext("/metrics", exchange -> admin.serve(exchange, "/metrics", () -> admin.metrics()));
        http.createContext("/health", exchange -> admin.serve(exchange, "/health",
                () -> serving.getAsBoolean() ? Reply.text(200, "OK") : Reply.text(503, "STOPPED")));
        http.createContext("/ready", exchange -> admin.serve(exchange, "/ready",
                () -> proxy.isReady() ? Reply.text(200, "READY") : Reply.text(503, "NOT READY")));
        http.createContext("/", exchange -> admin.serve(exchange, "/", null)); // every other path: 404
        http.setExecutor(executor);
        http.start();
        return admin;
    }

    /** The address actually bound. */
    InetSocketAddress address() {
        return http.getAddress();
    }

    /** The registry behind {@code /metrics}. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops listening at once (a scrape in progress is cut) and releases the JVM listeners. */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gcMetrics.close();
        registry.close();
    }

    private Reply metrics() {
        return new Reply(200, METRICS_CONTENT_TYPE, registry.scrape(METRICS_CONTENT_TYPE).getBytes(StandardCharsets.UTF_8));
    }

    /** One reply, built only for a GET or HEAD of exactly {@code path}. */
    private void serve(HttpExchange exchange, String path, Supplier<Reply> handler)
            throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            Reply reply;
            if (path.equals("/") || !exchange.getRequestURI().getPath().equals(path)) {
                reply = Reply.text(404, "Not Found");
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply = Reply.text(405, "Method Not Allowed");
            } else {
                reply = handler.get();
            }
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(reply.status(), -1);
            } else {
                exchange.sendResponseHeaders(reply.status(), reply.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(reply.body());
                }
            }
        }
    }

    /**
     * The proxy's latency histograms as Prometheus classic histograms, read at scrape time from
     * {@link ProxyServer#latencyHistograms()}: a Micrometer timer would render the same family, but records
     * into shared atomic buckets on every command, which the proxy avoids (see {@link LatencyHistogram}).
     */
    static final class LatencyHistograms implements MultiCollector {
        private final ProxyServer proxy;

        LatencyHistograms(ProxyServer proxy) {
            this.proxy = proxy;
        }

        @Override
        public MetricSnapshots collect() {
            List<MetricSnapshot> snapshots = new ArrayList<>();
            for (LatencyHistogram h : proxy.latencyHistograms()) {
                double[] bounds = h.upperBoundsSeconds();
                double[] withInf = Arrays.copyOf(bounds, bounds.length + 1);
                withInf[bounds.length] = Double.POSITIVE_INFINITY;
                snapshots.add(HistogramSnapshot.builder()
                        .name(prometheusName(h))
                        .help(h.description())
                        .unit(Unit.SECONDS)
                        .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                                .classicHistogramBuckets(ClassicHistogramBuckets.of(withInf, h.bucketCounts()))
                                .sum(h.sumSeconds())
                                .build())
                        .build());
            }
            return new MetricSnapshots(snapshots);
        }

        @Override
        public List<String> getPrometheusNames() {
            return proxy.latencyHistograms().stream().map(LatencyHistograms::prometheusName).toList();
        }

        /** {@code moonshard.command.duration} → {@code moonshard_command_duration_seconds}, as Micrometer names a timer. */
        private static String prometheusName(LatencyHistogram h) {
            return h.name().replace('.', '_') + "_seconds";
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "moonshard-admin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private record Reply(int status, String contentType, byte[] body) {
        static Reply text(int status, String text) {
            return new Reply(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
