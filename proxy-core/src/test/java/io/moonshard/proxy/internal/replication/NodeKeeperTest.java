package io.moonshard.proxy.internal.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.proxy.internal.replication.NodeKeeper.Action;
import io.moonshard.proxy.internal.replication.NodeKeeper.State;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keeper's decisions, probe by probe, from what the Redis nodes answer. */
class NodeKeeperTest {

    private static final String NODE = "127.0.0.2:7001";
    private static final String MASTER = "127.0.0.1:7000";
    private static final SetReplRequest.Node REPLICA_ENTRY = new SetReplRequest.Node(false, "c", NODE,
            List.of(new SetReplRequest.Peer(MASTER, "127.0.0.1:6000")));
    private static final SetReplRequest.Node MASTER_ENTRY = new SetReplRequest.Node(true, "c", MASTER,
            List.of(new SetReplRequest.Peer(NODE, "127.0.0.2:6000")));

    private static ReplicationInfo master(String runId, long offset) {
        return new ReplicationInfo(runId, true, "replid-" + runId, offset, null, -1, false, false, "no-failover", List.of());
    }

    private static ReplicationInfo replicaOf(String runId, String host, int port, boolean linkUp, long offset) {
        return new ReplicationInfo(runId, false, "r", offset, host, port, linkUp, false, "no-failover", List.of());
    }

    @Test
    void aReplicaIsAttachedOnceAndThenLeftAlone() {
        NodeKeeper k = new NodeKeeper(REPLICA_ENTRY);
        assertThat(k.step(master("r1", 0), master("m1", 100))).isEqualTo(Action.ATTACH);
        assertThat(k.state()).isEqualTo(State.CONNECTING);
        assertThat(k.step(replicaOf("r1", "127.0.0.1", 7000, true, 100), master("m1", 120))).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.IN_SYNC);
        assertThat(k.lag()).isEqualTo(20);
        // made a master by someone else (a FAILOVER): reported, never undone by the keeper
        assertThat(k.step(master("r1", 130), master("m1", 130))).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.PROMOTED);
    }

    @Test
    void aReplicaWhoseMasterDiesIsParkedAndComesBackToTheSameProcess() {
        NodeKeeper k = inSync();
        assertThat(k.step(replicaOf("r1", "127.0.0.1", 7000, false, 100), null)).isEqualTo(Action.PARK);
        assertThat(k.state()).isEqualTo(State.PARKED);
        assertThat(k.step(replicaOf("r1", "127.0.0.2", 0, false, 100), null)).isEqualTo(Action.NONE);
        // the same run_id: a blip, the replica goes back (a partial resync from its cached master)
        assertThat(k.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m1", 100))).isEqualTo(Action.ATTACH);
        assertThat(k.state()).isEqualTo(State.CONNECTING);
    }

    @Test
    void aReplicaWhoseMasterRestartedIsHeldUntilAForcedOrDifferentDecision() {
        NodeKeeper k = inSync();
        assertThat(k.step(replicaOf("r1", "127.0.0.1", 7000, false, 100), master("m2", 0))).isEqualTo(Action.PARK);
        assertThat(k.state()).isEqualTo(State.HELD);
        assertThat(k.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m2", 0))).isEqualTo(Action.NONE);
        k.reaffirmed(false); // the same SETREPL again: not a decision about the restarted master
        assertThat(k.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m2", 0))).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.HELD);
        k.reaffirmed(true); // FORCE: a person accepts the loss
        assertThat(k.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m2", 0))).isEqualTo(Action.ATTACH);
    }

    @Test
    void aMasterIsMadeMasterOnceAndHeldWhenItRestartsWithAReplica() {
        NodeKeeper k = new NodeKeeper(MASTER_ENTRY);
        assertThat(k.step(replicaOf("m1", "127.0.0.9", 7000, false, 0), null)).isEqualTo(Action.MAKE_MASTER);
        assertThat(k.step(master("m1", 10), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.MASTER);
        assertThat(k.step(null, null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DOWN);
        // back with a new run_id: it may be empty, its replica holds the data
        assertThat(k.step(master("m2", 0), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.HELD);
        k.reaffirmed(false);
        assertThat(k.step(master("m2", 0), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.HELD);
    }

    @Test
    void aMasterMadeAReplicaByAMigrationsSeedIsReportedDemotedAndMasterAgainAfterIt() {
        NodeKeeper k = new NodeKeeper(MASTER_ENTRY);
        assertThat(k.step(master("m1", 10), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.MASTER);
        // REPLICAOF <source> by the migration engine: reported, never undone by the keeper
        assertThat(k.step(replicaOf("m1", "127.0.0.5", 7005, false, 0), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        assertThat(k.step(replicaOf("m1", "127.0.0.5", 7005, true, 900), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        // REPLICAOF NO ONE at the flip (or the seed's abort): the same process, a master again
        assertThat(k.step(master("m1", 900), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.MASTER);
    }

    @Test
    void aSetReplDuringAMigrationsSeedLeavesTheSeedAlone() {
        // the controller pushes every epoch to every proxy: here another move's commit while this
        // node is seeded from its source. REPLICAOF NO ONE then would cut the seed off mid-copy.
        NodeKeeper k = new NodeKeeper(MASTER_ENTRY);
        k.step(master("m1", 10), null);
        assertThat(k.step(replicaOf("m1", "127.0.0.5", 7005, false, 0), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        k.reaffirmed(false);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        assertThat(k.step(replicaOf("m1", "127.0.0.5", 7005, true, 900), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        // the same with a changed entry (a keeper of its own, e.g. the shard got another replica)
        SetReplRequest.Node changed = new SetReplRequest.Node(true, "c", MASTER,
                List.of(new SetReplRequest.Peer(NODE, "127.0.0.2:6000"), new SetReplRequest.Peer("127.0.0.3:7002",
                        "127.0.0.3:6000")));
        NodeKeeper next = new NodeKeeper(changed, k);
        assertThat(next.state()).isEqualTo(State.DEMOTED);
        assertThat(next.step(replicaOf("m1", "127.0.0.5", 7005, true, 950), null)).isEqualTo(Action.NONE);
        // the seed ends with REPLICAOF NO ONE of its own: a master again, nothing to apply
        assertThat(next.step(master("m1", 950), null)).isEqualTo(Action.NONE);
        assertThat(next.state()).isEqualTo(State.MASTER);
        // once a master again, a SETREPL applies the role as before
        next.reaffirmed(false);
        assertThat(next.step(replicaOf("m1", "127.0.0.5", 7005, true, 960), null)).isEqualTo(Action.MAKE_MASTER);
    }

    @Test
    void aMasterSwitchedOverStaysDemotedUntilTheNextSetRepl() {
        NodeKeeper k = new NodeKeeper(MASTER_ENTRY);
        k.step(master("m1", 10), null);
        k.demoted();
        assertThat(k.step(replicaOf("m1", "127.0.0.2", 7001, true, 10), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        // made a master by someone else after the switchover: still the switchover's state, until a SETREPL
        assertThat(k.step(master("m1", 20), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.DEMOTED);
        k.reaffirmed(false);
        assertThat(k.step(master("m1", 20), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.MASTER);
    }

    @Test
    void aMasterWithoutReplicasThatRestartsHasNothingToProtect() {
        NodeKeeper k = new NodeKeeper(new SetReplRequest.Node(true, "c", MASTER, List.of()));
        k.step(master("m1", 10), null);
        assertThat(k.step(master("m2", 0), null)).isEqualTo(Action.NONE);
        assertThat(k.state()).isEqualTo(State.MASTER);
    }

    @Test
    void aRestartedReplicaIsAttachedAgain() {
        NodeKeeper k = inSync();
        assertThat(k.step(master("r2", 0), master("m1", 100))).isEqualTo(Action.ATTACH);
    }

    @Test
    void aNewKeeperForTheSameNodeRemembersItsRunId() {
        NodeKeeper before = new NodeKeeper(MASTER_ENTRY);
        before.step(master("m1", 10), null);
        NodeKeeper after = new NodeKeeper(MASTER_ENTRY, before);
        after.step(master("m1", 10), null); // applies the entry: nothing to change
        assertThat(after.step(master("m2", 0), null)).isEqualTo(Action.NONE);
        assertThat(after.state()).isEqualTo(State.HELD);
    }

    @Test
    void aMasterRestartedWithAReplicaIsGivenNoReplicationUserUntilASetReplDecides() {
        NodeKeeper k = new NodeKeeper(MASTER_ENTRY);
        ReplicationInfo first = master("m1", 10);
        k.step(first, null);
        assertThat(k.needsReplicationUser(first)).isTrue();
        k.replicationUserGiven(first);
        assertThat(k.needsReplicationUser(master("m1", 20))).as("once per process").isFalse();
        assertThat(k.needsReplicationUser(null)).isFalse();
        // back empty with a new run_id: its replica must not be able to sync from it
        ReplicationInfo restarted = master("m2", 0);
        k.step(restarted, null);
        assertThat(k.state()).isEqualTo(State.HELD);
        assertThat(k.needsReplicationUser(restarted)).isFalse();
        k.reaffirmed(false);
        k.step(restarted, null);
        assertThat(k.needsReplicationUser(restarted)).as("a repeated SETREPL decides nothing").isFalse();
        k.reaffirmed(true);
        k.step(restarted, null);
        assertThat(k.needsReplicationUser(restarted)).as("SETREPL FORCE accepted the loss").isTrue();
    }

    @Test
    void aRestartedReplicaOrAMasterWithoutReplicasIsGivenTheReplicationUserAgain() {
        NodeKeeper replica = inSync();
        replica.replicationUserGiven(replicaOf("r1", "127.0.0.1", 7000, true, 100));
        ReplicationInfo restarted = master("r2", 0);
        replica.step(restarted, master("m1", 100));
        assertThat(replica.needsReplicationUser(restarted)).isTrue();

        NodeKeeper alone = new NodeKeeper(new SetReplRequest.Node(true, "c", MASTER, List.of()));
        alone.step(master("m1", 10), null);
        alone.replicationUserGiven(master("m1", 10));
        ReplicationInfo back = master("m2", 0);
        alone.step(back, null);
        assertThat(alone.needsReplicationUser(back)).isTrue();
    }

    @Test
    void aReplicaIsAttachedOnlyOnceItsMasterHasTheReplicationUser() {
        NodeKeeper k = new NodeKeeper(REPLICA_ENTRY);
        assertThat(k.step(master("r1", 0), master("m1", 100), false)).isEqualTo(Action.NONE);
        assertThat(k.step(master("r1", 0), master("m1", 100), false)).as("still waiting").isEqualTo(Action.NONE);
        assertThat(k.step(master("r1", 0), master("m1", 100), true)).isEqualTo(Action.ATTACH);
        assertThat(k.state()).isEqualTo(State.CONNECTING);
        // parked, then the same master back: attached again only once it can serve the sync
        NodeKeeper parked = inSync();
        parked.step(replicaOf("r1", "127.0.0.1", 7000, false, 100), null);
        assertThat(parked.state()).isEqualTo(State.PARKED);
        assertThat(parked.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m1", 100), false)).isEqualTo(Action.NONE);
        assertThat(parked.state()).isEqualTo(State.PARKED);
        assertThat(parked.step(replicaOf("r1", "127.0.0.2", 0, false, 100), master("m1", 100), true)).isEqualTo(Action.ATTACH);
    }

    private static NodeKeeper inSync() {
        NodeKeeper k = new NodeKeeper(REPLICA_ENTRY);
        k.step(master("r1", 0), master("m1", 100));
        k.step(replicaOf("r1", "127.0.0.1", 7000, true, 100), master("m1", 100));
        assertThat(k.state()).isEqualTo(State.IN_SYNC);
        return k;
    }
}
