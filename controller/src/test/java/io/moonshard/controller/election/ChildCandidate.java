package io.moonshard.controller.election;

import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.Signals;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** An {@link ElectionCandidateMain} in a child JVM, and what it printed. */
final class ChildCandidate implements AutoCloseable {

    private final String id;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private ChildCandidate(String id, Process process) {
        this.id = id;
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "child-" + id + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    static ChildCandidate start(String endpoints, String key, String id, Duration ttl, Path log) {
        return start(endpoints, key, id, "http://" + id + ".invalid:8080", ttl, log);
    }

    /** A candidate that listens on a port of 127.0.0.1 and advertises it, as a controller's API does. */
    static ChildCandidate startListening(String endpoints, String key, String id, Duration ttl, Path log) {
        return start(endpoints, key, id, "listen", ttl, log);
    }

    private static ChildCandidate start(String endpoints, String key, String id, String address, Duration ttl, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "-XX:TieredStopAtLevel=1",
                    ElectionCandidateMain.class.getName(), endpoints, key, id, address,
                    Long.toString(ttl.toMillis()))
                    .redirectError(log.toFile())
                    .start();
            return new ChildCandidate(id, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String id() {
        return id;
    }

    long pid() {
        return process.pid();
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    /** The first line starting with {@code prefix} after the first {@code skip} such lines, waiting for it. */
    String awaitLine(String prefix, int skip, Duration timeout) {
        String[] found = {null};
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            if (!process.isAlive() && find(prefix, skip).isEmpty()) {
                throw new IllegalStateException(id + " exited; it printed " + lines);
            }
            Optional<String> line = find(prefix, skip);
            line.ifPresent(l -> found[0] = l);
            return line.isPresent();
        });
        return found[0];
    }

    private Optional<String> find(String prefix, int skip) {
        return lines.stream().filter(l -> l.startsWith(prefix)).skip(skip).findFirst();
    }

    /** The token of its {@code n}-th term (0 first), waiting for it. */
    long awaitElected(int n, Duration timeout) {
        return Long.parseLong(awaitLine("ELECTED ", n, timeout).substring("ELECTED ".length()).trim());
    }

    /** The port it listens on (started with {@link #startListening}), waiting for it to say. */
    int port(Duration timeout) {
        return Integer.parseInt(awaitLine("LISTEN ", 0, timeout).substring("LISTEN ".length()).trim());
    }

    /** SIGSTOP: the process stops where it is; its kernel keeps its sockets (the listen backlog fills). */
    void stop() {
        signal("STOP");
    }

    /** SIGCONT after {@link #stop()}. */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        Signals.send(process.pid(), "-" + name);
    }

    /** SIGKILL: no resignation, no revoke; its lease is left to expire. */
    void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes its standard input: it resigns and exits. */
    void stopGracefully(Duration timeout) {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(id + " did not exit within " + timeout + "; printed " + lines);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }
}
