package io.moonshard.controller.cli;

import io.moonshard.controller.election.Candidate;
import io.moonshard.controller.election.DeathEvidence;
import io.moonshard.controller.election.LeaderProbe;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standby's {@link LeaderProbe}: a plain TCP connect to the leader's API address ({@code
 * http://host:port}) every interval, closed at once, folded by {@link DeathEvidence}. Only resets
 * count: a process killed by {@code kill -9} leaves its port closed, and the kernel of a live host
 * answers a connect to a closed port with a reset at once. A paused process (its kernel still accepts
 * into the listen backlog, then drops), a host down or a partition give accepts or timeouts, which
 * prove nothing, so the lease decides as before.
 *
 * <p>One thread for all watches (a standby watches one leader at a time); each connect is bounded by
 * the interval (100 ms at least), so a black-holed address only delays that watch's next attempt.
 */
public final class TcpLeaderProbe implements LeaderProbe, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TcpLeaderProbe.class);

    private final long intervalMillis;
    private final int connectTimeoutMillis;
    private final Duration window;
    private final int refusals;
    private final BiConsumer<Candidate, DeathEvidence.Outcome> observer;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "moonshard-leader-probe");
        t.setDaemon(true);
        return t;
    });

    /** Probes every {@code interval}, proof after {@link DeathEvidence#DEFAULT_WINDOW} of refusals. */
    public TcpLeaderProbe(Duration interval) {
        this(interval, DeathEvidence.DEFAULT_WINDOW, DeathEvidence.DEFAULT_REFUSALS, (c, o) -> { });
    }

    /** @param observer told every attempt's outcome, on the probe thread (tests, logs); must not block */
    public TcpLeaderProbe(Duration interval, Duration window, int refusals,
                          BiConsumer<Candidate, DeathEvidence.Outcome> observer) {
        if (interval.toMillis() < 1) {
            throw new IllegalArgumentException("the probe interval must be at least 1 ms: " + interval);
        }
        this.intervalMillis = interval.toMillis();
        this.connectTimeoutMillis = (int) Math.max(100, Math.min(intervalMillis, 10_000));
        this.window = window;
        this.refusals = refusals;
        this.observer = observer;
        DeathEvidence.start(window, refusals); // checks the arguments now rather than at the first watch
    }

    @Override
    public AutoCloseable watch(Candidate leader, Runnable provenDead) {
        Optional<Target> target = target(leader.address());
        if (target.isEmpty()) {
            LOG.debug("leader {} has no probe-able address ({}): its lease decides", leader.id(), leader.address());
            return () -> { };
        }
        Watch w = new Watch(leader, target.get(), provenDead);
        try {
            w.future = thread.scheduleWithFixedDelay(w::attempt, 0, intervalMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return () -> { }; // closed
        }
        return w::close;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    /** Host and port of an address such as {@code http://10.0.0.5:7799}; empty when there is none to probe. */
    record Target(String host, int port) {
    }

    static Optional<Target> target(String address) {
        if (address == null || address.isBlank()) {
            return Optional.empty();
        }
        try {
            URI uri = URI.create(address.contains("://") ? address : "http://" + address);
            if (uri.getHost() == null || uri.getPort() <= 0) {
                return Optional.empty();
            }
            String host = uri.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return Optional.of(new Target(host, uri.getPort()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * A reset is what Linux's connect reports as "Connection refused" ({@code ConnectException}); a
     * timeout, an unreachable host or network ({@code NoRouteToHostException} and others) is no answer.
     */
    static DeathEvidence.Outcome outcomeOf(IOException failure) {
        if (failure.getClass() == ConnectException.class && failure.getMessage() != null
                && failure.getMessage().contains("refused")) {
            return DeathEvidence.Outcome.REFUSED;
        }
        return DeathEvidence.Outcome.NO_ANSWER;
    }

    /** One leader term's probing; {@link #attempt} runs on the probe thread only. */
    private final class Watch {
        private final Candidate leader;
        private final Target target;
        private final Runnable provenDead;
        private final AtomicBoolean closed = new AtomicBoolean();
        private DeathEvidence evidence;
        volatile ScheduledFuture<?> future;

        Watch(Candidate leader, Target target, Runnable provenDead) {
            this.leader = leader;
            this.target = target;
            this.provenDead = provenDead;
            this.evidence = DeathEvidence.start(window, refusals);
        }

        void attempt() {
            if (closed.get()) {
                return;
            }
            long sent = System.nanoTime();
            DeathEvidence.Outcome outcome = connectOnce();
            observer.accept(leader, outcome);
            DeathEvidence before = evidence;
            evidence = evidence.next(outcome, sent);
            if (before.state() != DeathEvidence.State.REFUSING && evidence.state() == DeathEvidence.State.REFUSING) {
                LOG.info("the leader {} at {}:{} refuses connections; confirming", leader.id(), target.host(), target.port());
            }
            if (evidence.provesDeath() && !closed.getAndSet(true)) {
                cancel();
                provenDead.run();
            }
        }

        private DeathEvidence.Outcome connectOnce() {
            InetSocketAddress address = new InetSocketAddress(target.host(), target.port());
            if (address.isUnresolved()) {
                return DeathEvidence.Outcome.NO_ANSWER;
            }
            try (Socket s = new Socket()) {
                s.connect(address, connectTimeoutMillis);
                return DeathEvidence.Outcome.ACCEPTED;
            } catch (IOException e) {
                return outcomeOf(e);
            } catch (RuntimeException e) {
                return DeathEvidence.Outcome.NO_ANSWER; // e.g. a port out of range: nothing proven
            }
        }

        void close() {
            closed.set(true);
            cancel();
        }

        private void cancel() {
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
        }
    }
}
