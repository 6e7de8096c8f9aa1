package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CLIENT PAUSE through a proxy: a paused write waits on its client's own backend connection, as a
 * paused client waits at a Redis node, so other clients' reads and INFO go on meanwhile.
 */
class ClientPauseIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(1, 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static long blockedClients(RawRedisClient client) {
        for (String line : client.call("INFO", "clients").split("\r\n")) {
            if (line.startsWith("blocked_clients:")) {
                return Long.parseLong(line.substring("blocked_clients:".length()));
            }
        }
        throw new AssertionError("no blocked_clients in INFO");
    }

    @Test
    void pausedWrite_waitsOnItsOwnConnection_whileOthersRead() {
        int port = cluster.port(0);
        try (RawRedisClient admin = new RawRedisClient(port); RawRedisClient writer = new RawRedisClient(port);
             RawRedisClient reader = new RawRedisClient(port)) {
            reader.call("SET", "pause-key", "before");
            assertThat(admin.call("CLIENT", "PAUSE", "20000", "WRITE")).isEqualTo("+OK\r\n");
            writer.send("SET", "pause-key", "after");
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(reader) == 1);
            assertThat(reader.call("GET", "pause-key")).isEqualTo("$6\r\nbefore\r\n");
            assertThat(admin.call("CLIENT", "UNPAUSE")).isEqualTo("+OK\r\n");
            assertThat(writer.readReply()).isEqualTo("+OK\r\n");
            assertThat(reader.call("GET", "pause-key")).isEqualTo("$5\r\nafter\r\n");
        }
    }

    @Test
    void pauseQueuedInATransaction_startsAtExec() {
        int port = cluster.port(0);
        try (RawRedisClient admin = new RawRedisClient(port); RawRedisClient writer = new RawRedisClient(port);
             RawRedisClient reader = new RawRedisClient(port)) {
            admin.call("MULTI");
            admin.call("SET", "{tx}a", "1");
            admin.call("CLIENT", "PAUSE", "20000", "WRITE");
            assertThat(admin.call("EXEC")).isEqualTo("*2\r\n+OK\r\n+OK\r\n");
            writer.send("SET", "{tx}b", "2");
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(reader) == 1);
            assertThat(reader.call("GET", "{tx}b")).isEqualTo("$-1\r\n");
            admin.call("CLIENT", "UNPAUSE");
            assertThat(writer.readReply()).isEqualTo("+OK\r\n");
        }
    }
}
