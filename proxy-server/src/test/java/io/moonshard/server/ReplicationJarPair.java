package io.moonshard.server;

import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Signals;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two "hosts" (127.0.0.1, 127.0.0.2), each with a proxy of the shaded jar (its own JVM process), a
 * master Redis and a replica Redis of the other host's master; host 0's master owns 0-8191, host 1's
 * 8192-16383. The metadata is pushed as undermoon's coordinator does (SETREPL, then SETCLUSTER);
 * {@link #pushFailedOver} is the layout after shard 0 moved to host 1's replica.
 */
final class ReplicationJarPair implements AutoCloseable {

    static final String NAME = "jarrepl";
    static final String[] HOSTS = {"127.0.0.1", "127.0.0.2"};
    static final int[][] SLOTS = {{0, 8191}, {8192, 16383}};
    private static final Duration START_TIMEOUT = Duration.ofSeconds(40);

    final List<RedisProcess> masters = new ArrayList<>();
    final List<RedisProcess> replicas = new ArrayList<>();
    private final List<RedisProcess> dead = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<Process> proxies = new ArrayList<>();
    private final Path logs;
    long epoch;

    private ReplicationJarPair(Path logs) {
        this.logs = logs;
    }

    /** @param proxyArgs extra command-line options for both proxies (e.g. a write-ack setting) */
    static ReplicationJarPair start(Path logs, String... proxyArgs) {
        ReplicationJarPair pair = new ReplicationJarPair(logs);
        try {
            Files.createDirectories(logs);
            for (int i = 0; i < 2; i++) {
                pair.masters.add(RedisProcess.startOn(HOSTS[i], FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                pair.replicas.add(RedisProcess.startOn(HOSTS[i], FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                pair.ports.add(FreePorts.next());
            }
            for (int i = 0; i < 2; i++) {
                pair.proxies.add(pair.launch(i, proxyArgs));
            }
            pair.pushSteady();
            return pair;
        } catch (IOException e) {
            pair.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            pair.close();
            throw e;
        }
    }

    String proxyAddress(int i) {
        return HOSTS[i] + ":" + ports.get(i);
    }

    int port(int i) {
        return ports.get(i);
    }

    String call(int i, String... args) {
        try (RawRedisClient client = new RawRedisClient(HOSTS[i], ports.get(i))) {
            return client.call(args);
        }
    }

    void pushSteady() {
        epoch++;
        for (int i = 0; i < 2; i++) {
            int o = 1 - i;
            expectOk(i, "UMCTL", "SETREPL", Long.toString(epoch), "NOFLAG",
                    "master", NAME, masters.get(i).address(), "1", replicas.get(o).address(), proxyAddress(o),
                    "replica", NAME, replicas.get(i).address(), "1", masters.get(o).address(), proxyAddress(o));
        }
        for (int i = 0; i < 2; i++) {
            int o = 1 - i;
            expectOk(i, "UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAG", NAME,
                    masters.get(i).address(), "1", range(SLOTS[i]), "PEER", proxyAddress(o), "1", range(SLOTS[o]));
        }
    }

    /** Shard 0 served by host 1's replica of it (promoted); host 0's old master follows it. */
    void pushFailedOver(long newEpoch) {
        epoch = newEpoch;
        String e = Long.toString(epoch);
        expectOk(1, "UMCTL", "SETREPL", e, "NOFLAG",
                "master", NAME, masters.get(1).address(), "1", replicas.get(0).address(), proxyAddress(0),
                "master", NAME, replicas.get(1).address(), "1", masters.get(0).address(), proxyAddress(0));
        expectOk(0, "UMCTL", "SETREPL", e, "NOFLAG",
                "replica", NAME, masters.get(0).address(), "1", replicas.get(1).address(), proxyAddress(1),
                "replica", NAME, replicas.get(0).address(), "1", masters.get(1).address(), proxyAddress(1));
        expectOk(1, "UMCTL", "SETCLUSTER", "v2", e, "NOFLAG", NAME,
                masters.get(1).address(), "1", range(SLOTS[1]), replicas.get(1).address(), "1", range(SLOTS[0]));
        expectOk(0, "UMCTL", "SETCLUSTER", "v2", e, "NOFLAG", NAME,
                "PEER", proxyAddress(1), "2", range(SLOTS[0]), range(SLOTS[1]));
    }

    private void expectOk(int i, String... args) {
        String reply = call(i, args);
        if (!reply.equals("+OK\r\n")) {
            throw new IllegalStateException(args[1] + " on proxy " + i + " failed: " + reply);
        }
    }

    static String range(int[] r) {
        return r[0] + "-" + r[1];
    }

    /** The INFOREPL entry of {@code node} at proxy {@code i}, "" when absent. */
    String entry(int i, String node) {
        for (String part : call(i, "UMCTL", "INFOREPL").split("\\*\\d+\r\n\\$")) {
            if (part.contains("node_address:" + node + "\n")) {
                return part;
            }
        }
        return "";
    }

    void awaitState(int i, String node, String state, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(() -> entry(i, node).contains("state:" + state + "\n"));
    }

    /** {@code kill -9} of master {@code i}; it stays dead until {@link #restartMasterEmpty}. */
    void killMaster(int i) {
        masters.get(i).kill();
        dead.add(masters.get(i));
    }

    /** Master {@code i} again on its port, empty (no persistence), with a new run_id. */
    void restartMasterEmpty(int i) {
        RedisProcess old = masters.get(i);
        masters.set(i, RedisProcess.startOn(HOSTS[i], old.port(), "--repl-diskless-sync-delay", "0"));
    }

    /** {@code kill -STOP} of proxy {@code i}: it probes and decides nothing until {@link #resumeProxy}. */
    void pauseProxy(int i) {
        Signals.send(proxies.get(i).pid(), "-STOP");
    }

    /** {@code kill -CONT} of proxy {@code i}. */
    void resumeProxy(int i) {
        Signals.send(proxies.get(i).pid(), "-CONT");
    }

    private Process launch(int i, String... extra) throws IOException {
        Path out = logs.resolve("proxy-" + i + ".out");
        Path err = logs.resolve("proxy-" + i + ".err");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-jar", ShadedJar.path().toString(),
                "--address", proxyAddress(i), "--thread-number", "2"));
        command.addAll(List.of(extra));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        Process p = builder.start();
        try {
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).atMost(START_TIMEOUT).ignoreExceptions()
                    .until(() -> !p.isAlive() || Files.readString(out).contains(" msg=started "));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // reported below
        }
        if (!Files.readString(out).contains(" msg=started ")) {
            p.destroyForcibly();
            throw new IllegalStateException("proxy " + i + " did not start; stdout:\n" + Files.readString(out)
                    + "\nstderr:\n" + Files.readString(err));
        }
        return p;
    }

    /** The replication engine's log lines of both proxies, for assertion messages. */
    String replicationLog() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            try {
                for (String line : Files.readAllLines(logs.resolve("proxy-" + i + ".out"))) {
                    if (line.contains("replication") || line.contains("level=WARN") || line.contains("level=ERROR")) {
                        sb.append("proxy-").append(i).append(": ").append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                sb.append("(proxy-").append(i).append(" log unreadable)\n");
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Process p : proxies) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (List<RedisProcess> list : List.of(masters, replicas, dead)) {
            for (RedisProcess r : list) {
                r.close();
            }
        }
    }
}
