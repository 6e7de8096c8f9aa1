package io.moonshard.controller.store.etcd;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.moonshard.controller.store.Lease;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An etcd lease kept alive by our own loop: one {@code keepAliveOnce} every TTL/4 on the store's
 * scheduler thread, its send time recorded before the call, so that an acknowledgement extends the
 * validity to {@code sendTime + TTL - margin} ({@link LeaseValidity}). jetcd's own keepAlive stream does
 * not tell when the renewal it acknowledges was sent, which is why it is not used.
 *
 * <p>The loop sends at a fixed rate without waiting for answers: a keepalive stuck for the whole
 * request timeout does not delay the next one. It stops when the store says the lease is gone, when
 * the validity passes without an acknowledgement (the holder must assume the lease lost, and etcd will
 * soon expire it too), or on {@link #close()}.
 */
final class EtcdLease implements Lease {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdLease.class);

    /** What the lease loop is doing; HALTED only through {@link #halt()}. */
    enum State {
        KEEPING_ALIVE,
        /** The validity passed or the store lost the lease: the holder may not act on it again. */
        EXPIRED,
        /** Keepalives stopped without a revoke, as if the process had died (tests). */
        HALTED,
        CLOSED
    }

    private final long id;
    private final long ttlNanos;
    private final LeaseValidity validity;
    private final io.etcd.jetcd.Lease client;
    private final Duration requestTimeout;
    private final Consumer<EtcdLease> onFinished;
    private volatile State state = State.KEEPING_ALIVE;
    private volatile ScheduledFuture<?> loop;

    EtcdLease(long id, long ttlSeconds, long grantSentNanos, io.etcd.jetcd.Lease client, Duration requestTimeout,
              Consumer<EtcdLease> onFinished) {
        this.id = id;
        this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
        this.validity = new LeaseValidity(grantSentNanos, ttlNanos);
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.onFinished = onFinished;
    }

    void start(ScheduledExecutorService scheduler) {
        long period = Math.max(1, ttlNanos / 4);
        loop = scheduler.scheduleAtFixedRate(this::sendKeepAlive, period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public long ttlMillis() {
        return TimeUnit.NANOSECONDS.toMillis(ttlNanos);
    }

    @Override
    public long validUntilNanos() {
        return validity.validUntilNanos();
    }

    @Override
    public boolean isValid() {
        return !validity.isOver(System.nanoTime());
    }

    State state() {
        return state;
    }

    private void sendKeepAlive() {
        if (state != State.KEEPING_ALIVE) {
            return;
        }
        long sent = System.nanoTime();
        if (validity.isOver(sent)) {
            expire("no keepalive acknowledged within the TTL");
            return;
        }
        try {
            client.keepAliveOnce(id)
                    .orTimeout(requestTimeout.toNanos(), TimeUnit.NANOSECONDS)
                    .whenComplete((response, failure) -> onAnswer(sent, response, failure));
        } catch (RuntimeException e) {
            // the client is closing: the loop is about to be cancelled too
            LOG.debug("keepalive of lease {} not sent", Long.toHexString(id), e);
        }
    }

    private void onAnswer(long sent, LeaseKeepAliveResponse response, Throwable failure) {
        if (state != State.KEEPING_ALIVE) {
            return;
        }
        if (failure == null) {
            if (!validity.acknowledged(sent, TimeUnit.SECONDS.toNanos(response.getTTL()), System.nanoTime())) {
                expire("keepalive acknowledged after the validity had passed");
            }
            return;
        }
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) {
            expire("etcd no longer has it");
        } else {
            // transient (no leader, timeout, member down): the next keepalive may get through in time
            LOG.debug("keepalive of lease {} failed: {}", Long.toHexString(id), cause.toString());
        }
    }

    private void expire(String why) {
        synchronized (this) {
            if (state != State.KEEPING_ALIVE) {
                return;
            }
            state = State.EXPIRED;
        }
        validity.end(System.nanoTime());
        stopLoop();
        LOG.info("lease {} lost: {}", Long.toHexString(id), why);
        onFinished.accept(this);
    }

    /**
     * Stops the keepalives without revoking, as if this process had been killed: the validity runs out
     * by itself and etcd deletes the lease's keys a TTL after the last renewal it received.
     */
    void halt() {
        synchronized (this) {
            if (state != State.KEEPING_ALIVE) {
                return;
            }
            state = State.HALTED;
        }
        stopLoop();
        onFinished.accept(this);
    }

    /** Ends the validity now and revokes the lease, waiting at most the request timeout; best effort. */
    @Override
    public void close() {
        State before;
        synchronized (this) {
            before = state;
            state = State.CLOSED;
        }
        if (before == State.CLOSED) {
            return;
        }
        validity.end(System.nanoTime());
        stopLoop();
        onFinished.accept(this);
        if (before == State.HALTED) {
            return; // a dead process revokes nothing
        }
        try {
            // blocking is fine: leases are closed by controller threads, never by event loops
            client.revoke(id).get(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // the lease expires by itself within its TTL
            LOG.debug("revoke of lease {} failed: {}", Long.toHexString(id), e.toString());
        }
    }

    private void stopLoop() {
        ScheduledFuture<?> l = loop;
        if (l != null) {
            l.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "EtcdLease[" + Long.toHexString(id) + ", " + ttlMillis() + " ms, " + state + "]";
    }
}
