package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real shaded jar ({@code target/moonshard-proxy.jar}, built by {@code package} before
 * failsafe runs) as a separate {@code java -jar} process, as a user would.
 */
class ProxyJarIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** The design note's CLUSTER NODES text; the proxy announces 127.0.0.1:5299 as in the note. */
    private static final String DESIGN_NOTE_NODES =
            "mydb________________9f8fca2805923328____ 127.0.0.1:5299 myself,master - 0 0 1 connected 0-8000\n"
                    + "mydb________________d458dd9b55cc9ad9____ 127.0.0.1:7000 master - 0 0 1 connected 8001-16383\n";

    @TempDir
    Path dir;

    private final List<JarProcess> jars = new ArrayList<>();
    private RedisProcess redis;

    @AfterEach
    void stopEverything() {
        jars.forEach(JarProcess::kill);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void reproducesTheDesignNoteSession_byteForByte() {
        redis = RedisProcess.start();
        int port = FreePorts.next();
        JarProcess proxy = startJar("transcript", "--address", "127.0.0.1:" + port,
                "--announce-address", "127.0.0.1:5299");
        proxy.awaitStarted();

        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-8000", "PEER", "127.0.0.1:7000", "1", "8001-16383")).isEqualTo("+OK\r\n");
            assertThat(client.call("CLUSTER", "NODES")).isEqualTo(
                    "$" + DESIGN_NOTE_NODES.getBytes(StandardCharsets.UTF_8).length + "\r\n" + DESIGN_NOTE_NODES + "\r\n");
            assertThat(client.call("get", "a")).isEqualTo("-MOVED 15495 127.0.0.1:7000\r\n");
            assertThat(client.call("set", "b", "1")).isEqualTo("+OK\r\n");
        }
        assertThat(redis.rawCommand("GET", "b")).isEqualTo("$1\r\n1\r\n");
    }

    @Test
    void logsOneStartLine_withAddressAnnounceThreadsAndVersion() {
        int port = FreePorts.next();
        JarProcess proxy = startJar("startline", "--address", "127.0.0.1:" + port,
                "--announce-address", "127.0.0.1:5299", "--thread-number", "2");

        String line = proxy.awaitStarted();

        assertThat(line).startsWith("ts=").contains(" level=INFO ", " msg=started ",
                " address=127.0.0.1:" + port, " announce=127.0.0.1:5299", " threads=2", " version=");
        assertThat(proxy.stdout().lines().filter(l -> l.contains(" msg=started "))).hasSize(1);
    }

    @Test
    void sigterm_finishesAndExitsWith143() throws InterruptedException {
        int port = FreePorts.next();
        JarProcess proxy = startJar("sigterm", "--address", "127.0.0.1:" + port);
        proxy.awaitStarted();
        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
        }

        proxy.process.destroy(); // SIGTERM

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s").isTrue();
        // the JVM exits with 128 + 15 when SIGTERM starts its shutdown, after our hook has closed the proxy
        assertThat(proxy.process.exitValue()).isEqualTo(143);
        assertThat(proxy.stdout()).contains(" msg=stopping reason=signal").contains(" msg=stopped reason=signal");
    }

    @Test
    void umctlShutdown_exitsWith0() throws InterruptedException {
        int port = FreePorts.next();
        JarProcess proxy = startJar("shutdown", "--address", "127.0.0.1:" + port);
        proxy.awaitStarted();

        try (RawRedisClient client = new RawRedisClient(port)) {
            client.send("UMCTL", "SHUTDOWN");
            assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s").isTrue();
        }

        assertThat(proxy.process.exitValue()).isZero();
        assertThat(proxy.stdout()).contains(" msg=stopped reason=shutdown-command");
    }

    @Test
    void badConfigKey_exitsWith2_namingTheKey() throws IOException, InterruptedException {
        Path config = Files.writeString(dir.resolve("moonshard.toml"),
                "address = \"127.0.0.1:" + FreePorts.next() + "\"\nanounce_address = \"127.0.0.1:5299\"\n");

        JarProcess proxy = startJar("badkey", "--config", config.toString());

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isEqualTo(2);
        assertThat(proxy.stderr()).isEqualTo("moonshard: unknown key 'anounce_address' in " + config
                + " (did you mean 'announce_address'?)\n");
    }

    @Test
    void badEnvironmentValue_exitsWith2_namingTheVariable() throws InterruptedException {
        JarProcess proxy = startJar("badenv", Map.of("MOONSHARD_BACKEND_TIMEOUT", "soon"));

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isEqualTo(2);
        assertThat(proxy.stderr()).startsWith(
                "moonshard: backend_timeout: invalid value 'soon' (from MOONSHARD_BACKEND_TIMEOUT)");
    }

    @Test
    void helpFromTheJar_listsEveryOption() throws InterruptedException {
        JarProcess proxy = startJar("help", "--help");

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isZero();
        String help = proxy.stdout().replaceAll("\\s+", " ");
        for (ConfigOption option : ConfigOptions.ALL) {
            assertThat(help).contains(option.flag() + "=").contains("Default: " + option.defaultText() + ".");
        }
    }

    private JarProcess startJar(String name, String... args) {
        return startJar(name, Map.of(), args);
    }

    private JarProcess startJar(String name, Map<String, String> env, String... args) {
        Path jar = jarPath();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // the developer's own MOONSHARD_*/UNDERMOON_* settings must not change what the test sees
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        builder.environment().putAll(env);
        try {
            JarProcess p = new JarProcess(builder.start(), dir.resolve(name + ".out"), dir.resolve(name + ".err"));
            jars.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path jarPath() {
        String configured = System.getProperty("moonshard.jar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "moonshard-proxy.jar");
        assertThat(jar).as("the shaded jar (run 'package' first)").isRegularFile();
        return jar;
    }

    /** A running jar, its output files, and how to wait for it. */
    private static final class JarProcess {
        final Process process;
        final Path out;
        final Path err;

        JarProcess(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        /** Waits for the "started" log line and returns it; fails at once if the process dies first. */
        String awaitStarted() {
            await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
                assertThat(process.isAlive())
                        .as("proxy exited with %s; stdout:%n%s%nstderr:%n%s",
                                process.isAlive() ? "-" : process.exitValue(), stdout(), stderr())
                        .isTrue();
                return stdout().contains(" msg=started ");
            });
            return stdout().lines().filter(l -> l.contains(" msg=started ")).findFirst().orElseThrow();
        }

        String stdout() {
            return read(out);
        }

        String stderr() {
            return read(err);
        }

        void kill() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
