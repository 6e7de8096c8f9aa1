package io.moonshard.controller.election;

import java.time.Duration;

/**
 * What a standby's connection attempts to the leader's address prove, folded one attempt at a time
 * (pure: the caller supplies the outcomes and its clock). Only one thing counts as proof that the
 * leader's process is gone: its address <em>accepted</em> a connection during this watch, and then
 * <em>refused</em> every attempt (a TCP reset: the host is up and nothing listens on the port) for at
 * least {@code window} and at least {@code refusals} attempts in a row.
 *
 * <p>Why each condition: a refusal is what the kernel answers for a port whose process has exited,
 * which a {@code kill -9} does at once. A timeout, an unreachable host or a name that does not resolve
 * proves nothing (a paused process, a partition, a host down, a wrong address) and breaks a run of
 * refusals. Having seen the address accept first means a refusal shows a change, the process going
 * away, and not an address that never worked here (a controller advertising an address standbys
 * cannot use would otherwise be deposed again and again). The window and the repeat count keep one
 * stray reset from deposing a leader.
 */
public record DeathEvidence(State state, long refusedSinceNanos, int refusedInARow, Duration window, int refusals) {

    /** The outcome of one connection attempt to the leader's address. */
    public enum Outcome {
        /** The connection was made: something listens there. */
        ACCEPTED,
        /** Reset at once: the host is up and nothing listens on the port. */
        REFUSED,
        /** Timeout, unreachable network or host, unresolvable name, anything else: proves nothing. */
        NO_ANSWER
    }

    public enum State {
        /** The address has not accepted a connection yet in this watch: refusals prove nothing. */
        NOT_SEEN,
        /** It accepted one; the last attempt did not end a run of refusals long enough. */
        SEEN,
        /** It accepted before and refuses now, not yet for long enough. */
        REFUSING,
        /** Refused long enough after it had accepted: the process is gone. Final. */
        DEAD
    }

    /** 300 ms and 3 refusals in a row: about 3 probes at the 100 ms default interval. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMillis(300);
    public static final int DEFAULT_REFUSALS = 3;

    public DeathEvidence {
        if (window.isNegative() || refusals < 1) {
            throw new IllegalArgumentException("window " + window + ", refusals " + refusals);
        }
    }

    /** Nothing seen yet. */
    public static DeathEvidence start(Duration window, int refusals) {
        return new DeathEvidence(State.NOT_SEEN, 0, 0, window, refusals);
    }

    public static DeathEvidence start() {
        return start(DEFAULT_WINDOW, DEFAULT_REFUSALS);
    }

    /** The evidence after an attempt sent at {@code sentNanos} ({@link System#nanoTime()}) ended with {@code outcome}. */
    public DeathEvidence next(Outcome outcome, long sentNanos) {
        if (state == State.DEAD) {
            return this;
        }
        return switch (outcome) {
            case ACCEPTED -> with(State.SEEN, 0, 0);
            case NO_ANSWER -> state == State.NOT_SEEN ? this : with(State.SEEN, 0, 0);
            case REFUSED -> {
                if (state == State.NOT_SEEN) {
                    yield this;
                }
                long since = state == State.REFUSING ? refusedSinceNanos : sentNanos;
                int inARow = state == State.REFUSING ? refusedInARow + 1 : 1;
                boolean proven = inARow >= refusals && sentNanos - since >= window.toNanos();
                yield with(proven ? State.DEAD : State.REFUSING, since, inARow);
            }
        };
    }

    public boolean provesDeath() {
        return state == State.DEAD;
    }

    private DeathEvidence with(State s, long since, int inARow) {
        return new DeathEvidence(s, since, inARow, window, refusals);
    }
}
