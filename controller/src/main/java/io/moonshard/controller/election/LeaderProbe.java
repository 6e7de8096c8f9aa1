package io.moonshard.controller.election;

/**
 * How a standby looks for proof that the leader's process is gone, besides waiting for its lease to
 * expire. The election starts one watch per leader term it sees and closes it when it moves on; a
 * proof only makes the standby end that one term early (see {@link LeaderElection}). An implementation
 * must report only proof, never suspicion: "cannot reach it" is not proof (see {@link DeathEvidence}).
 */
@FunctionalInterface
public interface LeaderProbe {

    /**
     * Starts watching {@code leader} (its {@link Candidate#address()}) and calls {@code provenDead} at
     * most once, on any thread, when it has proof that the process behind it is gone. Stops when the
     * returned handle is closed; must not block.
     */
    AutoCloseable watch(Candidate leader, Runnable provenDead);

    /** Never proves anything: a standby waits for the leader's lease to expire. */
    LeaderProbe NEVER = (leader, provenDead) -> () -> { };
}
