package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease against the real jar, paused as a partitioned or stalled proxy is: after {@code UMCTL LEASE}
 * for 1 s the proxy process is stopped ({@code kill -STOP}) for 2 s. Meanwhile a client connected before
 * sends a SET, a client connects and sends one, and the controller sends a renewal with its SENT time;
 * all of it waits in the stopped proxy's sockets. Once it runs again ({@code kill -CONT}) the lease has
 * run out: both SETs get {@code -CLUSTERDOWN The cluster is down} and reach no Redis, the renewal sent
 * during the pause lifts nothing, {@code /ready} says 503, and only a fresh renewal lets writes in again.
 */
class LeaseFencingJarIT {

    private static final String FENCED = "-CLUSTERDOWN The cluster is down\r\n";
    private static final long TTL_MILLIS = 1_000;
    private static final long PAUSE_MILLIS = 2_000;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process jar;
    private RedisProcess redis;
    private int adminPort;

    @AfterEach
    void stopEverything() throws InterruptedException {
        if (jar != null && jar.isAlive()) {
            signal("CONT"); // a stopped JVM would not run its shutdown; SIGKILL ends it either way
            jar.destroyForcibly();
            jar.waitFor(10, TimeUnit.SECONDS);
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aProxyStoppedPastItsLease_refusesTheWritesThatWaitedForIt_andTheRenewalSentMeanwhile()
            throws Exception {
        redis = RedisProcess.start();
        int port = FreePorts.next();
        adminPort = FreePorts.next();
        startJar("--address", "127.0.0.1:" + port, "--admin-password", "adm",
                "--admin-port", Integer.toString(adminPort));
        String before = Slots.keyIn(10, "lease-before");
        String during = Slots.keyIn(20, "lease-during");
        String after = Slots.keyIn(30, "lease-after");
        long token = 41;
        try (RawRedisClient controller = new RawRedisClient(port); RawRedisClient early = new RawRedisClient(port)) {
            assertThat(controller.call("UMCTL", "AUTH", "adm")).isEqualTo("+OK\r\n");
            assertThat(controller.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "c", redis.address(), "1",
                    "0-16383")).isEqualTo("+OK\r\n");
            assertThat(controller.call("UMCTL", "LEASE", Long.toString(token), Long.toString(TTL_MILLIS), "SENT",
                    Long.toString(controllerMillis()))).isEqualTo("+OK\r\n");
            assertThat(early.call("SET", "warm-up" + before, "x")).isEqualTo("+OK\r\n");
            assertThat(get("/ready").statusCode()).isEqualTo(200);

            long stoppedAt = System.nanoTime();
            signal("STOP");
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> processState() == 'T');
                early.send("SET", before, "written-during-the-pause");
                try (RawRedisClient late = new RawRedisClient(port)) { // the kernel accepts it; nobody reads it yet
                    late.send("SET", during, "written-during-the-pause");
                    controller.send("UMCTL", "LEASE", Long.toString(token), Long.toString(TTL_MILLIS), "SENT",
                            Long.toString(controllerMillis()));
                    await().pollInterval(Duration.ofMillis(50)).atMost(Duration.ofMillis(PAUSE_MILLIS + 3_000))
                            .until(() -> System.nanoTime() - stoppedAt >= TimeUnit.MILLISECONDS.toNanos(PAUSE_MILLIS));
                    assertThat(processState()).as("still stopped").isEqualTo('T');
                    signal("CONT");

                    assertThat(early.readReply()).as("a connection made before the pause").isEqualTo(FENCED);
                    assertThat(late.readReply()).as("a connection made during the pause").isEqualTo(FENCED);
                }
            } finally {
                signal("CONT");
            }
            assertThat(controller.readReply()).as("the renewal sent during the pause")
                    .startsWith("-ERR late lease renewal: by its SENT time it ended ")
                    .endsWith(" ms ago; the lease is unchanged\r\n");
            try (RawRedisClient fresh = new RawRedisClient(port)) {
                assertThat(fresh.call("SET", after, "x")).as("a connection made after the pause").isEqualTo(FENCED);
                assertThat(fresh.call("UMCTL", "READY")).isEqualTo(":0\r\n");
                assertThat(fresh.call("PING")).isEqualTo("+PONG\r\n");
            }
            for (String key : List.of(before, during, after)) {
                assertThat(redis.rawCommand("EXISTS", key)).as("%s in the Redis", key).isEqualTo(":0\r\n");
            }
            assertThat(get("/ready").statusCode()).isEqualTo(503);
            String metrics = get("/metrics").body();
            assertThat(metrics).contains("moonshard_lease_fenced 1.0", "moonshard_lease_remaining_ms 0.0",
                    "moonshard_lease_renewals_total 1.0");

            assertThat(controller.call("UMCTL", "LEASE", Long.toString(token), Long.toString(TTL_MILLIS), "SENT",
                    Long.toString(controllerMillis()))).as("a renewal sent now").isEqualTo("+OK\r\n");
            assertThat(early.call("SET", before, "after-renewal")).isEqualTo("+OK\r\n");
            assertThat(redis.rawCommand("GET", before)).isEqualTo("$13\r\nafter-renewal\r\n");
            assertThat(get("/ready").statusCode()).isEqualTo(200);
        }
    }

    /** The controller's monotonic clock in ms (this JVM's: the controller's clock need not be the proxy's). */
    private static long controllerMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** The proxy JVM's state letter in /proc (T: stopped). */
    private char processState() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(jar.pid()), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(jar.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).as("kill -%s", name).isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).GET()
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void startJar(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                ShadedJar.path().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("proxy.out").toFile())
                .redirectError(dir.resolve("proxy.err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        jar = builder.start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertThat(jar.isAlive()).as("proxy exited; stdout:%n%s%nstderr:%n%s", Files.readString(dir.resolve("proxy.out")),
                    Files.readString(dir.resolve("proxy.err"))).isTrue();
            return Files.readString(dir.resolve("proxy.out")).contains(" msg=started ");
        });
    }
}
