package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moonshard.testkit.RawRedisClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link ProxyServer#metrics()} and {@link ProxyServer#isReady()} on a proxy that needs no Redis. */
class ProxyServerMetricsTest {

    @Test
    void bindsEveryMeter_readingZeroBeforeStart_taggedSeriesOnlyOnceUsed() {
        ProxyServer proxy = ProxyServer.builder().build();
        MeterRegistry registry = new SimpleMeterRegistry();

        proxy.metrics().bindTo(registry);

        assertThat(registry.getMeters()).extracting(m -> m.getId().getName()).containsExactlyInAnyOrder(
                "moonshard.backend.requests", "moonshard.backend.errors", "moonshard.write.ack.waits",
                "moonshard.write.ack.confirmed", "moonshard.write.ack.unconfirmed",
                "moonshard.redirections", "moonshard.error.replies", "moonshard.client.connections.accepted",
                "moonshard.client.connections.rejected", "moonshard.setcluster.applied",
                "moonshard.client.connections", "moonshard.cluster.epoch", "moonshard.ready",
                "moonshard.backend.dedicated.connections", "moonshard.blocked.clients", "moonshard.pending.commands",
                "moonshard.client.received", "moonshard.client.sent", "moonshard.backend.received",
                "moonshard.backend.sent", "moonshard.command.duration", "moonshard.backend.duration",
                "moonshard.migration.tasks.migrating", "moonshard.migration.tasks.importing",
                "moonshard.migration.keys.copied", "moonshard.migration.bytes.copied", "moonshard.migration.keys.trimmed",
                "moonshard.migration.flips", "moonshard.migration.fences.refused", "moonshard.migration.aborted",
                "moonshard.migration.last.fence.microseconds", "moonshard.replication.promotions",
                "moonshard.replication.switchovers", "moonshard.replication.last.switchover.pause.microseconds",
                "moonshard.replication.last.switchover.barrier.microseconds",
                "moonshard.replication.last.switchover.catchup.microseconds",
                "moonshard.replication.last.switchover.failover.microseconds",
                "moonshard.replication.last.switchover.peer.microseconds",
                "moonshard.replication.last.switchover.caught.up", "moonshard.lease.fenced",
                "moonshard.lease.remaining.ms", "moonshard.lease.renewals");
        assertThat(registry.getMeters()).allSatisfy(m -> {
            assertThat(m.getId().getTags()).isEmpty();
            assertThat(value(registry, m.getId().getName())).isZero();
        });
        assertThat(registry.getMeters()).filteredOn(m -> m.getId().getType() == Meter.Type.GAUGE)
                .extracting(m -> m.getId().getName())
                .containsExactlyInAnyOrder("moonshard.client.connections", "moonshard.cluster.epoch", "moonshard.ready",
                        "moonshard.backend.dedicated.connections", "moonshard.blocked.clients",
                        "moonshard.pending.commands", "moonshard.migration.tasks.migrating",
                        "moonshard.migration.tasks.importing", "moonshard.migration.last.fence.microseconds",
                        "moonshard.replication.last.switchover.pause.microseconds",
                        "moonshard.replication.last.switchover.barrier.microseconds",
                        "moonshard.replication.last.switchover.catchup.microseconds",
                        "moonshard.replication.last.switchover.failover.microseconds",
                        "moonshard.replication.last.switchover.peer.microseconds",
                        "moonshard.replication.last.switchover.caught.up", "moonshard.lease.fenced",
                        "moonshard.lease.remaining.ms");
        assertThat(registry.getMeters()).filteredOn(m -> m.getId().getType() == Meter.Type.TIMER)
                .extracting(m -> m.getId().getName())
                .containsExactlyInAnyOrder("moonshard.command.duration", "moonshard.backend.duration");
        assertThat(proxy.latencyHistograms()).extracting(LatencyHistogram::name)
                .containsExactly("moonshard.command.duration", "moonshard.backend.duration");
        assertThat(proxy.latencyHistograms()).allSatisfy(h -> {
            assertThat(h.count()).isZero();
            assertThat(h.bucketCounts()).hasSize(h.upperBoundsSeconds().length + 1);
        });
        assertThat(proxy.isReady()).isFalse();
    }

    @Test
    void metersFollowTheRunningProxy() throws InterruptedException {
        ProxyServer proxy = ProxyServer.builder()
                .config(ProxyConfig.builder().address("127.0.0.1:0")
                        .initialSetCluster("UMCTL SETCLUSTER v2 5 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 "
                                + "PEER 127.0.0.1:7000 1 8001-16383").build())
                .build();
        MeterRegistry registry = new SimpleMeterRegistry();
        proxy.metrics().bindTo(registry);
        proxy.start();
        try {
            assertThat(proxy.isReady()).isTrue();
            assertThat(value(registry, "moonshard.ready")).isEqualTo(1);
            assertThat(value(registry, "moonshard.cluster.epoch")).isEqualTo(5);
            assertThat(value(registry, "moonshard.setcluster.applied")).isEqualTo(1);

            try (RawRedisClient client = new RawRedisClient(proxy.boundAddress().getPort())) {
                assertThat(client.call("ECHO", "hi")).isEqualTo("$2\r\nhi\r\n");
                assertThat(client.call("GET", "a")).startsWith("-MOVED 15495 ");
                assertThat(client.call("NOSUCHCOMMAND")).startsWith("-ERR unknown command");
                // "b" (slot 3300) and "c" (7365) are both local, but in two slots
                assertThat(client.call("RENAME", "b", "c")).startsWith("-CROSSSLOT ");
                assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "6", "NOFLAGS", "mydb", "127.0.0.1:6379", "1",
                        "0-16383")).isEqualTo("+OK\r\n");

                assertThat(commands(registry, "echo", "ok")).isEqualTo(1);
                assertThat(commands(registry, "get", "moved")).isEqualTo(1);
                assertThat(commands(registry, "unknown", "error")).isEqualTo(1);
                assertThat(commands(registry, "rename", "crossslot")).isEqualTo(1);
                assertThat(commands(registry, "umctl", "ok")).isEqualTo(1);
                assertThat(registry.find("moonshard.commands").functionCounters())
                        .as("only the pairs seen").hasSize(5);
                assertThat(registry.get("moonshard.command.duration").functionTimer().count()).isEqualTo(5);
                assertThat(value(registry, "moonshard.client.received")).isGreaterThan(50);
                assertThat(value(registry, "moonshard.client.sent")).isGreaterThan(50);
                assertThat(value(registry, "moonshard.backend.sent")).isZero();
                assertThat(value(registry, "moonshard.pending.commands")).isZero();
                assertThat(value(registry, "moonshard.redirections")).isEqualTo(1);
                assertThat(value(registry, "moonshard.error.replies")).isEqualTo(1);
                assertThat(value(registry, "moonshard.backend.requests")).isZero();
                assertThat(value(registry, "moonshard.client.connections")).isEqualTo(1);
                assertThat(value(registry, "moonshard.client.connections.accepted")).isEqualTo(1);
                assertThat(value(registry, "moonshard.cluster.epoch")).isEqualTo(6);
                assertThat(value(registry, "moonshard.setcluster.applied")).isEqualTo(2);
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> value(registry, "moonshard.client.connections") == 0);
        } finally {
            proxy.close();
        }
        assertThat(proxy.isReady()).isFalse();
        assertThat(value(registry, "moonshard.ready")).isZero();
        assertThat(commands(registry, "get", "moved")).as("kept after close").isEqualTo(1);
    }

    @Test
    void backendTimeouts_backendConnectionStates_andReconnects() throws Exception {
        // a backend that accepts connections (the kernel does, from the backlog) and never answers
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String backend = "127.0.0.1:" + silent.getLocalPort();
            ProxyServer proxy = ProxyServer.builder()
                    .config(ProxyConfig.builder().address("127.0.0.1:0").backendTimeout(Duration.ofMillis(1000))
                            .initialSetCluster("UMCTL SETCLUSTER v2 1 NOFLAGS mydb " + backend + " 1 0-16383").build())
                    .build();
            MeterRegistry registry = new SimpleMeterRegistry();
            proxy.metrics().bindTo(registry);
            proxy.start();
            try (RawRedisClient client = new RawRedisClient(proxy.boundAddress().getPort())) {
                client.sendRaw(RawRedisClient.encode("GET", "k"));
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> registry.find("moonshard.backend.connections")
                        .tag("address", backend).tag("state", "connected").gauges().stream()
                        .anyMatch(g -> g.value() == 1));
                assertThat(value(registry, "moonshard.pending.commands")).isEqualTo(1);

                assertThat(client.readReply()).isEqualTo("-ERR backend " + backend + " timed out after 1000 ms\r\n");
                assertThat(commands(registry, "get", "timeout")).isEqualTo(1);
                // the error reply leaves before the channel's close completes: wait for the state change
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> connections(registry, backend, "connected") == 0
                                && connections(registry, backend, "broken") == 1);
                assertThat(value(registry, "moonshard.pending.commands")).isZero();
                assertThat(value(registry, "moonshard.backend.errors")).isEqualTo(1);
                // no reply, no backend round trip; the command's own latency is counted
                assertThat(registry.get("moonshard.backend.duration").functionTimer().count()).isZero();
                assertThat(registry.get("moonshard.command.duration").functionTimer().count()).isEqualTo(1);
                assertThat(registry.get("moonshard.command.duration").functionTimer()
                        .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(900);

                // the next command reconnects
                client.sendRaw(RawRedisClient.encode("GET", "k"));
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> connections(registry, backend, "connected") == 1);
                assertThat(registry.get("moonshard.backend.reconnects").tag("address", backend).functionCounter()
                        .count()).isEqualTo(1);
                assertThat(client.readReply()).startsWith("-ERR backend " + backend + " timed out");
                assertThat(commands(registry, "get", "timeout")).isEqualTo(2);
            } finally {
                proxy.close();
            }
            assertThat(connections(registry, backend, "connected")).isZero();
            assertThat(connections(registry, backend, "connecting")).isZero();
        }
    }

    private static double commands(MeterRegistry registry, String command, String outcome) {
        return registry.get("moonshard.commands").tag("command", command).tag("outcome", outcome)
                .functionCounter().count();
    }

    private static double connections(MeterRegistry registry, String address, String state) {
        return registry.get("moonshard.backend.connections").tag("address", address).tag("state", state)
                .gauge().value();
    }

    private static double value(MeterRegistry registry, String name) {
        Meter meter = registry.get(name).meter();
        return meter.measure().iterator().next().getValue();
    }
}
