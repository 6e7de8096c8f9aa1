package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One proxy owning all slots over three backends: pipelines keep their order and survive failures. */
class PipelineIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(1, 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void pipelineOf10000CommandsOverThreeBackends_comesBackCompleteAndInOrder() {
        int n = 5000;
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            pipeline.writeBytes(RawRedisClient.encode("SET", "order:" + i, Integer.toString(i)));
        }
        for (int i = 0; i < n; i++) {
            pipeline.writeBytes(RawRedisClient.encode("GET", "order:" + i));
        }
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            client.sendRaw(pipeline.toByteArray());
            for (int i = 0; i < n; i++) {
                assertThat(client.readReply()).isEqualTo("+OK\r\n");
            }
            for (int i = 0; i < n; i++) {
                String value = Integer.toString(i);
                assertThat(client.readReply()).isEqualTo("$" + value.length() + "\r\n" + value + "\r\n");
            }
        }
        // the keys really are spread over all three backends
        for (RedisProcess redis : cluster.backends.get(0)) {
            assertThat(redis.rawCommand("DBSIZE")).isNotEqualTo(":0\r\n");
        }
    }

    @Test
    void clientKilledMidPipeline_leavesTheProxyServing() {
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        for (int i = 0; i < 20_000; i++) {
            pipeline.writeBytes(RawRedisClient.encode("SET", "killed:" + i, "x".repeat(100)));
        }
        try (RawRedisClient doomed = new RawRedisClient(cluster.port(0))) {
            doomed.sendRaw(pipeline.toByteArray());
            // closed without reading a single reply
        }
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(client.call("SET", "after-kill", "1")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void backendKilledMidPipeline_failsExactlyItsInFlightCommands_andRecovers() throws Exception {
        RedisProcess victim = cluster.backends.get(0).get(1);
        RedisProcess healthy = cluster.backends.get(0).get(0);
        int victimSlot = cluster.ranges.get(0).get(1).get(0)[0] + 7;
        int healthySlot = cluster.ranges.get(0).get(0).get(0)[0] + 7;
        try (RawRedisClient pauser = new RawRedisClient(victim.port());
             RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("SET", Slots.keyIn(victimSlot, "k"), "before")).isEqualTo("+OK\r\n");
            // The victim stops answering clients, so what the proxy sends it stays in flight.
            assertThat(pauser.call("CLIENT", "PAUSE", "60000", "ALL")).isEqualTo("+OK\r\n");
            List<String> expected = new ArrayList<>();
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            for (int i = 0; i < 100; i++) {
                boolean toVictim = i % 2 == 0;
                String key = Slots.keyIn(toVictim ? victimSlot : healthySlot, "p" + i);
                pipeline.writeBytes(RawRedisClient.encode("SET", key, "v"));
                expected.add(toVictim ? "victim" : "healthy");
            }
            client.sendRaw(pipeline.toByteArray());
            // wait until the healthy half has been applied, i.e. everything is in flight at the victim
            await().atMost(Duration.ofSeconds(10)).until(() -> healthy.rawCommand("EXISTS",
                    Slots.keyIn(healthySlot, "p99")).equals(":1\r\n"));
            victim.kill();
            for (int i = 0; i < 100; i++) {
                String reply = client.readReply();
                if (expected.get(i).equals("victim")) {
                    assertThat(reply).as("reply %d", i).startsWith("-ERR backend " + victim.address());
                } else {
                    assertThat(reply).as("reply %d", i).isEqualTo("+OK\r\n");
                }
            }
            // the backend returns on its port; the proxy reconnects on demand
            RedisProcess restarted = RedisProcess.startOnPort(victim.port());
            cluster.backends.get(0).set(1, restarted);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    client.call("SET", Slots.keyIn(victimSlot, "k"), "after").equals("+OK\r\n"));
            assertThat(restarted.rawCommand("GET", Slots.keyIn(victimSlot, "k"))).isEqualTo("$5\r\nafter\r\n");
        }
    }
}
