package io.moonshard.testkit;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A runnable jar of the project (the proxy's, the controller's) as a separate JVM process, as a user
 * runs it: {@code java -jar}, no MOONSHARD_ or UNDERMOON_ variables inherited, standard input from
 * /dev/null, output in files. {@link #start} returns once the output shows {@code startedLine}.
 * {@link #kill9}, {@link #pause} and {@link #resume} send signals by PID; {@link #close} kills it.
 */
public final class JarProcess implements AutoCloseable {

    private final Process process;
    private final Path out;
    private final Path err;

    private JarProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * @param name        the file names of its output: {@code <logs>/<name>.out} and {@code .err}
     * @param startedLine text its standard output prints once it serves
     */
    public static JarProcess start(Path jar, Path logs, String name, String startedLine, Duration timeout,
                                   List<String> jvmArgs, List<String> args) {
        try {
            Files.createDirectories(logs);
            Path out = logs.resolve(name + ".out");
            Path err = logs.resolve(name + ".err");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmArgs);
            command.add("-jar");
            command.add(jar.toString());
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
            Process p = builder.start();
            JarProcess jp = new JarProcess(p, out, err);
            try {
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).atMost(timeout).ignoreExceptions()
                        .until(() -> !p.isAlive() || Files.readString(out).contains(startedLine));
            } catch (ConditionTimeoutException e) {
                // reported below with its output
            }
            if (!Files.readString(out).contains(startedLine)) {
                String why = p.isAlive() ? "did not start within " + timeout : "exited with " + p.waitFor();
                p.destroyForcibly();
                throw new IllegalStateException(name + " " + why + "; stdout:\n" + Files.readString(out) + "\nstderr:\n"
                        + Files.readString(err));
            }
            return jp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Its standard output so far. */
    public String output() {
        try {
            return Files.readString(out) + Files.readString(err);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** {@code kill -9}, and waits until it is gone. */
    public void kill9() {
        signal("-9");
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code kill -STOP}: the process freezes, its sockets stay open. */
    public void pause() {
        signal("-STOP");
    }

    /** {@code kill -CONT}. */
    public void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0 && process.isAlive()) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
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
            signal("-CONT"); // a paused JVM would not die of SIGTERM; -9 needs no CONT but costs nothing
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
