package io.moonshard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One member of an {@link EtcdCluster}: a real Debian {@code etcd} process on two loopback ports (client
 * and peer), its data directory and log file kept across {@link #restart()} so that a member killed with
 * SIGKILL comes back with its Raft log, as a machine that rebooted would.
 *
 * <p>Liveness and leadership are read over the member's plain HTTP endpoints ({@code /health},
 * {@code /metrics}), so testkit needs no etcd client library.
 */
public final class EtcdProcess {

    /** What the test did to the process last; a stopped member must not be probed (it would hang). */
    public enum State {
        RUNNING,
        STOPPED,
        KILLED
    }

    private static final int PROBE_TIMEOUT_MILLIS = 500;

    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final Path logFile;
    private final List<String> extraArgs;
    private volatile String initialCluster;
    private volatile String clusterToken;
    private volatile Process process;
    private volatile State state = State.KILLED;

    EtcdProcess(String name, int clientPort, int peerPort, Path baseDir, List<String> extraArgs) {
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = baseDir.resolve(name + ".etcd");
        this.logFile = baseDir.resolve(name + ".log");
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** The etcd binary: {@code $ETCD} or {@code etcd} on the PATH. */
    public static String binary() {
        String fromEnv = System.getenv("ETCD");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : "etcd";
    }

    public String name() {
        return name;
    }

    /** {@code http://127.0.0.1:<client port>}, as etcd clients take it. */
    public String clientEndpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    public int clientPort() {
        return clientPort;
    }

    /** {@code name=http://127.0.0.1:<peer port>}, one entry of {@code --initial-cluster}. */
    String peerEntry() {
        return name + "=http://127.0.0.1:" + peerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    public State state() {
        return state;
    }

    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException(name + " never started");
        }
        return p.pid();
    }

    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Starts the process (not waiting for it to be healthy): a new cluster, or rejoining with its data. */
    void start(String initialClusterFlag, String token, boolean existing) {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        this.initialCluster = initialClusterFlag;
        this.clusterToken = token;
        List<String> cmd = new ArrayList<>(List.of(binary(),
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientEndpoint(),
                "--advertise-client-urls", clientEndpoint(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-cluster", initialClusterFlag,
                // with a data directory etcd ignores the initial flags and replays its log; "existing"
                // keeps it from ever bootstrapping a second cluster under the same token
                "--initial-cluster-state", existing ? "existing" : "new",
                "--initial-cluster-token", token,
                "--logger", "zap", "--log-outputs", "stderr"));
        cmd.addAll(extraArgs);
        try {
            Files.createDirectories(logFile.getParent());
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start etcd (is the etcd package installed?)", e);
        }
        state = State.RUNNING;
    }

    /** Starts the killed process again on the same ports and data directory. */
    void restart() {
        if (state != State.KILLED) {
            throw new IllegalStateException(name + " is " + state + "; kill it first");
        }
        start(initialCluster, clusterToken, true);
    }

    /** SIGKILL, as a crash or a power cut would; returns once the process is gone. */
    public void kill9() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly(); // SIGKILL on Unix
        awaitExit(p);
        state = State.KILLED;
    }

    /** SIGSTOP: the process keeps its sockets but answers nothing, as a hung machine would. */
    public void sigstop() {
        signal("-STOP");
        state = State.STOPPED;
    }

    /** SIGCONT after {@link #sigstop()}. */
    public void sigcont() {
        signal("-CONT");
        state = State.RUNNING;
    }

    /** {@code GET /health} answered {@code "health":"true"}: the member is up and sees a leader. */
    public boolean isHealthy() {
        if (state != State.RUNNING || !isAlive()) {
            return false;
        }
        String body = httpGet("/health");
        return body != null && body.contains("\"health\":\"true\"");
    }

    /** The member reports itself Raft leader ({@code etcd_server_is_leader 1} in {@code /metrics}). */
    public boolean isLeader() {
        if (state != State.RUNNING || !isAlive()) {
            return false;
        }
        String body = httpGet("/metrics");
        return body != null && body.lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"));
    }

    /** The last part of the member's log, for failure messages. */
    public String logTail() {
        try {
            if (!Files.exists(logFile)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Stops the process for good: SIGCONT if stopped, then SIGTERM, then SIGKILL after 5 s. */
    void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            state = State.KILLED;
            return;
        }
        if (state == State.STOPPED) {
            signal("-CONT"); // a stopped process cannot handle SIGTERM
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        awaitExit(p);
        state = State.KILLED;
    }

    private void signal(String signal) {
        Signals.send(pid(), signal);
    }

    private static void awaitExit(Process p) {
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The body of a 200 answer, or null when the member does not answer (in time). */
    private String httpGet(String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(clientEndpoint() + path).toURL().openConnection();
            c.setConnectTimeout(PROBE_TIMEOUT_MILLIS);
            c.setReadTimeout(PROBE_TIMEOUT_MILLIS);
            try {
                if (c.getResponseCode() != 200) {
                    return null;
                }
                try (InputStream in = c.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return name + "(" + clientEndpoint() + ", " + state + ")";
    }
}
