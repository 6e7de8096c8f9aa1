package io.moonshard.proxy.internal.replication;

import io.moonshard.cluster.umctl.SetReplRequest;

/**
 * Keeps one local Redis node in the role the latest SETREPL gives it, and protects its data: the state
 * machine of one SETREPL entry. {@link #step} is pure: given what the node (and, for a replica, its master)
 * answered this probe, it returns the next state and the one action to take; the engine does the I/O.
 *
 * <p>Roles are applied once per decision (a new SETREPL epoch for the entry, or the node restarting), never
 * re-sent blindly: a master that restarts is not made master again over the replica that still holds its
 * data. The protection:
 * <ul>
 *   <li>a replica whose master is unreachable, or answers with a new {@code run_id} (it restarted and may
 *       be empty), has its link <em>parked</em> ({@code REPLICAOF <own host> 0}: it stays a replica, keeps
 *       its data and its cached master, and tries no sync). A master that comes back with the run_id it had
 *       (a network blip) gets the replica back with a partial resync; a restarted one leaves it {@link
 *       State#HELD} until a SETREPL decides otherwise;</li>
 *   <li>a master whose Redis restarted while it has replicas is {@link State#HELD}: the proxy refuses its
 *       slots ({@code -TRYAGAIN}) so no client reads the emptied node or writes what a failover to the
 *       replica would lose.</li>
 * </ul>
 */
final class NodeKeeper {

    /** Where the node stands; {@link #shown()} is what UMCTL INFOREPL prints. */
    enum State {
        /** Not probed yet. */
        UNKNOWN("unknown"),
        /** The local Redis does not answer. */
        DOWN("down"),
        /** A master entry, serving. */
        MASTER("master"),
        /**
         * A master entry that is a replica now: switched over to its replica (UMCTL SWITCHOVER), until the
         * next SETREPL; or made a replica by someone else (a slot migration seeding it from its source),
         * until it is a master again.
         */
        DEMOTED("demoted"),
        /** A replica entry, attached, its link not up yet. */
        CONNECTING("connecting"),
        /** A replica entry in a full resync. */
        SYNCING("syncing"),
        /** A replica entry with its link up. */
        IN_SYNC("in_sync"),
        /** A replica entry whose master is unreachable: the link is parked, the data kept. */
        PARKED("parked"),
        /** A master that restarted (its slots refused), or a replica whose master restarted (parked): a SETREPL decides. */
        HELD("held"),
        /** A replica entry promoted (UMCTL PROMOTE, or a switchover): a master, until the next SETREPL. */
        PROMOTED("promoted");

        private final String shown;

        State(String shown) {
            this.shown = shown;
        }

        String shown() {
            return shown;
        }
    }

    /** The one change a probe leads to. */
    enum Action {
        NONE,
        /** {@code REPLICAOF NO ONE}. */
        MAKE_MASTER,
        /** {@code REPLICAOF <master host> <master port>}. */
        ATTACH,
        /** {@code REPLICAOF <own host> 0}: a replica that syncs from nobody. */
        PARK
    }

    private final SetReplRequest.Node entry;
    private State state = State.UNKNOWN;
    /** The local node's run_id when last seen: a different one means it restarted. */
    private String localRunId;
    /** A replica's master's run_id while the replica followed it. */
    private String masterRunId;
    /** The entry's role has yet to be applied (a new SETREPL decision). */
    private boolean pendingApply = true;
    /** {@link State#DEMOTED} by this proxy's switchover (kept until a SETREPL), not just observed. */
    private boolean switchedOver;
    /** The last probe of the local node (null before one answered). */
    private ReplicationInfo lastLocal;
    /** A replica's master offset at the last probe, -1 when unknown. */
    private long masterOffset = -1;
    /** The run_id of the local process last given the replication user, null before one was. */
    private String replicationUserRunId;

    NodeKeeper(SetReplRequest.Node entry) {
        this.entry = entry;
    }

    /** A keeper for {@code entry} that remembers what {@code before} knew of the same node (its run_id). */
    NodeKeeper(SetReplRequest.Node entry, NodeKeeper before) {
        this(entry);
        if (before != null) {
            this.localRunId = before.localRunId;
            this.lastLocal = before.lastLocal;
            if (before.entry.master() == entry.master() && sameMaster(before.entry, entry)) {
                this.masterRunId = before.masterRunId;
            }
            if (before.seeded() && entry.master() && before.entry.address().equals(entry.address())) {
                keepSeed();
            }
        }
    }

    /**
     * A master entry seen as a replica that no switchover of this proxy made: a slot migration seeding
     * it from its source (REPLICAOF source). The seed ends it itself (REPLICAOF NO ONE at the flip, or
     * at its abort).
     */
    private boolean seeded() {
        return entry.master() && state == State.DEMOTED && !switchedOver;
    }

    /**
     * A SETREPL that still makes the node a master leaves a running seed alone: applying the role
     * (REPLICAOF NO ONE) would cut the seed off its source mid-copy, which then aborts the move with
     * nothing to retry it. The controller pushes the metadata of every epoch to every proxy, so this
     * happens whenever another move of the cluster commits while one seeds (a 3 -> 6 scale-out runs two).
     */
    private void keepSeed() {
        state = State.DEMOTED;
        pendingApply = false;
    }

    private static boolean sameMaster(SetReplRequest.Node a, SetReplRequest.Node b) {
        return !a.master() && !a.peers().isEmpty() && !b.peers().isEmpty()
                && a.peers().get(0).nodeAddress().equals(b.peers().get(0).nodeAddress());
    }

    SetReplRequest.Node entry() {
        return entry;
    }

    State state() {
        return state;
    }

    ReplicationInfo lastLocal() {
        return lastLocal;
    }

    long masterOffset() {
        return masterOffset;
    }

    /** The master a replica entry follows ({@code host:port} of its Redis), or null for a master entry. */
    String masterNode() {
        return entry.master() || entry.peers().isEmpty() ? null : entry.peers().get(0).nodeAddress();
    }

    /** The proxy in front of that master, or null. */
    String masterProxy() {
        return entry.master() || entry.peers().isEmpty() ? null : entry.peers().get(0).proxyAddress();
    }

    /**
     * A new SETREPL repeats this entry: its role is applied again, except that a hold stays unless
     * {@code force} (a person accepting the loss) says otherwise: re-stating the same master is not a
     * decision about a master that restarted. A promotion or a switchover ends with any new SETREPL; a
     * migration's seed does not ({@link #keepSeed}).
     */
    void reaffirmed(boolean force) {
        if (state == State.HELD && !force) {
            return;
        }
        if (seeded() && !force) {
            keepSeed();
            return;
        }
        if (state == State.HELD || state == State.PROMOTED || state == State.DEMOTED) {
            state = State.UNKNOWN;
            masterRunId = null;
            switchedOver = false;
        }
        pendingApply = true;
    }

    /**
     * Whether the local node, as {@code local} (this probe's answer) shows it, is to be given the
     * replication user ({@code io.moonshard.proxy.internal.engine.ReplicationUser}) now: a process this
     * keeper has not given it to yet, unless it is a master held after a restart. That process may have
     * come back empty, and its replica, which holds the data, must not be able to sync from it until a
     * SETREPL has decided.
     */
    boolean needsReplicationUser(ReplicationInfo local) {
        return local != null && !(entry.master() && state == State.HELD) && !local.runId().equals(replicationUserRunId);
    }

    /** The process {@code local} shows was given the replication user. */
    void replicationUserGiven(ReplicationInfo local) {
        replicationUserRunId = local.runId();
    }

    /** A promotion made the local replica a master. */
    void promoted() {
        state = State.PROMOTED;
    }

    /** A switchover made the local master a replica of its replica. */
    void demoted() {
        state = State.DEMOTED;
        switchedOver = true;
    }

    /**
     * One probe's decision.
     *
     * @param local  the local node's INFO, or null when it did not answer
     * @param master for a replica entry, its master's INFO, or null when it did not answer (ignored for masters)
     */
    Action step(ReplicationInfo local, ReplicationInfo master) {
        return step(local, master, true);
    }

    /**
     * One probe's decision, {@code masterServesSyncs} saying whether a replica entry's master has the
     * replication user yet. Until it has, the replica is not pointed at it: it would fail its {@code AUTH}
     * and try again only at its replication cron, a second later, which made a new cluster's first writes
     * wait for a replica for up to a second whenever the replica's proxy was quicker than the master's.
     */
    Action step(ReplicationInfo local, ReplicationInfo master, boolean masterServesSyncs) {
        if (local == null) {
            if (state != State.HELD && state != State.PROMOTED && state != State.DEMOTED) {
                state = State.DOWN;
            }
            return Action.NONE;
        }
        boolean restarted = localRunId != null && !localRunId.equals(local.runId());
        localRunId = local.runId();
        lastLocal = local;
        masterOffset = master == null ? -1 : master.offset();
        return entry.master() ? stepMaster(local, restarted) : stepReplica(local, master, restarted, masterServesSyncs);
    }

    private Action stepMaster(ReplicationInfo local, boolean restarted) {
        if (state == State.HELD || (state == State.DEMOTED && switchedOver)) {
            return Action.NONE;
        }
        if (restarted && !entry.peers().isEmpty() && !pendingApply) {
            state = State.HELD; // it may have come back empty: its replica holds the data
            return Action.NONE;
        }
        if (pendingApply) {
            pendingApply = false;
            state = State.MASTER;
            return local.master() ? Action.NONE : Action.MAKE_MASTER;
        }
        // made a replica by someone else (a migration's seed): reported, not undone here; a master again
        // (the seed ended) reads MASTER again
        state = local.master() ? State.MASTER : State.DEMOTED;
        return Action.NONE;
    }

    private Action stepReplica(ReplicationInfo local, ReplicationInfo master, boolean restarted, boolean masterServesSyncs) {
        String masterNode = masterNode();
        switch (state) {
            case PROMOTED -> {
                return Action.NONE;
            }
            case HELD -> {
                return local.master() || local.replicates(masterNode) ? Action.PARK : Action.NONE;
            }
            default -> {
            }
        }
        if (pendingApply || restarted) {
            if (master == null) {
                state = State.PARKED; // attach once the master answers (nothing of it is known yet)
                masterRunId = null;
                pendingApply = false;
                return isParked(local) ? Action.NONE : Action.PARK;
            }
            masterRunId = master.runId();
            state = State.CONNECTING;
            if (local.replicates(masterNode)) {
                pendingApply = false;
                return Action.NONE;
            }
            pendingApply = !masterServesSyncs; // applied at a later probe, once the master can serve it
            return masterServesSyncs ? Action.ATTACH : Action.NONE;
        }
        if (master == null) {
            if (state != State.PARKED) {
                state = State.PARKED; // it died, or the way to it did: it may come back empty
                return Action.PARK;
            }
            return Action.NONE;
        }
        if (masterRunId != null && !masterRunId.equals(master.runId())) {
            state = State.HELD; // a new process: a sync from it could replace our data with less
            return Action.PARK;
        }
        if (state == State.PARKED) {
            if (!masterServesSyncs) {
                return Action.NONE; // the same process, not given the user yet: attached once it is
            }
            masterRunId = master.runId();
            state = State.CONNECTING; // the same master is back: a partial resync picks up where it was
            return Action.ATTACH;
        }
        if (!local.replicates(masterNode)) {
            // made a master (a FAILOVER) or pointed elsewhere by someone else: reported, not undone; the
            // next SETREPL decides
            state = local.master() ? State.PROMOTED : State.CONNECTING;
            return Action.NONE;
        }
        if (masterRunId == null) {
            masterRunId = master.runId();
        }
        state = local.linkUp() ? State.IN_SYNC : local.syncInProgress() ? State.SYNCING : State.CONNECTING;
        return Action.NONE;
    }

    private static boolean isParked(ReplicationInfo local) {
        return !local.master() && local.masterPort() == 0;
    }

    /** The replication offset of the local node, -1 unknown. */
    long offset() {
        return lastLocal == null ? -1 : lastLocal.offset();
    }

    /** A replica's lag behind its master in bytes, -1 unknown. */
    long lag() {
        if (entry.master() || lastLocal == null || masterOffset < 0 || lastLocal.offset() < 0) {
            return -1;
        }
        return Math.max(0, masterOffset - lastLocal.offset());
    }
}
