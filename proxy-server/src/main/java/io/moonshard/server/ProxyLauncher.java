package io.moonshard.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.moonshard.proxy.ProxyServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one proxy for the life of the process: start, one log line, then wait. It stops in one of two
 * ways:
 * <ul>
 *   <li>SIGTERM or SIGINT: the JVM runs our shutdown hook, which calls {@link ProxyServer#close()}
 *       (stop accepting, finish in-flight commands) and waits at most {@code shutdown_timeout}. The
 *       JVM then exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), as it always
 *       does when a signal starts its shutdown.</li>
 *   <li>{@code UMCTL SHUTDOWN}: {@link ProxyServer#terminationFuture()} completes and
 *       {@link #run()} returns 0.</li>
 * </ul>
 */
final class ProxyLauncher {

    /** {@link #run()}'s result when a signal is stopping the JVM: the caller must not call exit. */
    static final int EXITING_BY_SIGNAL = -1;

    private static final Logger log = LoggerFactory.getLogger(ProxyLauncher.class);

    private final ServerSettings settings;
    private final PrintStream err;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile boolean signalled;
    /** The admin HTTP endpoint while it runs ({@code admin_port} set), else null. */
    private final AtomicReference<AdminServer> admin = new AtomicReference<>();

    ProxyLauncher(ServerSettings settings, PrintStream err) {
        this.settings = settings;
        this.err = err;
    }

    /** Starts the proxy and blocks until it has stopped; returns the exit code. */
    int run() {
        applyLogLevel(settings.logLevel());
        settings.warnings().forEach(log::warn);

        ProxyServer server;
        try {
            server = ProxyServer.builder().config(settings.proxy()).logLevelControl(new LogbackLevelControl())
                    .build().start();
        } catch (IllegalArgumentException e) {
            // e.g. an initial_setcluster line the engine rejects
            err.println("moonshard: invalid configuration: " + oneLine(e.getMessage()));
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("moonshard: interrupted while starting");
            return 1;
        } catch (Exception e) {
            // Exception, not RuntimeException: Netty's sync() rethrows a BindException undeclared
            log.atError().setMessage("start failed").addKeyValue("address", settings.proxy().address())
                    .setCause(e).log();
            err.println("moonshard: cannot start on " + settings.proxy().address()
                    + (settings.proxy().tlsEnabled() ? " (tls_port " + settings.proxy().tlsPort() + ")" : "")
                    + ": " + describe(e));
            return 1;
        }

        if (settings.adminEnabled()) {
            try {
                admin.set(AdminServer.start(settings.adminAddress(), settings.adminPort(), server));
            } catch (Exception e) {
                log.atError().setMessage("admin endpoint start failed").addKeyValue("admin", adminAddress())
                        .setCause(e).log();
                err.println("moonshard: cannot start the admin endpoint on " + adminAddress() + ": " + describe(e));
                server.close();
                return 1;
            }
        }

        log.atInfo().setMessage("started")
                .addKeyValue("address", settings.proxy().tlsOnly() ? "off" : describe(server.boundAddress()))
                .addKeyValue("tls", server.tlsBoundAddress() == null ? "off" : describe(server.tlsBoundAddress()))
                .addKeyValue("announce", settings.proxy().announceAddress())
                .addKeyValue("threads", settings.proxy().effectiveThreads())
                .addKeyValue("admin", settings.adminEnabled() ? adminAddress() : "off")
                .addKeyValue("version", Version.current())
                .addKeyValue("config", settings.configFile() == null ? "none" : settings.configFile().toString())
                .log();

        Thread hook = new Thread(() -> stopOnSignal(server), "moonshard-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        awaitQuietly(server.terminationFuture());
        if (signalled) {
            return EXITING_BY_SIGNAL;
        }
        closeAdmin();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return EXITING_BY_SIGNAL; // a signal arrived just now; the hook finishes the job
        }
        if (stopping.compareAndSet(false, true)) {
            log.atInfo().setMessage("stopped").addKeyValue("reason", "shutdown-command").log();
        }
        return 0;
    }

    private void stopOnSignal(ProxyServer server) {
        signalled = true;
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        long timeoutMs = settings.shutdownTimeout().toMillis();
        log.atInfo().setMessage("stopping").addKeyValue("reason", "signal")
                .addKeyValue("timeout_ms", timeoutMs).log();
        long start = System.nanoTime();
        // close() runs on its own daemon thread so that a close that hangs cannot hold the JVM past the bound
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                server.close();
                closed.complete(null);
            } catch (Throwable t) {
                closed.completeExceptionally(t);
            }
        }, "moonshard-close");
        closer.setDaemon(true);
        closer.start();
        try {
            CompletableFuture.allOf(closed, server.terminationFuture()).get(timeoutMs, TimeUnit.MILLISECONDS);
            log.atInfo().setMessage("stopped").addKeyValue("reason", "signal")
                    .addKeyValue("took_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).log();
        } catch (TimeoutException e) {
            log.atWarn().setMessage("stopped before in-flight commands finished")
                    .addKeyValue("reason", "shutdown_timeout").addKeyValue("timeout_ms", timeoutMs).log();
        } catch (ExecutionException e) {
            log.atWarn().setMessage("stopped with an error").setCause(e.getCause()).log();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // last: while the proxy drains, /ready already answers 503 and /metrics still answers
            closeAdmin();
        }
    }

    private void closeAdmin() {
        AdminServer running = admin.getAndSet(null);
        if (running != null) {
            running.close();
        }
    }

    /** {@code admin_address:admin_port} as configured, IPv6 hosts in brackets. */
    private String adminAddress() {
        String host = settings.adminAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + settings.adminPort();
    }

    private static void awaitQuietly(CompletableFuture<Void> termination) {
        try {
            termination.join();
        } catch (CompletionException | CancellationException e) {
            log.atWarn().setMessage("proxy terminated with an error").setCause(e.getCause()).log();
        }
    }

    /** Sets logback's root level; {@code level} was checked by the option catalogue. */
    static void applyLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext) {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
        }
    }

    private String describe(InetSocketAddress bound) {
        if (bound == null) {
            return settings.proxy().address();
        }
        String host = bound.getAddress() != null ? bound.getAddress().getHostAddress() : bound.getHostString();
        return host + ":" + bound.getPort();
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return oneLine(message);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
