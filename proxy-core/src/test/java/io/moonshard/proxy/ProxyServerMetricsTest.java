package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moonshard.testkit.RawRedisClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link ProxyServer#metrics()} and {@link ProxyServer#isReady()} on a proxy that needs no Redis. */
class ProxyServerMetricsTest {

    @Test
    void bindsEveryMeter_untagged_readingZeroBeforeStart() {
        ProxyServer proxy = ProxyServer.builder().build();
        MeterRegistry registry = new SimpleMeterRegistry();

        proxy.metrics().bindTo(registry);

        assertThat(registry.getMeters()).extracting(m -> m.getId().getName()).containsExactlyInAnyOrder(
                "moonshard.commands", "moonshard.backend.requests", "moonshard.backend.errors",
                "moonshard.redirections", "moonshard.error.replies", "moonshard.client.connections.accepted",
                "moonshard.client.connections.rejected", "moonshard.setcluster.applied",
                "moonshard.client.connections", "moonshard.cluster.epoch", "moonshard.ready");
        assertThat(registry.getMeters()).allSatisfy(m -> {
            assertThat(m.getId().getTags()).isEmpty();
            assertThat(value(registry, m.getId().getName())).isZero();
        });
        assertThat(registry.getMeters()).filteredOn(m -> m.getId().getType() == Meter.Type.GAUGE)
                .extracting(m -> m.getId().getName())
                .containsExactlyInAnyOrder("moonshard.client.connections", "moonshard.cluster.epoch", "moonshard.ready");
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
                assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
                assertThat(client.call("GET", "a")).startsWith("-MOVED 15495 ");
                assertThat(client.call("NOSUCHCOMMAND")).startsWith("-ERR unknown command");
                assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "6", "NOFLAGS", "mydb", "127.0.0.1:6379", "1",
                        "0-16383")).isEqualTo("+OK\r\n");

                assertThat(value(registry, "moonshard.commands")).isEqualTo(4);
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
        assertThat(value(registry, "moonshard.commands")).as("kept after close").isEqualTo(4);
    }

    private static double value(MeterRegistry registry, String name) {
        Meter meter = registry.get(name).meter();
        return meter.measure().iterator().next().getValue();
    }
}
