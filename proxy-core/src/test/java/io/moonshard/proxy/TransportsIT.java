package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.moonshard.proxy.ProxyConfig.Transport;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every {@code transport} serves the same cluster traffic: pipelined commands over every proxy, a
 * reply larger than a socket buffer, a blocked client woken by another. INFO names the one in use.
 */
class TransportsIT {

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aClusterServesTheSameTrafficOnEveryTransport(Transport transport) throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(3, 1, b -> b.transport(transport).threads(2))) {
            String name = transport.name().toLowerCase(Locale.ROOT);
            for (int i = 0; i < 3; i++) {
                try (RawRedisClient proxy = new RawRedisClient(cluster.port(i))) {
                    assertThat(proxy.call("INFO", "server")).contains("multiplexing_api:" + name + "\r\n");
                }
            }
            RedisClusterClient client = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(0)));
            try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
                RedisAdvancedClusterAsyncCommands<String, String> redis = connection.async();
                int keys = 5_000;
                List<RedisFuture<?>> writes = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    writes.add(redis.set("t:" + i, "v" + i));
                }
                assertThat(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, writes.toArray(RedisFuture[]::new))).isTrue();
                List<RedisFuture<String>> reads = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    reads.add(redis.get("t:" + i));
                }
                for (int i = 0; i < keys; i++) {
                    assertThat(reads.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("v" + i);
                }

                String big = "x".repeat(4 << 20); // several socket buffers each way
                assertThat(redis.set("t:big", big).get(10, TimeUnit.SECONDS)).isEqualTo("OK");
                assertThat(redis.get("t:big").get(10, TimeUnit.SECONDS)).isEqualTo(big);

                String list = "t:list";
                int owner = cluster.proxyOwning(Slots.slotOf(list));
                try (RawRedisClient blocked = new RawRedisClient(cluster.port(owner))) {
                    blocked.send("BLPOP", list, "10");
                    KeyValue<String, String> none = redis.blpop(0.05, list).get(10, TimeUnit.SECONDS);
                    assertThat(none).isNull(); // the raw client's BLPOP is waiting, not this one's
                    awaitBlocked(cluster, owner);
                    assertThat(redis.rpush(list, "woken").get(10, TimeUnit.SECONDS)).isEqualTo(1L);
                    assertThat(blocked.readReply()).isEqualTo("*2\r\n$6\r\nt:list\r\n$5\r\nwoken\r\n");
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
            }
        }
    }

    /** Until the Redis behind proxy {@code index} counts one blocked client. */
    private static void awaitBlocked(LocalMoonshardCluster cluster, int index) {
        org.awaitility.Awaitility.await("the BLPOP blocked in Redis").atMost(Duration.ofSeconds(10))
                .until(() -> cluster.backends.get(index).get(0).rawCommand("INFO", "clients").contains("blocked_clients:1\r\n"));
    }
}
