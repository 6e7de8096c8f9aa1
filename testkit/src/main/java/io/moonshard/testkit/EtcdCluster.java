package io.moonshard.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real etcd 3.4 cluster of 1 or 3 members, each a separate Debian {@code etcd} process on free loopback
 * ports, for the controller's tests: kill a member with SIGKILL, freeze it with SIGSTOP, restart it on
 * its data directory, find the Raft leader.
 *
 * <pre>{@code
 * try (EtcdCluster etcd = EtcdCluster.start(3, tempDir)) {
 *     String endpoints = String.join(",", etcd.clientEndpoints());
 *     etcd.kill9(etcd.leaderIndex());
 * }
 * }</pre>
 *
 * <p>Only processes and plain HTTP ({@code /health}, {@code /metrics}) and, for what HTTP cannot do,
 * the {@code etcdctl} binary: testkit stays free of an etcd client library, which lives in the
 * controller alone. Members run etcd's default timing (heartbeat 100 ms, election timeout 1 s) unless
 * extra arguments say otherwise, so the failover times the tests measure are those of a default
 * deployment.
 */
public final class EtcdCluster implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final List<EtcdProcess> members;
    private final Path baseDir;
    private final boolean ownsDir;

    private EtcdCluster(List<EtcdProcess> members, Path baseDir, boolean ownsDir) {
        this.members = List.copyOf(members);
        this.baseDir = baseDir;
        this.ownsDir = ownsDir;
    }

    /** Starts {@code size} members in a fresh temporary directory, removed again by {@link #close()}. */
    public static EtcdCluster start(int size, String... extraArgs) {
        try {
            return start(size, Files.createTempDirectory("moonshard-etcd-"), true, extraArgs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts {@code size} members with their data directories and logs under {@code baseDir} (left in
     * place by {@link #close()}, e.g. a JUnit {@code @TempDir}), and waits until every one is healthy.
     * {@code extraArgs} go to every member ({@code "--election-timeout", "500"}).
     */
    public static EtcdCluster start(int size, Path baseDir, String... extraArgs) {
        return start(size, baseDir, false, extraArgs);
    }

    private static EtcdCluster start(int size, Path baseDir, boolean ownsDir, String... extraArgs) {
        if (size < 1) {
            throw new IllegalArgumentException("an etcd cluster needs at least one member: " + size);
        }
        List<EtcdProcess> members = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            members.add(new EtcdProcess("m" + i, FreePorts.next(), FreePorts.next(), baseDir, List.of(extraArgs)));
        }
        String initialCluster = members.stream().map(EtcdProcess::peerEntry).collect(Collectors.joining(","));
        // a token of its own: members of two clusters of one test run can never join each other
        String token = "moonshard-" + members.get(0).clientPort() + "-" + System.nanoTime();
        EtcdCluster cluster = new EtcdCluster(members, baseDir, ownsDir);
        try {
            for (EtcdProcess m : members) {
                m.start(initialCluster, token, false);
            }
            for (int i = 0; i < size; i++) {
                cluster.awaitHealthy(i, START_TIMEOUT);
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public int size() {
        return members.size();
    }

    public EtcdProcess member(int index) {
        return members.get(index);
    }

    /** Every member's client URL ({@code http://127.0.0.1:port}), in member order. */
    public List<String> clientEndpoints() {
        return members.stream().map(EtcdProcess::clientEndpoint).toList();
    }

    /** The same, comma-separated, as {@code etcdctl --endpoints} and the controller take them. */
    public String endpointsFlag() {
        return String.join(",", clientEndpoints());
    }

    public Path baseDir() {
        return baseDir;
    }

    /** SIGKILL member {@code index}; returns once it is gone. */
    public void kill9(int index) {
        members.get(index).kill9();
    }

    /** SIGSTOP member {@code index}: it keeps its connections but answers nothing. */
    public void sigstop(int index) {
        members.get(index).sigstop();
    }

    /** SIGCONT member {@code index} after {@link #sigstop(int)}. */
    public void sigcont(int index) {
        members.get(index).sigcont();
    }

    /**
     * Starts the killed member {@code index} again on its ports and data directory ({@code
     * --initial-cluster-state existing}) and waits until it is healthy, which needs a quorum.
     */
    public void restart(int index) {
        members.get(index).restart();
        awaitHealthy(index, START_TIMEOUT);
    }

    /** Starts the killed member {@code index} again without waiting (when its quorum is not back yet). */
    public void restartNoWait(int index) {
        members.get(index).restart();
    }

    /** Waits until member {@code index} answers {@code /health} as healthy (it is up and sees a leader). */
    public void awaitHealthy(int index, Duration timeout) {
        EtcdProcess m = members.get(index);
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(50)).pollInSameThread()
                    .until(() -> {
                        if (!m.isAlive()) {
                            throw new IllegalStateException(m.name() + " exited: " + m.logTail());
                        }
                        return m.isHealthy();
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(m + " not healthy within " + timeout + ":\n" + m.logTail(), e);
        }
    }

    /** The index of the member that is Raft leader now, or -1 when none of the running members is. */
    public int leaderIndex() {
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).isLeader()) {
                return i;
            }
        }
        return -1;
    }

    /** Waits until some running member is leader and returns its index. */
    public int awaitLeader(Duration timeout) {
        int[] found = {-1};
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).pollInSameThread()
                .until(() -> (found[0] = leaderIndex()) >= 0);
        return found[0];
    }

    /**
     * Runs {@code etcdctl} against the running members ({@code "compact", "42"}) and returns what it
     * printed; throws when it exits non-zero.
     */
    public String etcdctl(String... args) {
        return runEtcdctl(members.stream().filter(m -> m.state() == EtcdProcess.State.RUNNING)
                .map(EtcdProcess::clientEndpoint).collect(Collectors.joining(",")), args);
    }

    /** Runs {@code etcdctl} against member {@code index} alone (e.g. a local read: {@code --consistency=s}). */
    public String etcdctlAt(int index, String... args) {
        return runEtcdctl(members.get(index).clientEndpoint(), args);
    }

    private static String runEtcdctl(String endpoints, String... args) {
        List<String> cmd = new ArrayList<>(List.of(etcdctlBinary(), "--endpoints=" + endpoints,
                "--command-timeout=5s"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("etcdctl " + List.of(args) + " did not finish");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("etcdctl " + List.of(args) + " exited " + p.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("could not run etcdctl (is the etcd-client package installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running etcdctl", e);
        }
    }

    /** The etcdctl binary: {@code $ETCDCTL} or {@code etcdctl} on the PATH (API v3 is its default in 3.4). */
    public static String etcdctlBinary() {
        String fromEnv = System.getenv("ETCDCTL");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : "etcdctl";
    }

    /** Stops every member by its process (SIGCONT if frozen, SIGTERM, SIGKILL after 5 s). */
    @Override
    public void close() {
        RuntimeException first = null;
        for (EtcdProcess m : members) {
            try {
                m.stop();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (ownsDir) {
            try (Stream<Path> files = Files.walk(baseDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a scratch directory under /tmp; nothing to do if it is already gone
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "EtcdCluster" + members;
    }
}
