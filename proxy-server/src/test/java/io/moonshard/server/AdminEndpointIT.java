package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admin HTTP endpoint of a proxy started in this JVM through {@link Main#run} (options parsed,
 * launcher, admin server, as the jar does), in front of a real redis-server.
 */
class AdminEndpointIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private RedisProcess redis;
    private int proxyPort;
    private int adminPort;
    private CompletableFuture<Integer> exit;

    @AfterEach
    void stopEverything() {
        if (exit != null && !exit.isDone()) {
            try (RawRedisClient client = new RawRedisClient(proxyPort)) {
                client.call("UMCTL", "SHUTDOWN");
            } catch (RuntimeException ignored) {
                // already gone
            }
            exit.orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> -1).join();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void probesAndMetrics_followTheProxy() {
        redis = RedisProcess.start();
        startProxy("--address", "127.0.0.1:" + (proxyPort = FreePorts.next()),
                "--admin-port", Integer.toString(adminPort = FreePorts.next()));

        assertThat(get("/health")).isEqualTo(new Reply(200, "OK"));
        assertThat(get("/ready")).isEqualTo(new Reply(503, "NOT READY"));
        String before = get("/metrics").body();
        assertThat(metric(before, "moonshard_ready")).isZero();
        assertThat(metric(before, "moonshard_cluster_epoch")).isZero();
        assertThat(metric(before, "moonshard_setcluster_applied_total")).isZero();

        try (RawRedisClient admin = new RawRedisClient(proxyPort)) {
            assertThat(admin.call("UMCTL", "READY")).isEqualTo(":0\r\n");
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-16383")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "READY")).isEqualTo(":1\r\n");
        }
        assertThat(get("/ready")).isEqualTo(new Reply(200, "READY"));

        try (RawRedisClient client = new RawRedisClient(proxyPort)) {
            // connected before the first scrape; a raw client sends nothing of its own
            String start = get("/metrics").body();
            for (int i = 0; i < 1000; i++) {
                assertThat(client.call("GET", "key:" + i)).isEqualTo("$-1\r\n");
            }
            String end = get("/metrics").body();

            // counted by command and outcome; the series exists from the first GET on
            assertThat(metricOrZero(end, GET_OK) - metricOrZero(start, GET_OK)).isEqualTo(1000);
            assertThat(sum(end, "moonshard_commands_total") - sum(start, "moonshard_commands_total")).isEqualTo(1000);
            assertThat(metric(end, "moonshard_command_duration_seconds_count")
                    - metric(start, "moonshard_command_duration_seconds_count")).isGreaterThanOrEqualTo(1000);
            assertThat(metric(end, "moonshard_command_duration_seconds_bucket{le=\"+Inf\"}")
                    - metric(start, "moonshard_command_duration_seconds_bucket{le=\"+Inf\"}")).isGreaterThanOrEqualTo(1000);
            assertThat(metric(end, "moonshard_command_duration_seconds_sum"))
                    .isGreaterThan(metric(start, "moonshard_command_duration_seconds_sum"));
            assertThat(metric(end, "moonshard_backend_duration_seconds_count")
                    - metric(start, "moonshard_backend_duration_seconds_count")).isGreaterThanOrEqualTo(1000);
            // "*2\r\n$3\r\nGET\r\n$5\r\nkey:0\r\n" is 24 bytes and up; "$-1\r\n" is 5
            assertThat(metric(end, "moonshard_client_received_bytes_total")
                    - metric(start, "moonshard_client_received_bytes_total")).isGreaterThanOrEqualTo(24_000);
            assertThat(metric(end, "moonshard_client_sent_bytes_total")
                    - metric(start, "moonshard_client_sent_bytes_total")).isEqualTo(5_000);
            assertThat(metric(end, "moonshard_backend_sent_bytes_total")
                    - metric(start, "moonshard_backend_sent_bytes_total")).isGreaterThanOrEqualTo(24_000);
            assertThat(metric(end, "moonshard_backend_received_bytes_total")
                    - metric(start, "moonshard_backend_received_bytes_total")).isEqualTo(5_000);
            assertThat(metric(end, "moonshard_pending_commands")).isZero();
            assertThat(metric(end, "moonshard_backend_connections{address=\"" + redis.address()
                    + "\",state=\"connected\"}")).isEqualTo(1);
            assertThat(metric(end, "moonshard_backend_connections{address=\"" + redis.address()
                    + "\",state=\"broken\"}")).isZero();
            assertThat(metric(end, "moonshard_backend_reconnects_total{address=\"" + redis.address() + "\"}")).isZero();
            assertThat(metric(end, "moonshard_backend_dedicated_connections")).isZero();
            assertThat(metric(end, "moonshard_blocked_clients")).isZero();
            assertThat(metric(end, "moonshard_backend_requests_total")
                    - metric(start, "moonshard_backend_requests_total")).isEqualTo(1000);
            assertThat(metric(end, "moonshard_redirections_total")).isEqualTo(metric(start, "moonshard_redirections_total"));
            // the first client's close reaches the proxy asynchronously
            await().atMost(TIMEOUT).until(() -> metric(get("/metrics").body(), "moonshard_client_connections") == 1);
            assertThat(metric(end, "moonshard_client_connections_accepted_total")).isEqualTo(2);
            assertThat(metric(end, "moonshard_client_connections_rejected_total")).isZero();
            assertThat(metric(end, "moonshard_backend_errors_total")).isZero();
            assertThat(metric(end, "moonshard_ready")).isEqualTo(1);
            assertThat(metric(end, "moonshard_cluster_epoch")).isEqualTo(1);
            assertThat(metric(end, "moonshard_setcluster_applied_total")).isEqualTo(1);

            // slots 8001-16383 move to a peer; "a" hashes to slot 15495
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "2", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-8000", "PEER", "127.0.0.1:7000", "1", "8001-16383")).isEqualTo("+OK\r\n");
            String beforeMoved = get("/metrics").body();
            assertThat(client.call("GET", "a")).isEqualTo("-MOVED 15495 127.0.0.1:7000\r\n");
            String afterMoved = get("/metrics").body();

            assertThat(metric(afterMoved, "moonshard_redirections_total")
                    - metric(beforeMoved, "moonshard_redirections_total")).isEqualTo(1);
            assertThat(metricOrZero(afterMoved, GET_MOVED) - metricOrZero(beforeMoved, GET_MOVED)).isEqualTo(1);
            assertThat(metric(afterMoved, GET_OK)).isEqualTo(metric(beforeMoved, GET_OK));
            assertThat(sum(afterMoved, "moonshard_commands_total") - sum(beforeMoved, "moonshard_commands_total"))
                    .isEqualTo(1);
            assertThat(metric(afterMoved, "moonshard_backend_requests_total"))
                    .isEqualTo(metric(beforeMoved, "moonshard_backend_requests_total"));
            assertThat(metric(afterMoved, "moonshard_cluster_epoch")).isEqualTo(2);
            assertThat(metric(afterMoved, "moonshard_setcluster_applied_total")).isEqualTo(2);
            assertThat(get("/ready").status()).isEqualTo(200);

            // an unknown command is refused by the proxy itself
            String beforeError = afterMoved;
            assertThat(client.call("NOSUCHCOMMAND")).startsWith("-ERR unknown command");
            String afterError = get("/metrics").body();
            assertThat(metric(afterError, "moonshard_error_replies_total")
                    - metric(beforeError, "moonshard_error_replies_total")).isEqualTo(1);
            assertThat(metric(afterError, "moonshard_commands_total{command=\"unknown\",outcome=\"error\"}"))
                    .isEqualTo(1);

            // keys of two local slots ("b": 3300, "c": 7365): the proxy answers CROSSSLOT
            String crossslot = "moonshard_commands_total{command=\"rename\",outcome=\"crossslot\"}";
            assertThat(client.call("RENAME", "b", "c")).startsWith("-CROSSSLOT");
            assertThat(metric(get("/metrics").body(), crossslot) - metricOrZero(afterError, crossslot)).isEqualTo(1);

            // INFO's # Proxy section shows the same counts
            String info = client.call("INFO", "proxy");
            assertThat(info).contains("proxy_commands_ok:", "proxy_commands_moved:1\r\n",
                    "proxy_commands_crossslot:1\r\n", "proxy_pending_commands:1\r\n",
                    "proxy_backend_connections_connected:1\r\n", "proxy_client_received_bytes:");
        }
        await().atMost(TIMEOUT).until(() -> metric(get("/metrics").body(), "moonshard_client_connections") == 0);
    }

    @Test
    void metrics_arePrometheusText_withJvmMetrics() {
        startProxy("--address", "127.0.0.1:" + (proxyPort = FreePorts.next()),
                "--admin-port", Integer.toString(adminPort = FreePorts.next()));

        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/metrics")).GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        String body = response.body();
        assertThat(body).contains(
                "# TYPE moonshard_backend_requests_total counter",
                "# TYPE moonshard_backend_errors_total counter",
                "# TYPE moonshard_redirections_total counter",
                "# TYPE moonshard_error_replies_total counter",
                "# TYPE moonshard_client_connections gauge",
                "# TYPE moonshard_client_connections_accepted_total counter",
                "# TYPE moonshard_client_connections_rejected_total counter",
                "# TYPE moonshard_setcluster_applied_total counter",
                "# TYPE moonshard_cluster_epoch gauge",
                "# TYPE moonshard_ready gauge",
                "# TYPE moonshard_pending_commands gauge",
                "# TYPE moonshard_blocked_clients gauge",
                "# TYPE moonshard_backend_dedicated_connections gauge",
                "# TYPE moonshard_client_received_bytes_total counter",
                "# TYPE moonshard_client_sent_bytes_total counter",
                "# TYPE moonshard_backend_received_bytes_total counter",
                "# TYPE moonshard_backend_sent_bytes_total counter",
                "# TYPE moonshard_command_duration_seconds histogram",
                "# TYPE moonshard_backend_duration_seconds histogram");
        // fixed buckets, 25 µs to 10 s, then +Inf
        assertThat(body.lines().filter(l -> l.startsWith("moonshard_command_duration_seconds_bucket{"))).hasSize(19);
        // the JVM binders: memory, GC, threads, processor
        assertThat(body).contains("jvm_memory_used_bytes{", "jvm_memory_max_bytes{", "jvm_threads_live_threads ",
                "jvm_gc_", "system_cpu_count ", "process_cpu_usage ", "process_uptime_seconds ");
        // before any command and backend connection, only the histogram buckets carry labels
        assertThat(body.lines().filter(l -> l.startsWith("moonshard_") && l.contains("{")))
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l).matches("moonshard_(command|backend)_duration_seconds_bucket\\{le=\"[^\"]+\"} .*"));
    }

    @Test
    void otherPathsAndMethods_areRefused() {
        startProxy("--address", "127.0.0.1:" + (proxyPort = FreePorts.next()),
                "--admin-port", Integer.toString(adminPort = FreePorts.next()));

        assertThat(get("/").status()).isEqualTo(404);
        assertThat(get("/metricsx").status()).isEqualTo(404);
        assertThat(get("/health/more").status()).isEqualTo(404);
        HttpResponse<String> post = send(HttpRequest.newBuilder(uri("/health"))
                .POST(HttpRequest.BodyPublishers.ofString("x")));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        HttpResponse<String> head = send(HttpRequest.newBuilder(uri("/ready")).method("HEAD",
                HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(503);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void umctlShutdown_stopsTheAdminEndpointToo() {
        startProxy("--address", "127.0.0.1:" + (proxyPort = FreePorts.next()),
                "--admin-port", Integer.toString(adminPort = FreePorts.next()));
        assertThat(get("/health").status()).isEqualTo(200);

        try (RawRedisClient client = new RawRedisClient(proxyPort)) {
            assertThat(client.call("UMCTL", "SHUTDOWN")).isEqualTo("+OK\r\n");
        }

        assertThat(exit.orTimeout(30, TimeUnit.SECONDS).join()).isZero();
        HttpRequest request = HttpRequest.newBuilder(uri("/health")).timeout(Duration.ofSeconds(5)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void adminPortInUse_exitsWith1_namingTheEndpoint() throws IOException {
        proxyPort = FreePorts.next();
        adminPort = FreePorts.next();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(adminPort, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            exit = CompletableFuture.supplyAsync(() -> Main.run(
                    new String[] {"--address", "127.0.0.1:" + proxyPort, "--admin-port", Integer.toString(adminPort)},
                    Map.of(), System.out, new PrintStream(err, true, StandardCharsets.UTF_8)));

            assertThat(exit.orTimeout(30, TimeUnit.SECONDS).join()).isEqualTo(1);
        }
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("moonshard: cannot start the admin endpoint on 127.0.0.1:" + adminPort + ": ");
        // the proxy it had started is closed again: its port is free
        try (java.net.ServerSocket again = new java.net.ServerSocket(proxyPort, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(proxyPort);
        }
    }

    /** Runs the launcher on its own thread, as {@code main} would, and waits for /health to answer. */
    private void startProxy(String... args) {
        exit = CompletableFuture.supplyAsync(() -> Main.run(args, Map.of(), System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> {
                    assertThat(exit).as("launcher still running; stderr: %s", err).isNotDone();
                    return get("/health").status() == 200;
                });
    }

    private record Reply(int status, String body) {
    }

    private Reply get(String path) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri(path)).GET());
        return new Reply(response.statusCode(), response.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    private static final String GET_OK = "moonshard_commands_total{command=\"get\",outcome=\"ok\"}";
    private static final String GET_MOVED = "moonshard_commands_total{command=\"get\",outcome=\"moved\"}";

    /** The value of {@code name}, 0 when the series does not exist (yet). */
    private static double metricOrZero(String scrape, String name) {
        return scrape.lines().anyMatch(l -> l.startsWith(name + " ")) ? metric(scrape, name) : 0;
    }

    /** The sum of every series of {@code name}, whatever its labels. */
    private static double sum(String scrape, String name) {
        return scrape.lines()
                .filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1).strip()))
                .sum();
    }

    /** The value of the sample {@code name} (labels included, as rendered) in a Prometheus text scrape. */
    private static double metric(String scrape, String name) {
        return scrape.lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).strip()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + " in:\n" + scrape));
    }
}
