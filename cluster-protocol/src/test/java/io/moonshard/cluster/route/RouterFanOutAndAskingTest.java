package io.moonshard.cluster.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fan-out plans for splittable multi-key commands, and ASKING on an importing slot. */
class RouterFanOutAndAskingTest {

    private final CommandTable table = CommandTable.standard();
    private final KeyPositions keys = new KeyPositions();

    // two local backends and a peer: "a" is slot 15495 (peer), "b" 3300 (6379), "c" 7365 (6380)
    private static final ClusterSnapshot SPLIT = RouterTest.snapshot(
            "v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-5000 127.0.0.1:6380 1 5001-10000 PEER 127.0.0.1:7000 1 10001-16383");

    private RouteDecision route(ClusterSnapshot snapshot, boolean asking, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            CommandSpec spec = table.lookup(cmd);
            return Router.route(snapshot, cmd, spec.findKeys(cmd, keys), keys, asking, spec.fanOut());
        } finally {
            cmd.release();
        }
    }

    @Test
    void splittableCommandsOverLocalSlots_getAPlanByBackend() {
        RouteDecision d = route(SPLIT, false, "MGET", "b", "c", "b");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.FAN_OUT);
        assertThat(d.fanOutPlan().keysByBackend())
                .isEqualTo(Map.of("127.0.0.1:6379", List.of(1, 3), "127.0.0.1:6380", List.of(2)));
        RouteDecision mset = route(SPLIT, false, "MSET", "b", "1", "c", "2");
        assertThat(mset.fanOutPlan().keysByBackend())
                .isEqualTo(Map.of("127.0.0.1:6379", List.of(1), "127.0.0.1:6380", List.of(3)));
    }

    @Test
    void keysOnAnotherProxy_orUnsplittableCommands_areCrossSlot() {
        assertThat(route(SPLIT, false, "MGET", "b", "a").kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(SPLIT, false, "MSETNX", "b", "1", "c", "2").kind()).isEqualTo(RouteDecision.Kind.CROSSSLOT);
        assertThat(route(SPLIT, false, "SUNION", "b", "c").errorLine())
                .isEqualTo("CROSSSLOT Keys in request don't hash to the same slot");
    }

    @Test
    void askingServesAnImportingSlotHere_withoutItTheClientIsMovedToTheSource() {
        ClusterSnapshot importing = RouterTest.snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7002 IMPORTING 1 0-16383 "
                + RouterTest.MIG + " PEER 127.0.0.1:6001 MIGRATING 1 0-16383 " + RouterTest.MIG);
        RouteDecision withoutAsking = route(importing, false, "GET", "b");
        assertThat(withoutAsking.errorLine()).isEqualTo("MOVED 3300 127.0.0.1:6001");
        RouteDecision afterAsking = route(importing, true, "GET", "b");
        assertThat(afterAsking.kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        assertThat(afterAsking.backend()).isEqualTo("127.0.0.1:7002");
    }

    private static final ClusterSnapshot IMPORTING = RouterTest.snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7002 IMPORTING 1 "
            + "0-16383 " + RouterTest.MIG + " PEER 127.0.0.1:6001 MIGRATING 1 0-16383 " + RouterTest.MIG);
    private static final ClusterSnapshot MIGRATING = RouterTest.snapshot("v2 2 NOFLAGS mydb 127.0.0.1:7001 MIGRATING 1 "
            + "0-16383 " + RouterTest.MIG + " PEER 127.0.0.1:6002 IMPORTING 1 0-16383 " + RouterTest.MIG);

    @Test
    void importingSlot_severalKeysAfterAsking_areServedOnlyWhenAllArrived() {
        RouteDecision d = route(IMPORTING, true, "MGET", "{b}1", "{b}2");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.KEY_CHECK);
        assertThat(d.backend()).isEqualTo("127.0.0.1:7002");
        assertThat(Router.afterKeyCheck(d, IMPORTING, 2, 0).kind()).isEqualTo(RouteDecision.Kind.LOCAL);
        RouteDecision partial = Router.afterKeyCheck(d, IMPORTING, 2, 1);
        assertThat(partial.kind()).isEqualTo(RouteDecision.Kind.TRYAGAIN);
        assertThat(partial.errorLine()).isEqualTo("TRYAGAIN Multiple keys request during rehashing of slot");
        // Redis 7.0 answers TRYAGAIN even when none of the keys has arrived yet
        assertThat(Router.afterKeyCheck(d, IMPORTING, 2, 2).kind()).isEqualTo(RouteDecision.Kind.TRYAGAIN);
        // without ASKING the client is sent to the source
        assertThat(route(IMPORTING, false, "MGET", "{b}1", "{b}2").errorLine()).isEqualTo("MOVED 3300 127.0.0.1:6001");
    }

    @Test
    void migratingSlot_anyMissingKeyAsksTheDestination_evenForSeveralKeys() {
        RouteDecision d = route(MIGRATING, false, "MSET", "{b}1", "x", "{b}2", "y");
        assertThat(d.kind()).isEqualTo(RouteDecision.Kind.KEY_CHECK);
        assertThat(Router.afterKeyCheck(d, MIGRATING, 2, 1).errorLine()).isEqualTo("ASK 3300 127.0.0.1:6002");
        assertThat(Router.afterKeyCheck(d, MIGRATING, 2, 2).errorLine()).isEqualTo("ASK 3300 127.0.0.1:6002");
        assertThat(Router.afterKeyCheck(d, MIGRATING, 2, 0).backend()).isEqualTo("127.0.0.1:7001");
        // ASKING changes nothing on the source side
        assertThat(route(MIGRATING, true, "GET", "b").kind()).isEqualTo(RouteDecision.Kind.KEY_CHECK);
    }

    @Test
    void afterKeyCheck_acceptsOnlyAKeyCheckDecision() {
        RouteDecision local = route(SPLIT, false, "GET", "b");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Router.afterKeyCheck(local, SPLIT, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
