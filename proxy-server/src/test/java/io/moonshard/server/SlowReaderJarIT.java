package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.SocketDrain;
import java.io.IOException;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 3, against the real jar: a client pipelines {@value #GETS} GETs of a 1 MB value and
 * never reads its replies, while four other clients share its backend connection (one event loop, one
 * connection per backend). The slow reader is disconnected at its {@code client-output-buffer-limit},
 * the others keep being served with their latency, and the proxy's memory stays bounded.
 */
class SlowReaderJarIT {

    private static final int GETS = 1000;
    private static final int VALUE_BYTES = 1 << 20;
    private static final int OTHER_CLIENTS = 4;

    @TempDir
    Path dir;

    private Process jar;
    private RedisProcess redis;

    @AfterEach
    void stopEverything() throws InterruptedException {
        if (jar != null && jar.isAlive()) {
            jar.destroyForcibly();
            jar.waitFor(10, TimeUnit.SECONDS);
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aClientThatDoesNotRead_isDisconnectedAtItsLimit_andOthersOnItsBackendConnectionKeepTheirLatency()
            throws Exception {
        redis = RedisProcess.start();
        int port = FreePorts.next();
        // Redis builds all 1,000 replies (1 GB) before it sends any, which on a loaded machine can take
        // longer than the default backend timeout: that is Redis's time, not what this test measures
        startJar("--address", "127.0.0.1:" + port, "--thread-number", "1", "--backend-conn-num", "1",
                "--backend-timeout", "10000", "--client-output-buffer-limit", "normal 32mb 0 0");
        try (RawRedisClient admin = new RawRedisClient(port)) {
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "c", redis.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
            assertThat(admin.call("SET", "big", "x".repeat(VALUE_BYTES))).isEqualTo("+OK\r\n");
        }
        long rssBefore = rssBytes(jar.pid());

        AtomicBoolean stop = new AtomicBoolean();
        List<Other> others = new ArrayList<>();
        for (int i = 0; i < OTHER_CLIENTS; i++) {
            Other other = new Other(port, "k" + i, stop);
            others.add(other);
            other.start();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> others.stream().allMatch(o -> o.completed > 100));
        others.forEach(Other::startMeasuring);

        long maxRss = rssBefore;
        boolean slowDisconnected;
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096); // before connect: the window stays small
            slow.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            byte[] get = RawRedisClient.encode("GET", "big");
            byte[] pipeline = new byte[get.length * GETS];
            for (int i = 0; i < GETS; i++) {
                System.arraycopy(get, 0, pipeline, i * get.length, get.length);
            }
            slow.getOutputStream().write(pipeline);
            slow.getOutputStream().flush();
            // the others run for a while with the slow reader sitting there, its replies unread
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (System.nanoTime() < until) {
                maxRss = Math.max(maxRss, rssBytes(jar.pid()));
                Thread.sleep(50); // sampling the proxy's RSS, not synchronising
            }
            slowDisconnected = SocketDrain.readsToEndOfStream(slow, Duration.ofSeconds(10));
        } finally {
            stop.set(true);
            for (Other other : others) {
                other.join(10_000);
            }
        }

        long[] latencies = others.stream().flatMapToLong(o -> Arrays.stream(o.latenciesNanos())).sorted().toArray();
        long p99 = latencies.length == 0 ? Long.MAX_VALUE : latencies[(int) (latencies.length * 0.99)];
        String summary = String.format("others completed %s while measured, p99 %.2f ms, rss %d -> max %d MB",
                others.stream().map(o -> Integer.toString(o.measured())).toList(), p99 / 1e6,
                rssBefore >> 20, maxRss >> 20);
        System.out.println("SlowReaderJarIT: " + summary);
        stdout().lines().filter(l -> !l.contains("level=INFO")).limit(20).forEach(System.out::println);
        for (Other other : others) {
            assertThat(other.failure).as(summary).isNull();
            assertThat(other.measured()).as(summary).isGreaterThan(500);
        }
        assertThat(p99).as(summary).isLessThan(TimeUnit.MILLISECONDS.toNanos(10));
        assertThat(maxRss - rssBefore).as(summary).isLessThan(200L << 20);
        assertThat(slowDisconnected).as("the slow reader was disconnected").isTrue();
        assertThat(stdout()).contains("scheduled to be closed ASAP for overcoming of output buffer limits");
        try (RawRedisClient after = new RawRedisClient(port)) {
            assertThat(after.call("STRLEN", "big")).isEqualTo(":" + VALUE_BYTES + "\r\n");
        }
    }

    /** A well-behaved client: SET then GET of its own key, one at a time, timing each. */
    private static final class Other extends Thread {
        private final int port;
        private final String key;
        private final AtomicBoolean stop;
        volatile int completed;
        volatile Throwable failure;
        private volatile boolean measuring;
        private final long[] latencies = new long[500_000];
        private volatile int measuredCount;

        Other(int port, String key, AtomicBoolean stop) {
            this.port = port;
            this.key = key;
            this.stop = stop;
            setDaemon(true);
        }

        void startMeasuring() {
            measuring = true;
        }

        int measured() {
            return measuredCount;
        }

        long[] latenciesNanos() {
            return Arrays.copyOf(latencies, measuredCount);
        }

        @Override
        public void run() {
            try (RawRedisClient client = new RawRedisClient(port)) {
                client.setReadTimeoutMillis(30_000);
                for (int i = 0; !stop.get() && measuredCount < latencies.length; i++) {
                    String value = Integer.toString(i);
                    long start = System.nanoTime();
                    boolean set = (i & 1) == 0;
                    String reply = set ? client.call("SET", key, value) : client.call("GET", key);
                    long took = System.nanoTime() - start;
                    String expected = set ? "+OK\r\n" : "$" + Integer.toString(i - 1).length() + "\r\n" + (i - 1) + "\r\n";
                    if (!reply.equals(expected)) {
                        throw new AssertionError("client " + key + " got " + reply + " instead of " + expected);
                    }
                    completed++;
                    if (measuring) {
                        latencies[measuredCount] = took;
                        measuredCount++;
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    private void startJar(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-jar",
                ShadedJar.path().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("proxy.out").toFile())
                .redirectError(dir.resolve("proxy.err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        jar = builder.start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertThat(jar.isAlive()).as("proxy exited; stdout:%n%s%nstderr:%n%s", stdout(),
                    Files.readString(dir.resolve("proxy.err"))).isTrue();
            return stdout().contains(" msg=started ");
        });
    }

    private String stdout() {
        try {
            return Files.readString(dir.resolve("proxy.out"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process's resident set (VmRSS of /proc/PID/status). */
    private static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
