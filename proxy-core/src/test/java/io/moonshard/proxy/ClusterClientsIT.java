package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.protocol.ProtocolVersion;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Real cluster clients against 3 proxies x 1 redis, each seeded with ONE proxy: they discover all
 * three, write 10,000 keys over all slots, read them back through a client seeded with another
 * proxy, and every key sits in the Redis behind its slot's owner.
 */
class ClusterClientsIT {

    private static final int KEYS = 10_000;
    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalMoonshardCluster.start(3, 1);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flushBackends() {
        for (List<RedisProcess> list : cluster.backends) {
            for (RedisProcess redis : list) {
                assertThat(redis.rawCommand("FLUSHALL")).isEqualTo("+OK\r\n");
            }
        }
    }

    @Test
    void lettuceWithDefaultHandshake_discoversAllProxiesAndRoundTrips() throws Exception {
        roundTripWithLettuce(null, "lettuce-default");
    }

    @Test
    void lettuceWithResp2Forced_discoversAllProxiesAndRoundTrips() throws Exception {
        roundTripWithLettuce(ProtocolVersion.RESP2, "lettuce-resp2");
    }

    private void roundTripWithLettuce(ProtocolVersion protocol, String prefix) throws Exception {
        ClusterClientOptions.Builder options = ClusterClientOptions.builder();
        if (protocol != null) {
            options.protocolVersion(protocol);
        }
        RedisClusterClient writerClient = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(0)));
        RedisClusterClient readerClient = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(2)));
        writerClient.setOptions(options.build());
        readerClient.setOptions(options.build());
        try (StatefulRedisClusterConnection<String, String> writer = writerClient.connect();
             StatefulRedisClusterConnection<String, String> reader = readerClient.connect()) {
            Set<String> discovered = writerClient.getPartitions().stream()
                    .map(n -> n.getUri().getHost() + ":" + n.getUri().getPort())
                    .collect(Collectors.toSet());
            assertThat(discovered).containsExactlyInAnyOrderElementsOf(cluster.proxyAddresses);
            assertThat(writerClient.getPartitions().stream().mapToInt(n -> n.getSlots().size()).sum())
                    .isEqualTo(16384);

            RedisAdvancedClusterAsyncCommands<String, String> async = writer.async();
            List<RedisFuture<String>> sets = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                sets.add(async.set(prefix + ":" + i, "v" + i));
            }
            for (RedisFuture<String> f : sets) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
            }
            List<RedisFuture<String>> gets = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                gets.add(reader.async().get(prefix + ":" + i));
            }
            for (int i = 0; i < KEYS; i++) {
                assertThat(gets.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("v" + i);
            }
            for (RedisClusterNode node : readerClient.getPartitions()) {
                assertThat(node.getNodeId()).hasSize(40);
            }
        } finally {
            writerClient.shutdown();
            readerClient.shutdown();
        }
        assertEveryKeyOnItsOwner(prefix, KEYS);
    }

    @Test
    void jedisClusterClient_discoversAllProxiesAndRoundTrips() {
        try (redis.clients.jedis.RedisClusterClient writer = redis.clients.jedis.RedisClusterClient.create(new HostAndPort("127.0.0.1", cluster.port(1)));
             redis.clients.jedis.RedisClusterClient reader = redis.clients.jedis.RedisClusterClient.create(new HostAndPort("127.0.0.1", cluster.port(0)))) {
            assertThat(writer.getClusterNodes().keySet()).containsExactlyInAnyOrderElementsOf(cluster.proxyAddresses);
            for (int i = 0; i < KEYS; i++) {
                assertThat(writer.set("jedis:" + i, "v" + i)).isEqualTo("OK");
            }
            for (int i = 0; i < KEYS; i++) {
                assertThat(reader.get("jedis:" + i)).isEqualTo("v" + i);
            }
        }
        assertEveryKeyOnItsOwner("jedis", KEYS);
    }

    @Test
    void redisCliInClusterMode_followsRedirects() throws Exception {
        StringBuilder sets = new StringBuilder();
        StringBuilder gets = new StringBuilder();
        for (int i = 0; i < KEYS; i++) {
            sets.append("set cli:").append(i).append(" v").append(i).append('\n');
            gets.append("get cli:").append(i).append('\n');
        }
        // one redis-cli -c process per phase, commands on standard input, each redirect followed
        String setOutput = redisCliWithInput(cluster.port(0), sets.toString());
        assertThat(setOutput.lines().filter(l -> l.startsWith("-> Redirected to slot"))).isNotEmpty();
        assertThat(replies(setOutput)).hasSize(KEYS).allMatch(line -> line.equals("OK"));
        String getOutput = redisCliWithInput(cluster.port(2), gets.toString());
        List<String> values = replies(getOutput);
        assertThat(values).hasSize(KEYS);
        for (int i = 0; i < KEYS; i++) {
            assertThat(values.get(i)).isEqualTo("v" + i);
        }
        assertEveryKeyOnItsOwner("cli", KEYS);
    }

    /** redis-cli's output without its "-> Redirected to slot [n] located at host:port" notes. */
    private static List<String> replies(String output) {
        return output.lines().filter(l -> !l.startsWith("-> Redirected to slot")).toList();
    }

    private static String redisCliWithInput(int port, String input) throws IOException, InterruptedException {
        // files, not pipes: with pipes, writing all input before reading output could deadlock
        java.nio.file.Path in = java.nio.file.Files.createTempFile("redis-cli-in", ".txt");
        java.nio.file.Path out = java.nio.file.Files.createTempFile("redis-cli-out", ".txt");
        try {
            java.nio.file.Files.writeString(in, input);
            Process p = new ProcessBuilder("redis-cli", "-c", "-h", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectInput(in.toFile()).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String output = java.nio.file.Files.readString(out);
            assertThat(p.exitValue()).as(output).isZero();
            return output;
        } finally {
            java.nio.file.Files.deleteIfExists(in);
            java.nio.file.Files.deleteIfExists(out);
        }
    }

    /** Every key with {@code prefix} is in the Redis that owns its slot, and all {@code count} are there. */
    private static void assertEveryKeyOnItsOwner(String prefix, int count) {
        Set<String> seen = new HashSet<>();
        for (List<RedisProcess> list : cluster.backends) {
            for (RedisProcess redis : list) {
                try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
                    for (String key : jedis.keys(prefix + ":*")) {
                        assertThat(cluster.backendOwning(Slots.slotOf(key)).port())
                                .as("backend holding %s", key).isEqualTo(redis.port());
                        seen.add(key);
                    }
                }
            }
        }
        assertThat(seen).hasSize(count);
    }
}
