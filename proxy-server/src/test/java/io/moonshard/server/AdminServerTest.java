package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The admin endpoint's answers, on an ephemeral port, for a proxy that needs no Redis. */
class AdminServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void readyFollowsTheProxy_healthAnswersUntilItStops() throws Exception {
        ProxyServer proxy = ProxyServer.builder()
                .config(ProxyConfig.builder().address("127.0.0.1:0").build())
                .build();
        try (AdminServer admin = AdminServer.start("127.0.0.1", 0, proxy)) {
            // not started yet: alive, not ready, meters at 0
            assertThat(get(admin, "/health")).isEqualTo("200 OK");
            assertThat(get(admin, "/ready")).isEqualTo("503 NOT READY");
            String metrics = get(admin, "/metrics");
            assertThat(metrics).contains("\nmoonshard_backend_requests_total 0.0\n", "\nmoonshard_ready 0.0\n",
                    "\nmoonshard_pending_commands 0.0\n",
                    // the latency histograms, from the proxy's own buckets, not Micrometer timers
                    "# TYPE moonshard_command_duration_seconds histogram\n",
                    "\nmoonshard_command_duration_seconds_bucket{le=\"+Inf\"} 0\n",
                    "\nmoonshard_command_duration_seconds_count 0\n",
                    "# TYPE moonshard_backend_duration_seconds histogram\n");
            // no (command, outcome) series before a command was answered
            assertThat(metrics).doesNotContain("moonshard_commands_total");

            proxy.start();
            assertThat(get(admin, "/ready")).isEqualTo("503 NOT READY");

            proxy.close();
            assertThat(get(admin, "/health")).isEqualTo("503 STOPPED");
            assertThat(get(admin, "/ready")).isEqualTo("503 NOT READY");
        } finally {
            proxy.close();
        }
    }

    @Test
    void ready_onceTheProxyHoldsMetadata() throws Exception {
        ProxyServer proxy = ProxyServer.builder()
                .config(ProxyConfig.builder().address("127.0.0.1:0")
                        .initialSetCluster("UMCTL SETCLUSTER v2 3 NOFLAGS mydb 127.0.0.1:6379 1 0-16383").build())
                .build()
                .start();
        try (AdminServer admin = AdminServer.start("127.0.0.1", 0, proxy)) {
            assertThat(proxy.isReady()).isTrue();
            assertThat(get(admin, "/ready")).isEqualTo("200 READY");
            assertThat(get(admin, "/metrics")).contains("\nmoonshard_cluster_epoch 3.0\n",
                    "\nmoonshard_setcluster_applied_total 1.0\n", "\nmoonshard_ready 1.0\n");
        } finally {
            proxy.close();
        }
        assertThat(proxy.isReady()).isFalse();
    }

    @Test
    void notReady_whileEveryLocalRangeMigratesAway() throws Exception {
        ProxyServer proxy = ProxyServer.builder()
                .config(ProxyConfig.builder().address("127.0.0.1:0")
                        .initialSetCluster("UMCTL SETCLUSTER v2 2 NOFLAGS mydb 127.0.0.1:7001 migrating 1 0-16383 "
                                + "2 127.0.0.1:6001 127.0.0.1:7001 127.0.0.1:6002 127.0.0.1:7002").build())
                .build()
                .start();
        try (AdminServer admin = AdminServer.start("127.0.0.1", 0, proxy)) {
            assertThat(get(admin, "/ready")).isEqualTo("503 NOT READY");
            assertThat(get(admin, "/metrics")).contains("\nmoonshard_cluster_epoch 2.0\n", "\nmoonshard_ready 0.0\n");
        } finally {
            proxy.close();
        }
    }

    @Test
    void close_freesThePort() throws Exception {
        ProxyServer proxy = ProxyServer.builder().build();
        AdminServer admin = AdminServer.start("127.0.0.1", 0, proxy);
        int port = admin.address().getPort();

        admin.close();

        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    private String get(AdminServer admin, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }
}
