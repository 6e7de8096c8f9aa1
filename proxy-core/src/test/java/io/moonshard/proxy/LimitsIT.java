package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Connection limits: max clients, idle timeout, and backends leaving the metadata. */
class LimitsIT {

    @Test
    void clientsBeyondMaxClients_getRedisErrorAndAreClosed() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1, b -> b.maxClients(2))) {
            List<RawRedisClient> admitted = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawRedisClient c = new RawRedisClient(cluster.port(0));
                    assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
                    admitted.add(c);
                }
                try (RawRedisClient third = new RawRedisClient(cluster.port(0))) {
                    assertThat(third.readReply()).isEqualTo("-ERR max number of clients reached\r\n");
                    assertThat(third.isClosedByServer()).isTrue();
                }
                admitted.remove(0).close();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    try (RawRedisClient again = new RawRedisClient(cluster.port(0))) {
                        return again.call("PING").equals("+PONG\r\n");
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
            } finally {
                admitted.forEach(RawRedisClient::close);
            }
        }
    }

    @Test
    void idleClients_areClosedAfterSessionTimeout_busyOnesAreNot() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1,
                b -> b.sessionTimeout(Duration.ofMillis(300)));
             RawRedisClient idle = new RawRedisClient(cluster.port(0));
             RawRedisClient busy = new RawRedisClient(cluster.port(0))) {
            assertThat(idle.call("PING")).isEqualTo("+PONG\r\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            idle.setReadTimeoutMillis(100);
            boolean idleClosed = false;
            while (System.nanoTime() < deadline) {
                assertThat(busy.call("SET", "k", "v")).isEqualTo("+OK\r\n");
                if (idle.isClosedByServer()) {
                    idleClosed = true;
                    break;
                }
            }
            assertThat(idleClosed).isTrue();
            assertThat(busy.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
        }
    }

    @Test
    void backendRemovedFromMetadata_isNoLongerUsed_andAStayingOneKeepsServing() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 2);
             RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            int firstSlot = cluster.ranges.get(0).get(0).get(0)[0];
            int secondSlot = cluster.ranges.get(0).get(1).get(0)[0];
            assertThat(client.call("SET", Slots.keyIn(firstSlot, "a"), "1")).isEqualTo("+OK\r\n");
            assertThat(client.call("SET", Slots.keyIn(secondSlot, "b"), "1")).isEqualTo("+OK\r\n");
            String clientsBefore = cluster.backends.get(0).get(1).rawCommand("INFO", "clients");
            assertThat(clientsBefore).contains("connected_clients:2"); // the proxy's connection + this probe
            // backend 1 leaves the metadata: all slots now on backend 0
            cluster.assign(0, 0, new int[] {0, 16383});
            cluster.assign(0, 1);
            cluster.pushMetadata();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    cluster.backends.get(0).get(1).rawCommand("INFO", "clients").contains("connected_clients:1\r\n"));
            assertThat(client.call("SET", Slots.keyIn(secondSlot, "b"), "2")).isEqualTo("+OK\r\n");
            assertThat(cluster.backends.get(0).get(0).rawCommand("GET", Slots.keyIn(secondSlot, "b"))).isEqualTo("$1\r\n2\r\n");
            assertThat(client.call("GET", Slots.keyIn(firstSlot, "a"))).isEqualTo("$1\r\n1\r\n");
        }
    }
}
