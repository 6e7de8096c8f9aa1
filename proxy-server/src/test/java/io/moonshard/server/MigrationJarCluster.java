package io.moonshard.server;

import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * N proxies of the shaded jar, each a separate JVM process fronting one {@link RedisProcess}, so a
 * {@code kill -9} is a real one: {@link #killProxy} sends SIGKILL to the proxy's PID, {@link #restartProxy}
 * starts a new process on the same address (the caller then has the coordinator push it the current
 * metadata again, as undermoon's coordinator does after a restart). Backends can be killed and
 * restarted on their port as well (they come back empty: no persistence).
 *
 * <p>Every incarnation of every proxy writes {@code proxy-<i>.<n>.out}/{@code .err} under
 * {@link #logs()}; the directory is kept after the test (the migration engine's
 * {@code event=migration_*} and {@code event=import_*} lines are the evidence when a test fails).
 */
final class MigrationJarCluster implements AutoCloseable {

    static final String NAME = "jarcluster";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(40);

    private final Path logs;
    private final List<Integer> proxyPorts = new ArrayList<>();
    private final List<Process> proxies = new ArrayList<>();
    private final List<Integer> incarnations = new ArrayList<>();
    private final List<RedisProcess> redis = new ArrayList<>();
    /** Killed backends: their scratch directories are removed at close. */
    private final List<RedisProcess> dead = new ArrayList<>();

    private MigrationJarCluster(Path logs) {
        this.logs = logs;
    }

    /** Starts {@code n} Redis servers and {@code n} jar proxies (no metadata yet: the coordinator pushes it). */
    static MigrationJarCluster start(int n, Path logs) {
        MigrationJarCluster cluster = new MigrationJarCluster(logs);
        try {
            Files.createDirectories(logs);
            for (int i = 0; i < n; i++) {
                cluster.redis.add(RedisProcess.start());
                cluster.proxyPorts.add(FreePorts.next());
                cluster.proxies.add(null);
                cluster.incarnations.add(0);
            }
            for (int i = 0; i < n; i++) {
                cluster.launch(i);
            }
            return cluster;
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** A coordinator over these nodes (proxy i fronts Redis i); the proxies hold no epoch yet. */
    MigrationCoordinator coordinator() {
        List<MigrationCoordinator.Node> nodes = new ArrayList<>();
        for (int i = 0; i < proxies.size(); i++) {
            nodes.add(new MigrationCoordinator.Node(proxyAddress(i), redis.get(i).address()));
        }
        return new MigrationCoordinator(NAME, 0, nodes);
    }

    Path logs() {
        return logs;
    }

    int size() {
        return proxies.size();
    }

    int proxyPort(int i) {
        return proxyPorts.get(i);
    }

    String proxyAddress(int i) {
        return "127.0.0.1:" + proxyPorts.get(i);
    }

    List<Integer> proxyPorts() {
        return List.copyOf(proxyPorts);
    }

    RedisProcess redis(int i) {
        return redis.get(i);
    }

    long pid(int i) {
        return proxies.get(i).pid();
    }

    boolean proxyAlive(int i) {
        Process p = proxies.get(i);
        return p != null && p.isAlive();
    }

    /** {@code kill -9} of proxy {@code i}'s process; returns once it is gone. */
    void killProxy(int i) {
        Process p = proxies.get(i);
        long pid = p.pid();
        try {
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -9 " + pid + " failed");
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("proxy " + i + " (pid " + pid + ") still alive 10 s after kill -9");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts proxy {@code i} again on its address (it holds no metadata until the coordinator re-pushes it). */
    void restartProxy(int i) {
        if (proxyAlive(i)) {
            throw new IllegalStateException("proxy " + i + " is still running");
        }
        try {
            launch(i);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code kill -9} of Redis {@code i}. */
    void killRedis(int i) {
        RedisProcess r = redis.get(i);
        r.kill();
        dead.add(r);
    }

    /** Redis {@code i} again on its port, empty. */
    void restartRedis(int i) {
        RedisProcess r = redis.get(i);
        if (r.isAlive()) {
            throw new IllegalStateException("Redis " + i + " is still running");
        }
        redis.set(i, RedisProcess.startOnPort(r.port()));
    }

    private void launch(int i) throws IOException {
        int incarnation = incarnations.get(i) + 1;
        incarnations.set(i, incarnation);
        Path out = logs.resolve("proxy-" + i + "." + incarnation + ".out");
        Path err = logs.resolve("proxy-" + i + "." + incarnation + ".err");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-jar", ShadedJar.path().toString(),
                "--address", proxyAddress(i), "--thread-number", "2");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
            Process p = builder.start();
            proxies.set(i, p);
            long left = Math.max(1_000_000, deadline - System.nanoTime());
            try {
                // the start line of a separate process, or its exit
                org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ZERO)
                        .pollInterval(java.time.Duration.ofMillis(50)).atMost(java.time.Duration.ofNanos(left))
                        .ignoreExceptions()
                        .until(() -> !p.isAlive() || Files.readString(out).contains(" msg=started "));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // not started in time: reported below with its output
            }
            boolean started = Files.readString(out).contains(" msg=started ");
            if (started) {
                return;
            }
            if (p.isAlive() || System.nanoTime() >= deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("proxy " + i + " did not start within " + START_TIMEOUT + "; stdout:\n"
                        + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
            }
            // exited: after a kill -9 the port can take a moment to be free again; try once more
            sleep(200); // a back-off before the retry, not a wait for a condition
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends one command to proxy {@code i} and returns the raw reply. */
    String callProxy(int i, String... args) {
        try (RawRedisClient c = new RawRedisClient(proxyPorts.get(i))) {
            return c.call(args);
        }
    }

    /**
     * The migration engine's lines ({@code event=migration_}, {@code event=import_}) and every WARN or
     * ERROR line of every incarnation of every proxy, prefixed by the file they come from.
     */
    String engineEvents() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(logs)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".out")).sorted().toList()) {
                List<String> lines;
                try (Stream<String> all = Files.lines(f)) {
                    lines = all.filter(l -> l.contains("event=migration_") || l.contains("event=import_")
                            || l.contains("level=WARN") || l.contains("level=ERROR")).collect(Collectors.toList());
                }
                for (String l : lines) {
                    sb.append(f.getFileName()).append(": ").append(l.length() > 600 ? l.substring(0, 600) + "..." : l)
                            .append('\n');
                }
            }
        } catch (IOException e) {
            sb.append("(logs unreadable: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Process p : proxies) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (RedisProcess r : redis) {
            r.close();
        }
        for (RedisProcess r : dead) {
            r.close();
        }
    }

    /** Awaits {@code condition} polling every 20 ms. */
    static void awaitUntil(String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition) {
        await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(condition);
    }
}
