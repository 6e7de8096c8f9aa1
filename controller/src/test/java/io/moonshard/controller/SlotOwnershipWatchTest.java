package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.cluster.render.ClusterView;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import io.moonshard.controller.placement.ScalePlan;
import io.moonshard.controller.render.MetadataRenderer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-sample check of {@link ControllerLeaderScaleIT}: fed the CLUSTER SHARDS replies that proxies
 * render (the real {@link ClusterView} of the real {@link MetadataRenderer} snapshots, handed-over moves
 * included) through a whole 2 to 4 scale-out, it finds nothing; fed each kind of fault, it finds it.
 */
class SlotOwnershipWatchTest {

    static final String A = "127.0.0.1:6001";
    static final String B = "127.0.0.2:6001";
    static final String C = "127.0.0.1:6002";
    static final String D = "127.0.0.2:6002";
    static final long SCALED = 20;
    static final long STARTED = 21;

    static ClusterRecord twoShards() {
        return new ClusterRecord(new ClusterSpec("grow", 2, 1, null), List.of(
                new Shard(0, new NodeRef(A, "127.0.0.1:7001"), List.of(new NodeRef(B, "127.0.0.2:7002")), List.of("0-8191")),
                new Shard(1, new NodeRef(B, "127.0.0.2:7001"), List.of(new NodeRef(A, "127.0.0.1:7002")),
                        List.of("8192-16383"))), List.of(), List.of(), List.of(A, B));
    }

    /** The scale write: two new shards owning nothing yet. */
    static ClusterRecord fourShards() {
        List<Shard> shards = new ArrayList<>(twoShards().shards());
        shards.add(new Shard(2, new NodeRef(C, "127.0.0.1:7003"), List.of(new NodeRef(D, "127.0.0.2:7004")), List.of()));
        shards.add(new Shard(3, new NodeRef(D, "127.0.0.2:7003"), List.of(new NodeRef(C, "127.0.0.1:7004")), List.of()));
        return new ClusterRecord(new ClusterSpec("grow", 4, 1, null), shards, List.of(), List.of(), List.of(A, B, C, D));
    }

    static final SlotMove ZERO_TO_TWO = new SlotMove(0, 2, List.of("4096-8191"), STARTED - 1);
    static final SlotMove ONE_TO_THREE = new SlotMove(1, 3, List.of("12288-16383"), STARTED - 1);

    static ClusterRecord started() {
        return fourShards().withMoves(List.of(ZERO_TO_TWO, ONE_TO_THREE));
    }

    static String shards(ClusterSnapshot snapshot, String proxy) {
        ByteBuf out = Unpooled.buffer();
        try {
            new ClusterView(snapshot, proxy, NodeIdStyle.SEED, false).writeClusterShards(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    static ClusterSnapshot snapshot(ClusterRecord r, long revision, String proxy) {
        return MetadataRenderer.snapshot(r, revision, proxy);
    }

    /** The snapshot as CLUSTER replies show it once {@code move} was handed over at this proxy. */
    static ClusterSnapshot handedOver(ClusterSnapshot s, ClusterRecord r, SlotMove move) {
        NodeRef src = r.shard(move.fromShard()).orElseThrow().master();
        NodeRef dst = r.shard(move.toShard()).orElseThrow().master();
        return s.handedOver(SlotRanges.parse(move.ranges()),
                new MigrationMeta(Epochs.metadata(move.startedRevision()), src.proxy(), src.node(), dst.proxy(), dst.node()));
    }

    static String[] owners(ClusterRecord r) {
        String[] out = new String[SlotOwnershipWatch.SLOTS];
        for (Shard s : r.shards()) {
            SlotRanges.parse(s.slots()).ranges().forEach(range -> Arrays.fill(out, range.start(), range.end() + 1,
                    s.master().proxy()));
        }
        return out;
    }

    static void see(SlotOwnershipWatch w, ClusterSnapshot s, String proxy) {
        w.observe(proxy, SlotOwnershipWatch.parseClusterShards(shards(s, proxy)));
    }

    @Test
    void aWholeScaleOutAsTheProxiesShowItIsClean() {
        ClusterRecord before = twoShards();
        SlotOwnershipWatch w = new SlotOwnershipWatch(owners(before));
        // C and D are free: no metadata yet
        see(w, ClusterSnapshot.empty(), C);
        see(w, ClusterSnapshot.empty(), D);
        for (String p : List.of(A, B)) {
            see(w, snapshot(before, 10, p), p);
        }
        // the scale write, then the start: every proxy still shows the old owners
        for (String p : List.of(C, D, A, B)) {
            see(w, snapshot(fourShards(), SCALED, p), p);
        }
        ClusterRecord started = started();
        for (String p : List.of(C, D, A, B)) {
            see(w, snapshot(started, STARTED, p), p);
        }
        // 0 -> 2 flips: A (source) and C (destination) show C, B and D still show A
        see(w, handedOver(snapshot(started, STARTED, A), started, ZERO_TO_TWO), A);
        see(w, snapshot(started, STARTED, B), B);
        see(w, handedOver(snapshot(started, STARTED, C), started, ZERO_TO_TWO), C);
        see(w, snapshot(started, STARTED, D), D);
        // 1 -> 3 flips too; then the leader dies, and the standby commits both in one write
        see(w, handedOver(handedOver(snapshot(started, STARTED, A), started, ZERO_TO_TWO), started, ONE_TO_THREE), A);
        see(w, handedOver(snapshot(started, STARTED, B), started, ONE_TO_THREE), B);
        see(w, handedOver(snapshot(started, STARTED, D), started, ONE_TO_THREE), D);
        ClusterRecord committed = ScalePlan.commit(ScalePlan.commit(started, ZERO_TO_TWO), ONE_TO_THREE);
        // pushed one proxy after another: C and D first, then the rest
        see(w, snapshot(committed, STARTED + 1, C), C);
        see(w, snapshot(committed, STARTED + 1, D), D);
        // B has not taken the commit yet: it still shows 4096-8191 at A while C shows them at C, legitimately
        see(w, handedOver(snapshot(started, STARTED, B), started, ONE_TO_THREE), B);
        for (String p : List.of(A, B)) {
            see(w, snapshot(committed, STARTED + 1, p), p);
        }
        assertThat(w.problems(owners(committed))).isEmpty();
        assertThat(w.skipped()).isEqualTo(2);
        assertThat(w.slotsSeenMoving()).isEqualTo(8192);
        assertThat(w.samples()).isEqualTo(24);
    }

    @Test
    void aSlotWithoutOwnerOrWithTwoIsFound() {
        SlotOwnershipWatch w = new SlotOwnershipWatch(owners(twoShards()));
        w.observe(A, List.of(new SlotOwnershipWatch.Owned(0, 8190, A), new SlotOwnershipWatch.Owned(8192, 16383, B)));
        w.observe(B, List.of(new SlotOwnershipWatch.Owned(0, 8191, A), new SlotOwnershipWatch.Owned(8000, 16383, B)));
        assertThat(w.problems(owners(twoShards()))).containsExactly(
                A + " shows no owner for 1 slot(s), first 8191",
                B + " shows two owners for 192 slot(s), first 8000");
    }

    @Test
    void aProxyGoingBackToTheOldOwnerIsFound() {
        ClusterRecord started = started();
        SlotOwnershipWatch w = new SlotOwnershipWatch(owners(twoShards()));
        see(w, handedOver(snapshot(started, STARTED, A), started, ZERO_TO_TWO), A);
        see(w, snapshot(started, STARTED, A), A); // the handover forgotten: a cancelled move after its flip
        assertThat(w.problems(owners(ScalePlan.commit(started, ZERO_TO_TWO))))
                .containsExactly(A + " shows at their old owner again 4096 slot(s), first 4096 (after it had shown them moved)");
    }

    @Test
    void aThirdOwnerAndAWrongNewOwnerAreFound() {
        ClusterRecord started = started();
        SlotOwnershipWatch w = new SlotOwnershipWatch(owners(twoShards()));
        see(w, handedOver(snapshot(started, STARTED, A), started, ZERO_TO_TWO), A);
        // D claims slots that moved to C: a move re-planned elsewhere
        w.observe(D, List.of(new SlotOwnershipWatch.Owned(0, 4095, A), new SlotOwnershipWatch.Owned(4096, 4096, D),
                new SlotOwnershipWatch.Owned(4097, 8191, A), new SlotOwnershipWatch.Owned(8192, 16383, B)));
        assertThat(w.problems(owners(ScalePlan.commit(started, ZERO_TO_TWO)))).containsExactly(
                D + " shows a third owner for 1 slot(s), first 4096 (neither the owner before the scale nor the one shown elsewhere)");
        // the new owner every proxy showed is not the one that owns the slots at the end
        assertThat(w.problems(owners(twoShards())))
                .contains("slots shown at a new owner that does not own them once settled: 4096, first 4096 shown at " + C
                        + ", settled at " + A);
    }

    @Test
    void aProxyThatHadSlotsAndShowsNoneIsFound() {
        SlotOwnershipWatch w = new SlotOwnershipWatch(owners(twoShards()));
        see(w, snapshot(twoShards(), 10, A), A);
        see(w, ClusterSnapshot.empty(), A);
        assertThat(w.problems(owners(twoShards()))).containsExactly(A + " shows no owner for 16384 slot(s), first 0");
        assertThat(w.skipped()).isZero();
    }

    @Test
    void readsClusterShardsAsAProxyRendersIt() {
        ClusterRecord r = fourShards();
        List<SlotOwnershipWatch.Owned> owned = SlotOwnershipWatch.parseClusterShards(shards(snapshot(r, SCALED, C), C));
        // C first (itself, no slots), then its peers A, B and D (no slots either)
        assertThat(owned).containsExactlyInAnyOrder(new SlotOwnershipWatch.Owned(0, 8191, A),
                new SlotOwnershipWatch.Owned(8192, 16383, B));
        assertThat(SlotOwnershipWatch.parseClusterShards("*0\r\n")).isEmpty();
        assertThatThrownBy(() -> SlotOwnershipWatch.parseClusterShards("-ERR no\r\n")).hasMessageContaining("ERR no");
    }
}
