package io.moonshard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.proxy.ProxyServer;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import org.junit.jupiter.api.Test;

class EmbeddedProxyExampleIT {

    @Test
    void embeddedProxyServesEverySlotFromItsRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            ProxyServer proxy = EmbeddedProxyExample.start(redis.address(), "127.0.0.1:" + FreePorts.next());
            try (RawRedisClient client = new RawRedisClient(proxy.boundAddress().getPort())) {
                assertThat(client.call("SET", "hello", "world")).isEqualTo("+OK\r\n");
                assertThat(client.call("GET", "hello")).isEqualTo("$5\r\nworld\r\n");
                assertThat(client.call("CLUSTER", "INFO")).contains("cluster_slots_assigned:16384");
            } finally {
                proxy.close();
            }
            assertThat(proxy.terminationFuture()).isDone();
            assertThat(redis.rawCommand("GET", "hello")).isEqualTo("$5\r\nworld\r\n");
        }
    }
}
