package io.moonshard.proxy.internal.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.topology.ReplicaDirectory.Health;
import io.moonshard.cluster.topology.ReplicaDirectory.Replica;
import io.moonshard.cluster.topology.ReplicaDirectory.Shard;
import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.cluster.umctl.SetReplRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The directory from one poll's reports, in undermoon's layout: proxy A (this one, its entries with its
 * replication engine's states) and proxy B (its INFOREPL), each with a master ({@code :6001}) and a
 * replica ({@code :6002}) of the other's master.
 */
class ReplicaReportsTest {

    static final String A = "127.0.0.1:5299";
    static final String B = "127.0.0.2:5299";
    static final String C = "127.0.0.3:5299";
    static final String A_MASTER = "127.0.0.1:6001";
    static final String A_REPLICA = "127.0.0.1:6002";
    static final String B_MASTER = "127.0.0.2:6001";
    static final String B_REPLICA = "127.0.0.2:6002";

    static SetReplRequest.Peer peer(String node, String proxy) {
        return new SetReplRequest.Peer(node, proxy);
    }

    /** A's SETREPL, as undermoon's coordinator sends it. */
    static final List<SetReplRequest.Node> MINE = List.of(
            new SetReplRequest.Node(true, "mydb", A_MASTER, List.of(peer(B_REPLICA, B))),
            new SetReplRequest.Node(false, "mydb", A_REPLICA, List.of(peer(B_MASTER, B))));

    /** A's own entries with its replication engine's states: its master at 100, its replica in step at 90. */
    static final List<InfoReplEntry> OWN = ReplicaReports.own(MINE, List.of(
            new ReplicationEngine.Status(MINE.get(0), "master", 100, -1, false),
            new ReplicationEngine.Status(MINE.get(1), "in_sync", 90, 0, true)));

    /** B's INFOREPL: Moonshard's lines when {@code state} is given, else undermoon's only. */
    static List<InfoReplEntry> reportOfB(String state, long replicaOffset, long masterOffset) {
        return List.of(
                new InfoReplEntry(true, "mydb", B_MASTER, List.of(peer(A_REPLICA, A)), state == null ? null : "master",
                        masterOffset, null),
                new InfoReplEntry(false, "mydb", B_REPLICA, List.of(peer(A_MASTER, A)), state, replicaOffset,
                        state == null ? null : Boolean.TRUE));
    }

    /** The reports of one poll at A: its own, and B's ({@code null}: B did not answer). */
    static ReplicaDirectory directory(List<InfoReplEntry> ofB) {
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(A, OWN);
        reports.put(B, ofB);
        return ReplicaReports.directory("mydb", reports);
    }

    @Test
    void everyShardsReplica_isShown_asTheProxyHostingItSaysItIsDoing() {
        assertThat(directory(reportOfB("in_sync", 55, 77))).isEqualTo(new ReplicaDirectory(Map.of(
                A, new Shard(100, List.of(new Replica(B, B_REPLICA, 55, Health.ONLINE))),
                B, new Shard(77, List.of(new Replica(A, A_REPLICA, 90, Health.ONLINE))))));
        assertThat(directory(reportOfB("syncing", 40, 77)).replicasOf(A))
                .containsExactly(new Replica(B, B_REPLICA, 40, Health.LOADING));
    }

    @Test
    void undermoonsInfoRepl_showsThePeersReplicaOnline_withoutOffsets() {
        ReplicaDirectory d = directory(reportOfB(null, -1, -1));
        assertThat(d.replicasOf(A)).containsExactly(new Replica(B, B_REPLICA, -1, Health.ONLINE));
        assertThat(d.masterOffset(B)).isEqualTo(-1);
    }

    @Test
    void aPeerThatDoesNotAnswer_hasItsReplicaFailed_whileItsMastersReplicaHereIsStillShown() {
        ReplicaDirectory d = directory(null);
        assertThat(d.replicasOf(A)).containsExactly(new Replica(B, B_REPLICA, -1, Health.FAIL));
        assertThat(d.replicasOf(B)).containsExactly(new Replica(A, A_REPLICA, 90, Health.ONLINE));
    }

    @Test
    void aPeerWithoutItsSetReplYet_hasItsReplicaLoading() {
        assertThat(directory(List.of()).replicasOf(A)).containsExactly(new Replica(B, B_REPLICA, -1, Health.LOADING));
    }

    @Test
    void ownEntriesNotProbedYet_areUnknown_soTheirReplicaIsLoading() {
        List<InfoReplEntry> own = ReplicaReports.own(MINE, List.of());
        assertThat(own).extracting(InfoReplEntry::state).containsExactly("unknown", "unknown");
        assertThat(own.get(1).link()).isFalse();
        assertThat(own.get(0).link()).isNull();
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(A, own);
        reports.put(B, reportOfB("in_sync", 55, 77));
        assertThat(ReplicaReports.directory("mydb", reports).replicasOf(B))
                .containsExactly(new Replica(A, A_REPLICA, -1, Health.LOADING));
    }

    @Test
    void replicasAtAProxyNotAskedYet_areLoading_andTheNextPollAsksIt() {
        List<InfoReplEntry> withC = new ArrayList<>(reportOfB(null, -1, -1));
        withC.add(new InfoReplEntry(true, "mydb", "127.0.0.2:6003", List.of(peer("127.0.0.3:6002", C)), null, -1,
                null));
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(A, OWN);
        reports.put(B, withC);
        assertThat(ReplicaReports.directory("mydb", reports).replicasOf(B)).containsExactly(
                new Replica(A, A_REPLICA, 90, Health.ONLINE), new Replica(C, "127.0.0.3:6002", -1, Health.LOADING));
        assertThat(ReplicaReports.proxiesNamed(reports)).containsExactlyInAnyOrder(A, B, C);
    }

    @Test
    void eitherSideAlone_isEnoughToShowAReplica() {
        // A has no SETREPL yet: B's entries say who replicates whom
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(A, List.of());
        reports.put(B, reportOfB(null, -1, -1));
        ReplicaDirectory d = ReplicaReports.directory("mydb", reports);
        assertThat(d.replicasOf(A)).containsExactly(new Replica(B, B_REPLICA, -1, Health.ONLINE));
        assertThat(d.replicasOf(B)).containsExactly(new Replica(A, A_REPLICA, -1, Health.LOADING));
    }

    @Test
    void otherClustersAndFreeNodes_areIgnored_andAReplicaAtItsMastersProxyIsLeftOut() {
        List<SetReplRequest.Node> mine = List.of(
                new SetReplRequest.Node(true, "", "127.0.0.1:6009", List.of()),
                new SetReplRequest.Node(true, "other", A_MASTER, List.of(peer(B_REPLICA, B))),
                new SetReplRequest.Node(true, "mydb", A_MASTER, List.of(peer(A_REPLICA, A))));
        assertThat(ReplicaReports.directory("mydb", Map.of(A, ReplicaReports.own(mine, List.of()))))
                .isSameAs(ReplicaDirectory.EMPTY);
    }

    @Test
    void twoReplicasOfOneProxyAtOneProxy_areOneEntry_theSmallestNodeSpeaking() {
        List<SetReplRequest.Node> mine = List.of(new SetReplRequest.Node(true, "mydb", A_MASTER,
                List.of(peer("127.0.0.2:6009", B), peer(B_REPLICA, B))));
        Map<String, List<InfoReplEntry>> reports = new LinkedHashMap<>();
        reports.put(A, ReplicaReports.own(mine, List.of()));
        reports.put(B, reportOfB(null, -1, -1));
        assertThat(ReplicaReports.directory("mydb", reports).replicasOf(A))
                .containsExactly(new Replica(B, B_REPLICA, -1, Health.ONLINE));
    }

    @Test
    void healthFromAPeersLines() {
        assertThat(ReplicaReports.health(entry("in_sync", 10, null))).isEqualTo(Health.ONLINE);
        assertThat(ReplicaReports.health(entry("in_sync", 0, null))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry("connecting", 10, null))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry("held", 10, null))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry("parked", 10, null))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry("unknown", -1, Boolean.FALSE))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry("down", 10, null))).isEqualTo(Health.FAIL);
        assertThat(ReplicaReports.health(entry("promoted", 10, null))).isEqualTo(Health.FAIL);
        assertThat(ReplicaReports.health(entry(null, -1, Boolean.FALSE))).isEqualTo(Health.LOADING);
        assertThat(ReplicaReports.health(entry(null, -1, Boolean.TRUE))).isEqualTo(Health.ONLINE);
        assertThat(ReplicaReports.health(entry(null, -1, null))).isEqualTo(Health.ONLINE);
    }

    private static InfoReplEntry entry(String state, long offset, Boolean link) {
        return new InfoReplEntry(false, "mydb", B_REPLICA, List.of(peer(A_MASTER, A)), state, offset, link);
    }
}
