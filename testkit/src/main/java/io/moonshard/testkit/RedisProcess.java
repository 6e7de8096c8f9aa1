package io.moonshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} process on a free port of 127.0.0.1, with its own scratch directory,
 * no persistence, and nothing left behind after {@link #close()}.
 *
 * <pre>{@code
 * try (RedisProcess redis = RedisProcess.start()) {
 *     // talk to 127.0.0.1:redis.port()
 * }
 * }</pre>
 */
public final class RedisProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final String host;
    private final int port;
    private final Path dir;
    private final Process process;

    private RedisProcess(String host, int port, Path dir, Process process) {
        this.host = host;
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /** Starts a standalone server; {@code extraArgs} are appended to the command line ("--name", "value"). */
    public static RedisProcess start(String... extraArgs) {
        return startOnPort(FreePorts.next(), extraArgs);
    }

    /** Starts a server with {@code --cluster-enabled yes} (for differential tests against real Redis Cluster). */
    public static RedisProcess startClusterNode(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-announce-ip", "127.0.0.1"));
        args.addAll(List.of(extraArgs));
        return start(args.toArray(String[]::new));
    }

    /** Starts a server on a given port (e.g. to restart a backend where it was). */
    public static RedisProcess startOnPort(int port, String... extraArgs) {
        return startOn("127.0.0.1", port, extraArgs);
    }

    /**
     * Starts a server bound to {@code host} (a loopback address such as {@code 127.0.0.2}, standing for
     * another machine) on {@code port}.
     */
    public static RedisProcess startOn(String host, int port, String... extraArgs) {
        try {
            Path dir = Files.createTempDirectory("moonshard-redis-" + port + "-");
            List<String> cmd = new ArrayList<>(List.of(serverBinary(),
                    "--port", Integer.toString(port), "--bind", host,
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                    "--logfile", dir.resolve("redis.log").toString(),
                    "--daemonize", "no", "--enable-debug-command", "yes"));
            cmd.addAll(List.of(extraArgs));
            Process process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
            RedisProcess redis = new RedisProcess(host, port, dir, process);
            redis.awaitReady();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start redis-server (is it installed?)", e);
        }
    }

    /** The server binary: {@code $REDIS_SERVER} or {@code redis-server} on the PATH. */
    public static String serverBinary() {
        String fromEnv = System.getenv("REDIS_SERVER");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : "redis-server";
    }

    public int port() {
        return port;
    }

    /** The address it is bound to: {@code 127.0.0.1} unless started with {@link #startOn}. */
    public String host() {
        return host;
    }

    /** {@code host:port}, as it appears in UMCTL SETCLUSTER. */
    public String address() {
        return host + ":" + port;
    }

    /** The operating system's process id, for tests that stop or pause it by PID. */
    public long pid() {
        return process.pid();
    }

    public Path directory() {
        return dir;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Sends one command over a fresh connection and returns the raw reply bytes as text, e.g.
     * {@code "+PONG\r\n"}. For set-up and checks in tests that need no client library.
     */
    public String rawCommand(String... args) {
        try (RawRedisClient client = new RawRedisClient(host, port)) {
            return client.call(args);
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + ": " + logTail());
            }
            try {
                String pong = rawCommand("PING");
                // a server started with --requirepass answers, with NOAUTH: it is up all the same
                if (pong.startsWith("+PONG") || pong.startsWith("-NOAUTH")) {
                    return;
                }
            } catch (UncheckedIOException e) {
                last = e.getCause();
            }
            try {
                process.waitFor(20, TimeUnit.MILLISECONDS); // poll interval: the server is still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting redis-server", e);
            }
        }
        close();
        throw new IOException("redis-server on port " + port + " did not answer PING: " + logTail(), last);
    }

    private String logTail() {
        try {
            Path log = dir.resolve("redis.log");
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills the process at once (SIGKILL), as a crash would; the directory stays for a restart. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a scratch directory under /tmp; nothing to do if it is already gone
        }
    }
}
