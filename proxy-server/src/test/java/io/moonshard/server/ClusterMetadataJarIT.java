package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real jar: SETCLUSTER's COMPRESS bombs and contradictory slot maps are refused with the
 * previous metadata kept and the event loop free; multi-key commands over several slots get
 * CROSSSLOT unless {@code allow_cross_slot_local}; CLUSTER LINKS and CLIENT LIST TYPE are answered.
 */
class ClusterMetadataJarIT {

    @TempDir
    Path dir;

    private final List<Process> jars = new ArrayList<>();
    private RedisProcess redis;

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process p : jars) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Starts the jar on a free port with one event loop (every client shares it) and returns the port. */
    private int startJar(String name, Map<String, String> env, String... args) {
        String configured = System.getProperty("moonshard.jar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "moonshard-proxy.jar");
        assertThat(jar).as("the shaded jar (run 'package' first)").isRegularFile();
        int port = FreePorts.next();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-jar", jar.toString(), "--address", "127.0.0.1:" + port,
                "--thread-number", "1"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        builder.environment().putAll(env);
        try {
            Process p = builder.start();
            jars.add(p);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                assertThat(p.isAlive()).as("proxy exited: %s", Files.readString(dir.resolve(name + ".err"))).isTrue();
                return Files.readString(dir.resolve(name + ".out")).contains(" msg=started ");
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return port;
    }

    private static String zeroBomb(int megabytes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < megabytes; i++) {
                gz.write(zeros);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    @Test
    void compressBombsAndContradictoryMaps_areRefused_keepingTheMetadataAndTheLoopFree() throws Exception {
        redis = RedisProcess.start();
        int port = startJar("metadata", Map.of());
        String peer = "127.0.0.1:7000";
        String bomb = zeroBomb(256);
        ExecutorService bombers = Executors.newFixedThreadPool(2);
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1", "0-8000",
                    "PEER", peer, "1", "8001-16383")).isEqualTo("+OK\r\n");
            String nodes = c.call("CLUSTER", "NODES");
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "2", "NOFLAGS", "mydb", redis.address(), "1", "0-8000",
                    "PEER", peer, "1", "7000-16383")).isEqualTo("-ERR invalid cluster metadata: slot 7000 is owned by "
                    + redis.address() + " and peer " + peer + "\r\n");

            List<Future<List<String>>> replies = new ArrayList<>();
            for (int b = 0; b < 2; b++) {
                replies.add(bombers.submit(() -> {
                    List<String> got = new ArrayList<>();
                    try (RawRedisClient bomber = new RawRedisClient(port)) {
                        for (int i = 0; i < 30; i++) {
                            got.add(bomber.call("UMCTL", "SETCLUSTER", "v2", "3", "COMPRESS", bomb));
                        }
                    }
                    return got;
                }));
            }
            List<Long> nanos = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!replies.stream().allMatch(Future::isDone) && System.nanoTime() < deadline) {
                long t0 = System.nanoTime();
                assertThat(c.call("SET", "b", "v")).isEqualTo("+OK\r\n"); // slot 3300: served here
                nanos.add(System.nanoTime() - t0);
            }
            for (Future<List<String>> f : replies) {
                assertThat(f.get(30, TimeUnit.SECONDS)).hasSize(30).containsOnly(
                        "-ERR invalid cluster metadata: the COMPRESS payload inflates to over 8388608 bytes\r\n");
            }
            assertThat(nanos).hasSizeGreaterThan(10);
            nanos.sort(null);
            long p99Millis = nanos.get((int) (nanos.size() * 0.99)) / 1_000_000;
            assertThat(p99Millis).as("p99 ms of another client's commands during 60 bombs").isLessThan(50);
            assertThat(c.call("CLUSTER", "NODES")).isEqualTo(nodes);
            assertThat(c.call("UMCTL", "GETEPOCH")).isEqualTo(":1\r\n");
        } finally {
            bombers.shutdownNow();
            assertThat(bombers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void crossSlotByDefault_splitWithTheOptIn_linksAndClientTypesAnswered() {
        redis = RedisProcess.start();
        int strict = startJar("strict", Map.of());
        int optIn = startJar("optin", Map.of("MOONSHARD_ALLOW_CROSS_SLOT_LOCAL", "true"));
        for (int port : new int[] {strict, optIn}) {
            try (RawRedisClient c = new RawRedisClient(port)) {
                assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                        "0-16383", "PEER", "127.0.0.1:7000", "0")).isEqualTo("+OK\r\n");
            }
        }
        try (RawRedisClient c = new RawRedisClient(strict); RawRedisClient subscriber = new RawRedisClient(strict)) {
            assertThat(c.call("MSET", "a", "1", "b", "2"))
                    .isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            assertThat(c.call("CLUSTER", "LINKS")).startsWith("*1\r\n*12\r\n$9\r\ndirection\r\n$2\r\nto\r\n$4\r\nnode\r\n");
            assertThat(subscriber.call("SUBSCRIBE", "ch")).startsWith("*3\r\n");
            assertThat(c.call("CLIENT", "LIST", "TYPE", "pubsub")).contains(" flags=P ");
            assertThat(c.call("CLIENT", "LIST", "TYPE", "replica")).isEqualTo("$0\r\n\r\n");
            assertThat(c.call("CLIENT", "LIST", "TYPE", "x")).isEqualTo("-ERR Unknown client type 'x'\r\n");
        }
        try (RawRedisClient c = new RawRedisClient(optIn)) {
            assertThat(c.call("MSET", "a", "1", "b", "2")).isEqualTo("+OK\r\n");
            assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        }
    }
}
