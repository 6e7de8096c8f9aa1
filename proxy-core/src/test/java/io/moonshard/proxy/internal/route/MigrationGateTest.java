package io.moonshard.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationGateTest {

    private static final Object TASK_A = new Object();
    private static final Object TASK_B = new Object();

    @Test
    void aTaskClearsOnlyTheSlotsItStillOwns() {
        MigrationGate.Table t = MigrationGate.Table.NONE
                .with(List.of(new int[] {0, 99}), MigrationGate.Verdict.REDIRECT, "127.0.0.1:7000", null, TASK_A);
        assertThat(t.size()).isEqualTo(100);
        // a newer task takes slots 50-149
        t = t.with(List.<int[]>of(new int[] {50, 149}), MigrationGate.Verdict.HOLD, null, null, TASK_B);
        assertThat(t.size()).isEqualTo(150);
        // the old task ends: only 0-49 are still its own
        t = t.with(List.<int[]>of(new int[] {0, 99}), null, null, null, TASK_A);
        assertThat(t.size()).isEqualTo(100);
        assertThat(t.verdict(10)).isNull();
        assertThat(t.verdict(60)).isEqualTo(MigrationGate.Verdict.HOLD);
        t = t.with(List.<int[]>of(new int[] {50, 149}), null, null, null, TASK_B);
        assertThat(t).isSameAs(MigrationGate.Table.NONE);
    }

    @Test
    void editsOfWholeRanges_matchASlotBySlotModel() {
        // the fence's edits fill whole ranges by array copies; a model written slot by slot must agree on
        // every slot's verdict, target and owner, on the count and on the hidden slots, through a sequence of
        // edits of odd lengths (1, 2, 3, 1000, 8192 slots) by two tasks, clears included
        MigrationGate.Verdict[] verdicts = new MigrationGate.Verdict[16384];
        String[] targets = new String[16384];
        Object[] owners = new Object[16384];
        MigrationGate.Table t = MigrationGate.Table.NONE;
        record Edit(int from, int to, MigrationGate.Verdict verdict, String target, Object owner) {
        }
        List<Edit> edits = List.of(
                new Edit(8192, 16383, MigrationGate.Verdict.TRACK, null, TASK_A),
                new Edit(0, 0, MigrationGate.Verdict.REDIRECT, "x:1", TASK_B),
                new Edit(1, 2, MigrationGate.Verdict.FOREIGN, null, TASK_B),
                new Edit(8192, 16383, MigrationGate.Verdict.HOLD, null, TASK_A),
                new Edit(9000, 9999, MigrationGate.Verdict.SERVE_IMPORTED, "n:1", TASK_B),
                new Edit(8192, 16383, MigrationGate.Verdict.REDIRECT, "y:2", TASK_A),
                // a verdict that hides nothing over slots that hid: their keys are visible again
                new Edit(16000, 16100, MigrationGate.Verdict.TRACK, null, TASK_A),
                new Edit(3, 5, MigrationGate.Verdict.HOLD, null, TASK_B),
                new Edit(16381, 16383, null, null, TASK_B),
                new Edit(8192, 16383, null, null, TASK_A));
        for (Edit e : edits) {
            t = t.with(List.<int[]>of(new int[] {e.from(), e.to()}), e.verdict(), e.target(), null, e.owner());
            for (int s = e.from(); s <= e.to(); s++) {
                if (e.verdict() == null && owners[s] != e.owner()) {
                    continue;
                }
                verdicts[s] = e.verdict();
                targets[s] = e.verdict() == null ? null : e.target();
                owners[s] = e.verdict() == null ? null : e.owner();
            }
            int count = 0;
            List<Integer> hidden = new java.util.ArrayList<>();
            for (int s = 0; s < 16384; s++) {
                assertThat(t.verdict(s)).as("slot %d after %s", s, e).isEqualTo(verdicts[s]);
                assertThat(t.target(s)).as("slot %d after %s", s, e).isEqualTo(targets[s]);
                count += verdicts[s] != null ? 1 : 0;
                if (verdicts[s] == MigrationGate.Verdict.REDIRECT || verdicts[s] == MigrationGate.Verdict.FOREIGN) {
                    hidden.add(s);
                }
            }
            assertThat(t.size()).as("after %s", e).isEqualTo(count);
            assertThat(t.hiddenSlots()).as("after %s", e).containsExactly(hidden.stream().mapToInt(Integer::intValue).toArray());
        }
        // TASK_B's slots 0-5 are left
        assertThat(t.size()).isEqualTo(6);
        t = t.with(List.<int[]>of(new int[] {0, 5}), null, null, null, TASK_B);
        assertThat(t).isSameAs(MigrationGate.Table.NONE);
    }

    @Test
    void scanAndKeysReplies_loseTheKeysOfRedirectedSlots_andTheMigrationsOwnKeys() {
        // "a" is slot 15495, "b" 3300, "c" 7365
        MigrationGate.Table t = MigrationGate.Table.NONE
                .with(List.<int[]>of(new int[] {15495, 15495}), MigrationGate.Verdict.REDIRECT, "x:1", null, TASK_A)
                .with(List.<int[]>of(new int[] {7365, 7365}), MigrationGate.Verdict.TRACK, null, null, TASK_B);
        String scan = "*2\r\n$2\r\n17\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$24\r\nmoonshard:migration:c:1:x\r\n";
        assertThat(filter(scan, t, true)).isEqualTo("*2\r\n$2\r\n17\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        String keys = "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
        assertThat(filter(keys, t, false)).isEqualTo("*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        // nothing hidden: the same reply; an error: untouched
        assertThat(filter("*1\r\n$1\r\nb\r\n", t, false)).isEqualTo("*1\r\n$1\r\nb\r\n");
        assertThat(filter("-ERR nope\r\n", t, true)).isEqualTo("-ERR nope\r\n");
    }

    @Test
    void theTableListsItsHiddenSlots_andTheKeysTheyHide() {
        MigrationGate.Table t = MigrationGate.Table.NONE
                .with(List.<int[]>of(new int[] {100, 102}, new int[] {15495, 15495}), MigrationGate.Verdict.REDIRECT,
                        "x:1", null, TASK_A)
                .with(List.<int[]>of(new int[] {7365, 7365}), MigrationGate.Verdict.TRACK, null, null, TASK_B)
                .with(List.<int[]>of(new int[] {3300, 3300}), MigrationGate.Verdict.SERVE_IMPORTED, "n:1", null, TASK_B);
        assertThat(t.hidesAny()).isTrue();
        assertThat(t.hiddenSlots()).containsExactly(100, 101, 102, 15495);
        assertThat(MigrationGate.Table.NONE.hidesAny()).isFalse();
        assertThat(MigrationGate.Table.NONE.hiddenSlots()).isEmpty();
        MigrationGate.Table tracked = MigrationGate.Table.NONE
                .with(List.<int[]>of(new int[] {0, 16383}), MigrationGate.Verdict.HOLD, null, null, TASK_A);
        assertThat(tracked.hidesAny()).as("held slots are still served here: nothing hidden").isFalse();

        // "a" is slot 15495, "b" 3300, "c" 7365
        assertThat(hidden("a", t)).isTrue();
        assertThat(hidden("b", t)).isFalse();
        assertThat(hidden("c", t)).isFalse();
        assertThat(hidden("moonshard:staging:{x}:00", MigrationGate.Table.NONE)).as("bookkeeping, always").isTrue();
        assertThat(hidden("moonshard:migration:c:1:0-1", MigrationGate.Table.NONE)).isTrue();
        assertThat(hidden("moonshard:other", MigrationGate.Table.NONE)).isFalse();
        assertThat(hidden("a", MigrationGate.Table.NONE)).isFalse();
    }

    @Test
    void foreignSlotsAreHiddenOnly_andSetWhereNoOtherEntryIs() {
        MigrationGate.Table t = MigrationGate.Table.NONE
                .with(List.<int[]>of(new int[] {8192, 16383}), MigrationGate.Verdict.REDIRECT, "x:1", null, TASK_A)
                .with(List.<int[]>of(new int[] {100, 100}), MigrationGate.Verdict.REFUSE, "TRYAGAIN", null, TASK_B);
        Object foreign = new Object();
        t = t.withWhereFree(List.<int[]>of(new int[] {0, 16383}), MigrationGate.Verdict.FOREIGN, null, null, foreign);
        assertThat(t.verdict(5)).isEqualTo(MigrationGate.Verdict.FOREIGN);
        assertThat(t.verdict(100)).as("another engine's entry stays").isEqualTo(MigrationGate.Verdict.REFUSE);
        assertThat(t.verdict(9000)).as("the import's own entry stays").isEqualTo(MigrationGate.Verdict.REDIRECT);
        assertThat(t.size()).isEqualTo(16384);
        assertThat(t.hides(5)).isTrue();
        assertThat(t.hides(100)).isFalse();
        assertThat(t.hiddenSlots()).hasSize(16383);
        // "a" is slot 15495 (redirected), "b" 3300 (foreign)
        assertThat(hidden("b", t)).isTrue();
        assertThat(hidden("a", t)).isTrue();
        // the import ends: its slots are free; the foreign entries stay until their owner clears them
        t = t.with(List.<int[]>of(new int[] {8192, 16383}), null, null, null, TASK_A);
        assertThat(t.verdict(9000)).isNull();
        assertThat(t.verdict(5)).isEqualTo(MigrationGate.Verdict.FOREIGN);
        t = t.with(List.<int[]>of(new int[] {0, 16383}), null, null, null, foreign);
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.hidesAny()).isFalse();
    }

    private static boolean hidden(String key, MigrationGate.Table table) {
        ByteBuf buf = Unpooled.copiedBuffer("xx" + key, StandardCharsets.US_ASCII);
        try {
            return HiddenKeys.isHidden(buf, 2, key.length(), table);
        } finally {
            buf.release();
        }
    }

    private static String filter(String reply, MigrationGate.Table table, boolean scan) {
        ByteBuf in = Unpooled.copiedBuffer(reply, StandardCharsets.US_ASCII);
        ByteBuf out = HiddenKeys.filter(in, table, scan, UnpooledByteBufAllocator.DEFAULT);
        try {
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }
}
