package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code allow_dangerous_commands}: refused by default, passed on to the backend when an admin allows it. */
class DangerousCommandsIT {

    @Test
    void shutdownIsRefusedByDefault_andStopsTheBackendWhenAllowed() {
        try (LocalMoonshardCluster refusing = LocalMoonshardCluster.start(1, 1);
             RawRedisClient client = new RawRedisClient(refusing.port(0))) {
            assertThat(client.call("SHUTDOWN", "NOSAVE"))
                    .isEqualTo("-ERR 'shutdown' is not supported by this Moonshard version\r\n");
            assertThat(refusing.backends.get(0).get(0).isAlive()).isTrue();
        }
        try (LocalMoonshardCluster allowing = LocalMoonshardCluster.start(1, 1, b -> b.allowDangerousCommands(true));
             RawRedisClient client = new RawRedisClient(allowing.port(0))) {
            RedisProcess backend = allowing.backends.get(0).get(0);
            // Redis closes the connection without a reply; the proxy says so and never resends it
            assertThat(client.call("SHUTDOWN", "NOSAVE")).startsWith("-ERR backend " + backend.address());
            await().atMost(Duration.ofSeconds(10)).until(() -> !backend.isAlive());
        }
    }
}
