package io.moonshard.cluster.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.cluster.command.FanOut;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** READONLY reads of a peer's slots served by a local replica of that peer's master. */
class RouterReplicaReadsTest {

    private final CommandTable table = CommandTable.standard();
    private final KeyPositions keys = new KeyPositions();

    // this proxy's master serves 0-5000; peer P1's master (replicated here by :6380) 5001-10000; P2 the rest
    private static final String P1 = "127.0.0.2:5299";
    private static final String P2 = "127.0.0.3:5299";
    private static final ClusterSnapshot SNAPSHOT = RouterTest.snapshot(
            "v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-5000 PEER " + P1 + " 1 5001-10000 " + P2 + " 1 10001-16383");
    private static final ReplicaReads READS = ReplicaReads.of(List.of(Map.entry(P1, "127.0.0.1:6380")));

    /** A key whose slot is in {@code [from, to]}, and not {@code except}'s slot. */
    private static String keyIn(int from, int to, String except) {
        return IntStream.range(0, 10_000).mapToObj(i -> "k" + i)
                .filter(k -> {
                    int slot = slot(k);
                    return slot >= from && slot <= to && (except == null || slot != slot(except));
                })
                .findFirst().orElseThrow();
    }

    private static int slot(String key) {
        return SlotHash.slot(key);
    }

    private static final String MINE = keyIn(0, 5000, null);
    private static final String OF_P1 = keyIn(5001, 10000, null);
    private static final String OTHER_OF_P1 = keyIn(5001, 10000, OF_P1);
    private static final String OF_P2 = keyIn(10001, 16383, null);

    private RouteDecision route(ReplicaReads reads, boolean fanOut, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            CommandSpec spec = table.lookup(cmd);
            return Router.route(SNAPSHOT, cmd, spec.findKeys(cmd, keys), keys, false,
                    fanOut ? spec.fanOut() : FanOut.NONE, reads);
        } finally {
            cmd.release();
        }
    }

    @Test
    void aReadOfAReplicatedPeersSlot_goesToTheLocalReplica() {
        RouteDecision d = route(READS, false, "GET", OF_P1);
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.REPLICA);
        assertThat(d.backend()).isEqualTo("127.0.0.1:6380");
        assertThat(d.slot()).isEqualTo(slot(OF_P1));
        assertThat(d.errorLine()).isNull();
        assertThat(d.isRedirect()).isFalse();
    }

    @Test
    void withoutTheTable_itIsMovedAsBefore() {
        assertThat(route(ReplicaReads.NONE, false, "GET", OF_P1).errorLine())
                .isEqualTo("MOVED " + slot(OF_P1) + " " + P1);
    }

    @Test
    void aPeerWithoutALocalReplica_isStillMoved_andALocalSlotServedByTheMaster() {
        assertThat(route(READS, false, "GET", OF_P2).errorLine()).isEqualTo("MOVED " + slot(OF_P2) + " " + P2);
        RouteDecision local = route(READS, false, "GET", MINE);
        assertThat(local.kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(local.backend()).isEqualTo("127.0.0.1:6379");
    }

    @Test
    void multiKeyReads_splitOverTheLocalReplicaAndMaster_likeOverLocalMasters() {
        RouteDecision d = route(READS, true, "MGET", OF_P1, MINE, OTHER_OF_P1);
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.FAN_OUT);
        assertThat(d.fanOutPlan().keysByBackend())
                .isEqualTo(Map.of("127.0.0.1:6380", List.of(1, 3), "127.0.0.1:6379", List.of(2)));
        assertThat(route(READS, true, "MGET", OF_P1, OF_P2).kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(READS, false, "MGET", OF_P1, OTHER_OF_P1).kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(READS, true, "MGET", "{" + OF_P1 + "}a", "{" + OF_P1 + "}b").kind())
                .isEqualTo(RouteDecision.Kind.REPLICA);
    }

    @Test
    void theTable_keepsTheFirstReplicaOfAProxy() {
        ReplicaReads two = ReplicaReads.of(List.of(Map.entry(P1, "127.0.0.1:6380"), Map.entry(P1, "127.0.0.1:6381")));
        assertThat(two.replicaOf(P1)).isEqualTo("127.0.0.1:6380");
        assertThat(two.nodes()).containsExactly("127.0.0.1:6380");
        assertThat(ReplicaReads.of(List.of())).isSameAs(ReplicaReads.NONE);
        assertThat(ReplicaReads.NONE.replicaOf(P1)).isNull();
    }
}
