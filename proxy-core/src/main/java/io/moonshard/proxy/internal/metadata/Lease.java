package io.moonshard.proxy.internal.metadata;

import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The controller's lease on this proxy's right to serve its slots ({@code UMCTL LEASE <token> <ttl_ms>
 * [SENT <controller_ms>]}). A controller that cannot reach a proxy reassigns its slots only after the
 * proxy's lease has run out; from then on the proxy fences itself: it serves nothing of a slot from its
 * Redis ({@code -CLUSTERDOWN}), so a paused or partitioned proxy cannot go on acknowledging writes that
 * the new owner of the slots will never see.
 *
 * <p>One immutable {@link Grant} behind one volatile reference, replaced whole under this object's
 * monitor by LEASE (rare); {@link #isFenced()} is read for every command served from a local Redis
 * (one volatile read, and one monotonic clock read while a lease is held).
 *
 * <p>The deadline is measured on this proxy's monotonic clock. Without {@code SENT} it is the LEASE's
 * receipt time plus {@code ttl_ms}. That is only as early as the controller's bound when the renewal was
 * acknowledged: a renewal that arrives late (it sat in the socket of a proxy stopped by SIGSTOP, or its
 * reply was lost in a one-way partition) would extend the lease past what the controller believes. With
 * {@code SENT <controller_ms>} (the controller's monotonic clock when it sent the LEASE) the deadline is
 * counted from the send time instead, translated into this proxy's clock by the smallest
 * {@code receipt - sent} difference seen under this token (allowed to rise by 1 ms per
 * {@link #DRIFT_DIVISOR} ms since, for the two clocks' drift): a late renewal then grants nothing. For
 * every renewal k received so far, the difference used is at most k's own {@code receipt - sent} plus
 * 1 ms per {@link #DRIFT_DIVISOR} ms since k; so the controller's bound is {@code last sent + ttl + the
 * round trip of an acknowledged renewal} of its token, plus the drift (docs/operations.md, "Lease
 * fencing").
 */
public final class Lease {

    /** The longest lease one LEASE may grant, in ms: ten minutes. */
    public static final long MAX_TTL_MILLIS = 600_000;
    /** The largest {@code SENT} value accepted (in absolute value): the sums stay far from overflow. */
    static final long MAX_SENT_MILLIS = 1_000_000_000_000_000L;
    /**
     * How fast two monotonic clocks may drift apart: 1 ms per this many ms (1000 ppm, twice the fastest
     * slew NTP applies). The smallest send-to-receipt difference may rise this fast, so an old sample
     * never fences a proxy whose clock runs ahead of the controller's.
     */
    static final long DRIFT_DIVISOR = 1_000;

    public static final String FENCED_ERROR = "CLUSTERDOWN The cluster is down";

    /** Where the lease stands. */
    public enum State {
        /** No LEASE yet: never fenced (a proxy under undermoon's coordinator, or before any controller). */
        NONE,
        /** Granted: fenced once its deadline passes, until a LEASE renews it. */
        HELD,
        /** Ended with {@code ttl_ms} 0 (a person takes over): unfenced, but lower tokens are still refused. */
        ENDED
    }

    /**
     * One grant, immutable. {@code token} is unsigned (meaningless in {@link State#NONE});
     * {@code deadlineNanos} is on the proxy's monotonic clock; {@code skewMillis} is the smallest
     * {@code receipt - sent} seen under {@code token} as of {@code sampledAtMillis}, when it was taken; it
     * bounds the clocks' offset then, and 1 ms more per {@link #DRIFT_DIVISOR} ms since (valid only when
     * {@code sampled}). {@code anchored}: the deadline was counted from a SENT time.
     */
    record Grant(State state, long token, long ttlMillis, long deadlineNanos, boolean anchored,
                 boolean sampled, long skewMillis, long sampledAtMillis, long renewals) {

        static final Grant NONE = new Grant(State.NONE, 0, 0, 0, false, false, 0, 0, 0);
    }

    private final LongSupplier nanoClock;
    private volatile Grant grant = Grant.NONE; // written under the monitor, read without

    /** @param nanoClock a monotonic clock in ns ({@code System::nanoTime}; a test's own) */
    public Lease(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Whether the lease has run out: commands served from a local Redis are refused. Any thread, lock-free. */
    public boolean isFenced() {
        Grant g = grant;
        return g.state == State.HELD && nanoClock.getAsLong() - g.deadlineNanos >= 0;
    }

    public State state() {
        return grant.state;
    }

    /** Ms until the lease runs out (rounded up): 0 once fenced, -1 when no lease is held. */
    public long remainingMillis() {
        return remainingMillis(grant);
    }

    /** LEASEs that granted time (answered {@code +OK} with {@code ttl_ms} above 0). */
    public long renewals() {
        return grant.renewals;
    }

    /**
     * {@code UMCTL LEASE} with its arguments after the subcommand: {@code <token> <ttl_ms> [SENT <ms>]}.
     * Returns the whole reply line: {@code +OK}, or an {@code -ERR} saying why nothing changed (bad
     * arguments, a lower token) or why the proxy stays fenced (a renewal that arrived too late).
     */
    public synchronized String apply(List<String> args) {
        if (args.size() != 2 && args.size() != 4) {
            return "-ERR wrong number of arguments for 'umctl|lease' command";
        }
        long token;
        try {
            token = Long.parseUnsignedLong(args.get(0));
        } catch (NumberFormatException e) {
            return "-ERR lease token is not an integer or out of range";
        }
        long ttl;
        try {
            ttl = Long.parseLong(args.get(1));
        } catch (NumberFormatException e) {
            return "-ERR lease ttl_ms is not an integer or out of range";
        }
        if (ttl < 0 || ttl > MAX_TTL_MILLIS) {
            return "-ERR lease ttl_ms " + ttl + " is out of range (0.." + MAX_TTL_MILLIS + ")";
        }
        boolean hasSent = args.size() == 4;
        long sent = 0;
        if (hasSent) {
            if (!args.get(2).toUpperCase(Locale.ROOT).equals("SENT")) {
                return "-ERR syntax error";
            }
            try {
                sent = Long.parseLong(args.get(3));
            } catch (NumberFormatException e) {
                return "-ERR lease SENT is not an integer or out of range";
            }
            if (sent > MAX_SENT_MILLIS || sent < -MAX_SENT_MILLIS) {
                return "-ERR lease SENT is not an integer or out of range";
            }
        }
        Grant g = grant;
        if (g.state != State.NONE && Long.compareUnsigned(token, g.token) < 0) {
            return "-ERR stale lease token " + Long.toUnsignedString(token) + ": this proxy follows lease token "
                    + Long.toUnsignedString(g.token);
        }
        // a new token is a new controller (or leadership): its clock is not the old one's
        boolean sameToken = g.state != State.NONE && token == g.token;
        boolean sampled = sameToken && g.sampled;
        long skew = g.skewMillis;
        long sampledAt = g.sampledAtMillis;
        long now = nanoClock.getAsLong();
        long nowMillis = Math.floorDiv(now, 1_000_000L);
        long bound = skew;
        if (hasSent) {
            long sample = nowMillis - sent;
            // the smallest sample so far bounds the clocks' offset, give or take their drift since it was taken
            bound = sampled ? skew + (nowMillis - sampledAt) / DRIFT_DIVISOR : sample;
            if (sample <= bound) {
                skew = sample;
                sampledAt = nowMillis;
                bound = sample;
            }
            sampled = true;
        }
        if (ttl == 0) {
            grant = new Grant(State.ENDED, token, 0, 0, false, sampled, skew, sampledAt, g.renewals);
            return "+OK";
        }
        if (!hasSent) {
            grant = new Grant(State.HELD, token, ttl, now + ttl * 1_000_000L, false, sampled, skew, sampledAt,
                    g.renewals + 1);
            return "+OK";
        }
        // sent + bound <= now: the deadline is never later than receipt + ttl
        long remaining = sent + bound + ttl - nowMillis;
        if (remaining <= 0) {
            // it lapsed in transit (it waited in the socket of a stopped proxy, say): granting it would
            // outlast what the controller counts on, so only its clock sample is kept
            grant = new Grant(g.state, g.token, g.ttlMillis, g.deadlineNanos, g.anchored, true, skew, sampledAt,
                    g.renewals);
            return "-ERR late lease renewal: by its SENT time it ended " + (-remaining)
                    + " ms ago; the lease is unchanged";
        }
        grant = new Grant(State.HELD, token, ttl, nowMillis * 1_000_000L + remaining * 1_000_000L, true, true, skew,
                sampledAt, g.renewals + 1);
        return "+OK";
    }

    /**
     * {@code UMCTL INFOLEASE}: {@code state:none|held|ended}, {@code token:} (or {@code none}),
     * {@code ttl_ms:}, {@code remaining_ms:} (-1 when no lease is held), {@code fenced:yes|no},
     * {@code anchor:sent|receipt} (what the last grant was counted from), {@code renewals:}.
     */
    public List<String> infoLines() {
        Grant g = grant;
        long remaining = remainingMillis(g);
        return List.of(
                "state:" + g.state.name().toLowerCase(Locale.ROOT),
                "token:" + (g.state == State.NONE ? "none" : Long.toUnsignedString(g.token)),
                "ttl_ms:" + g.ttlMillis,
                "remaining_ms:" + remaining,
                "fenced:" + (remaining == 0 ? "yes" : "no"),
                "anchor:" + (g.state != State.HELD ? "none" : g.anchored ? "sent" : "receipt"),
                "renewals:" + g.renewals);
    }

    private long remainingMillis(Grant g) {
        if (g.state != State.HELD) {
            return -1;
        }
        long left = g.deadlineNanos - nanoClock.getAsLong();
        return left <= 0 ? 0 : (left + 999_999) / 1_000_000; // rounded up: 0 only once fenced
    }
}
