package io.moonshard.cluster.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetClusterRequest;
import io.moonshard.resp.RespCommand;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing decisions and their exact reply texts (Redis 7 cluster.c). */
class RouterTest {

    static final String MIG = "2 127.0.0.1:6001 127.0.0.1:7001 127.0.0.1:6002 127.0.0.1:7002";

    private final CommandTable table = CommandTable.standard();
    private final KeyPositions keys = new KeyPositions();

    static ClusterSnapshot snapshot(String setcluster) {
        ParseResult<SetClusterRequest> r = SetClusterParser.parse(List.of(setcluster.split(" ")));
        assertThat(r.error()).isNull();
        return r.value().snapshot();
    }

    static final ClusterSnapshot EX1 =
            snapshot("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383");

    private RouteDecision route(ClusterSnapshot snapshot, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            CommandSpec spec = table.lookup(cmd);
            int n = spec.findKeys(cmd, keys);
            return Router.route(snapshot, cmd, n, keys);
        } finally {
            cmd.release();
        }
    }

    private RouteDecision route(ClusterSnapshot snapshot, byte[]... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            int n = table.lookup(cmd).findKeys(cmd, keys);
            return Router.route(snapshot, cmd, n, keys);
        } finally {
            cmd.release();
        }
    }

    @Test
    void servesLocalSlotsOnTheirBackend() {
        RouteDecision d = route(EX1, "GET", "b"); // slot 3300
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(d.backend()).isEqualTo("127.0.0.1:6379");
        assertThat(d.slot()).isEqualTo(3300);
        assertThat(d.errorLine()).isNull();
        assertThat(d.isRedirect()).isFalse();
        assertThat(route(EX1, "SET", "{b}x", "1").backend()).isEqualTo("127.0.0.1:6379");
    }

    @Test
    void movesPeerSlots() {
        RouteDecision d = route(EX1, "GET", "a"); // slot 15495
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.MOVED);
        assertThat(d.errorLine()).isEqualTo("MOVED 15495 127.0.0.1:7000");
        assertThat(d.slot()).isEqualTo(15495);
        assertThat(d.backend()).isNull();
        assertThat(d.isRedirect()).isTrue();
        assertThat(route(EX1, "get", "foo").errorLine()).isEqualTo("MOVED 12182 127.0.0.1:7000");
    }

    @Test
    void boundarySlots() {
        ClusterSnapshot s = snapshot("v2 1 NOFLAGS mydb 127.0.0.1:6379 2 0-0 16383-16383 PEER 127.0.0.1:7000 1 1-16382");
        for (int slot : new int[] {0, 1, 16382, 16383}) {
            String key = keyFor(slot);
            RouteDecision d = route(s, "GET", key);
            assertThat(d.slot()).isEqualTo(slot);
            assertThat(d.kind()).isEqualTo(slot == 0 || slot == 16383 ? RouteDecision.Kind.LOCAL : RouteDecision.Kind.MOVED);
        }
    }

    static String keyFor(int slot) {
        for (int i = 0; ; i++) {
            String k = "k" + i;
            if (SlotHash.slot(k) == slot) {
                return k;
            }
        }
    }

    @Test
    void crossSlot() {
        RouteDecision d = route(EX1, "MGET", "a", "b");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(d.errorLine()).isEqualTo("CROSSSLOT Keys in request don't hash to the same slot");
        // both keys local but in different slots: still CROSSSLOT
        assertThat(route(EX1, "MGET", "b", "c").kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(EX1, "RENAME", "{x}1", "{y}1").kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(EX1, "EVAL", "return 1", "2", "a", "b").kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
    }

    @Test
    void multiKeySameSlotThroughHashTags() {
        RouteDecision d = route(EX1, "MSET", "{user1000}.a", "1", "{user1000}.b", "2", "{user1000}", "3");
        int slot = SlotHash.slot("user1000");
        assertThat(d.slot()).isEqualTo(slot);
        assertThat(d.kind()).isEqualTo(slot <= 8000 ? RouteDecision.Kind.LOCAL : RouteDecision.Kind.MOVED);
        RouteDecision moved = route(EX1, "MGET", "{a}1", "{a}2", "a");
        assertThat(moved.errorLine()).isEqualTo("MOVED 15495 127.0.0.1:7000");
        RouteDecision local = route(EX1, "SUNIONSTORE", "{b}d", "{b}s1", "b");
        assertThat(local.kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(local.slot()).isEqualTo(3300);
        // identical keys are one slot
        assertThat(route(EX1, "MGET", "b", "b", "b").kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        // binary keys
        byte[] bin = {(byte) 0xff, '{', 0, 1, '}', (byte) 0x80};
        RouteDecision b = route(EX1, "GET".getBytes(), bin);
        assertThat(b.slot()).isEqualTo(SlotHash.slot(new byte[] {0, 1}));
    }

    @Test
    void unservedSlot() {
        ClusterSnapshot s = snapshot("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000");
        RouteDecision d = route(s, "GET", "a");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.CLUSTERDOWN);
        assertThat(d.errorLine()).isEqualTo("CLUSTERDOWN Hash slot not served");
        assertThat(d.slot()).isEqualTo(15495);
        assertThat(route(s, "GET", "b").kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        // configured with an empty cluster: nothing is served
        ClusterSnapshot none = snapshot("v2 1 NOFLAGS mydb");
        assertThat(route(none, "GET", "b").errorLine()).isEqualTo("CLUSTERDOWN Hash slot not served");
    }

    @Test
    void clusterDownBeforeAnyMetadata() {
        ClusterSnapshot empty = ClusterSnapshot.empty();
        assertThat(empty.isConfigured()).isFalse();
        RouteDecision d = route(empty, "GET", "a");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.CLUSTERDOWN);
        assertThat(d.errorLine()).isEqualTo("CLUSTERDOWN The cluster is down");
        assertThat(route(empty, "MGET", "a", "b").errorLine()).isEqualTo("CLUSTERDOWN The cluster is down");
        // keyless commands are still the caller's to run
        assertThat(route(empty, "PING").kind()).isEqualTo(RouteDecision.Kind.NO_KEYS);
    }

    @Test
    void keylessAndInvalid() {
        for (String[] cmd : List.of(new String[] {"PING"}, new String[] {"DBSIZE"}, new String[] {"EVAL", "return 1", "0"},
                new String[] {"FLUSHALL"}, new String[] {"ECHO", "x"})) {
            RouteDecision d = route(EX1, cmd);
            assertThat(d.kind()).as(String.join(" ", cmd)).isEqualTo(RouteDecision.Kind.NO_KEYS);
            assertThat(d.slot()).isEqualTo(-1);
            assertThat(d.errorLine()).isNull();
        }
        for (String[] cmd : List.of(new String[] {"GET"}, new String[] {"GET", "a", "b"},
                new String[] {"EVAL", "return 1", "3", "a"}, new String[] {"EVAL", "s", "x", "a"},
                new String[] {"ZUNIONSTORE", "d", "-1", "a"})) {
            RouteDecision d = route(EX1, cmd);
            assertThat(d.kind()).as(String.join(" ", cmd)).isEqualTo(RouteDecision.Kind.INVALID_ARGS);
            assertThat(d.errorLine()).isNull();
            // invalid arguments win over "no metadata": Redis's own arity error is more useful
            assertThat(route(ClusterSnapshot.empty(), cmd).kind()).isEqualTo(RouteDecision.Kind.INVALID_ARGS);
        }
    }

    // ------------------------------------------------------------------ migrations (ClusterSnapshot javadoc)

    /** Proxy 6001: its Redis 7001 holds 0-8000 and is migrating 8001-16383 to 6002/7002. */
    static final ClusterSnapshot SOURCE = snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 "
            + "127.0.0.1:7001 migrating 1 8001-16383 " + MIG + " PEER 127.0.0.1:6002 importing 1 8001-16383 " + MIG);
    /** Proxy 6002: its Redis 7002 is importing 8001-16383 from 6001/7001. */
    static final ClusterSnapshot DESTINATION = snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7002 importing 1 8001-16383 "
            + MIG + " PEER 127.0.0.1:6001 1 0-8000 127.0.0.1:6001 migrating 1 8001-16383 " + MIG);
    /** Proxy 6003, not part of the migration, learns both tags through PEER. */
    static final ClusterSnapshot BYSTANDER = snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7003 0 "
            + "PEER 127.0.0.1:6002 importing 1 8001-16383 " + MIG
            + " 127.0.0.1:6001 1 0-8000 127.0.0.1:6001 migrating 1 8001-16383 " + MIG);

    @Test
    void migratingSourceServesTheMovingSlotsItself_forTheKeysStillThere() {
        RouteDecision d = route(SOURCE, "GET", "a");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.KEY_CHECK);
        assertThat(d.backend()).isEqualTo("127.0.0.1:7001");
        assertThat(d.slot()).isEqualTo(15495);
        assertThat(route(SOURCE, "GET", "b").kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(route(SOURCE, "GET", "b").backend()).isEqualTo("127.0.0.1:7001");
        RouteDecision present = Router.afterKeyCheck(d, SOURCE, 1, 0);
        assertThat(present.kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(present.backend()).isEqualTo("127.0.0.1:7001");
        assertThat(Router.afterKeyCheck(d, SOURCE, 1, 1).errorLine()).isEqualTo("ASK 15495 127.0.0.1:6002");
    }

    @Test
    void importingDestinationSendsClientsToTheSourceProxy() {
        assertThat(route(DESTINATION, "GET", "a").errorLine()).isEqualTo("MOVED 15495 127.0.0.1:6001");
        assertThat(route(DESTINATION, "GET", "b").errorLine()).isEqualTo("MOVED 3300 127.0.0.1:6001");
        assertThat(DESTINATION.localOwner(15495)).isNull();
        assertThat(DESTINATION.redirectOwner(15495)).isEqualTo("127.0.0.1:6001");
    }

    @Test
    void bystanderSendsMovingSlotsToTheMigratingPeer() {
        assertThat(route(BYSTANDER, "GET", "a").errorLine()).isEqualTo("MOVED 15495 127.0.0.1:6001");
        assertThat(route(BYSTANDER, "GET", "b").errorLine()).isEqualTo("MOVED 3300 127.0.0.1:6001");
        // the order of the PEER entries does not matter
        ClusterSnapshot reordered = snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7003 0 PEER "
                + "127.0.0.1:6001 1 0-8000 127.0.0.1:6001 migrating 1 8001-16383 " + MIG
                + " 127.0.0.1:6002 importing 1 8001-16383 " + MIG);
        assertThat(route(reordered, "GET", "a").errorLine()).isEqualTo("MOVED 15495 127.0.0.1:6001");
    }

    @Test
    void peerPriorities() {
        // stable beats importing, whatever the order
        for (String peers : List.of("127.0.0.1:6001 1 0-16383 127.0.0.1:6002 importing 1 8001-16383 " + MIG,
                "127.0.0.1:6002 importing 1 8001-16383 " + MIG + " 127.0.0.1:6001 1 0-16383")) {
            ClusterSnapshot s = snapshot("v2 2 NOFLAGS mydb PEER " + peers);
            assertThat(route(s, "GET", "a").errorLine()).isEqualTo("MOVED 15495 127.0.0.1:6001");
        }
        // only an importing peer knows the slot: it gets the client
        ClusterSnapshot onlyImporting = snapshot("v2 2 NOFLAGS mydb PEER 127.0.0.1:6002 importing 1 8001-16383 " + MIG);
        assertThat(route(onlyImporting, "GET", "a").errorLine()).isEqualTo("MOVED 15495 127.0.0.1:6002");
        // a local stable slot beats any peer
        ClusterSnapshot localWins = snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7003 1 15000-16000 PEER 127.0.0.1:6001 1 0-16383");
        assertThat(route(localWins, "GET", "a").backend()).isEqualTo("127.0.0.1:7003");
    }

    @Test
    void everyReplyShowsOneOwnerDuringTheMigration() {
        // as Redis Cluster until the commit: the MIGRATING side (the source) is shown, IMPORTING is not
        assertThat(SOURCE.shownLocalSlots()).hasToString("0-16383");
        assertThat(SOURCE.shownPeerSlots().get("127.0.0.1:6002").isEmpty()).isTrue();
        assertThat(DESTINATION.shownLocalSlots().isEmpty()).isTrue();
        assertThat(DESTINATION.shownPeerSlots().get("127.0.0.1:6001")).hasToString("0-16383");
        assertThat(BYSTANDER.shownLocalSlots().isEmpty()).isTrue();
        assertThat(BYSTANDER.shownPeerSlots().get("127.0.0.1:6001")).hasToString("0-16383");
        assertThat(BYSTANDER.shownPeerSlots().get("127.0.0.1:6002").isEmpty()).isTrue();
        for (ClusterSnapshot s : List.of(SOURCE, DESTINATION, BYSTANDER)) {
            assertThat(s.assignedSlots().coversAll()).isTrue();
            int total = s.shownLocalSlots().size();
            for (var peer : s.shownPeerSlots().values()) {
                total += peer.size();
            }
            assertThat(total).isEqualTo(16384);
        }
    }
}
