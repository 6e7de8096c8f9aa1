package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Slow, dead and overloaded backends: errors come at once or after the timeout, and nothing is lost. */
class BackendFailuresIT {

    @Test
    void aStalledBackend_failsTheCommandAfterBackendTimeout_andTheProxyRecovers() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1,
                b -> b.backendTimeout(Duration.ofMillis(500)));
             RawRedisClient client = new RawRedisClient(cluster.port(0));
             RawRedisClient pauser = new RawRedisClient(cluster.backends.get(0).get(0).port())) {
            assertThat(client.call("SET", "k", "v")).isEqualTo("+OK\r\n");
            assertThat(pauser.call("CLIENT", "PAUSE", "1500", "ALL")).isEqualTo("+OK\r\n");
            long start = System.nanoTime();
            String reply = client.call("GET", "k");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(reply).isEqualTo("-ERR backend " + cluster.backends.get(0).get(0).address()
                    + " timed out after 500 ms\r\n");
            assertThat(tookMillis).isBetween(400L, 1400L);
            // after the pause ends, a new connection serves again
            await().atMost(Duration.ofSeconds(10)).until(() -> client.call("GET", "k").equals("$1\r\nv\r\n"));
        }
    }

    @Test
    void aBackendThatIsNotListening_givesAnErrorAtOnce_notAHang() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1);
             RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            String dead = "127.0.0.1:" + FreePorts.next();
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "10", "NOFLAGS", "c", dead, "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                assertThat(client.call("GET", "k")).startsWith("-ERR backend " + dead + " unreachable: ");
                assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2000L);
            }
        }
    }

    @Test
    void tinyPendingBound_pausesReadingButLosesNothing() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 2, b -> b.maxPendingCommands(8));
             RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            int n = 5000;
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            for (int i = 0; i < n; i++) {
                pipeline.writeBytes(RawRedisClient.encode("INCR", "counter:" + (i % 50)));
            }
            client.sendRaw(pipeline.toByteArray());
            int[] expected = new int[50];
            for (int i = 0; i < n; i++) {
                int value = ++expected[i % 50];
                assertThat(client.readReply()).isEqualTo(":" + value + "\r\n");
            }
            long total = 0;
            for (RedisProcess redis : cluster.backends.get(0)) {
                for (int k = 0; k < 50; k++) {
                    String reply = redis.rawCommand("GET", "counter:" + k);
                    if (!reply.equals("$-1\r\n")) {
                        total += Long.parseLong(reply.split("\r\n")[1]);
                    }
                }
            }
            assertThat(total).isEqualTo(n); // every INCR ran exactly once
        }
    }
}
