package io.moonshard.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.cluster.slot.SlotRange;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotSplitTest {

    /** {@code echo no | redis-cli --cluster create <n empty cluster nodes>} of redis-cli 7.0.15: its "Master[i] -> Slots" lines. */
    @Test
    void splitsAsRedisCliClusterCreateDoes() {
        assertThat(text(SlotSplit.even(3))).isEqualTo("0-5460 5461-10922 10923-16383");
        assertThat(text(SlotSplit.even(5))).isEqualTo("0-3276 3277-6553 6554-9829 9830-13106 13107-16383");
        assertThat(text(SlotSplit.even(6))).isEqualTo("0-2730 2731-5460 5461-8191 8192-10922 10923-13652 13653-16383");
        assertThat(text(SlotSplit.even(7))).isEqualTo(
                "0-2340 2341-4680 4681-7021 7022-9361 9362-11702 11703-14042 14043-16383");
        assertThat(text(SlotSplit.even(9))).isEqualTo("0-1819 1820-3640 3641-5460 5461-7281 7282-9101 9102-10922 "
                + "10923-12742 12743-14563 14564-16383");
        assertThat(text(SlotSplit.even(11))).isEqualTo("0-1488 1489-2978 2979-4467 4468-5957 5958-7446 7447-8936 "
                + "8937-10425 10426-11915 11916-13404 13405-14894 14895-16383");
        assertThat(text(SlotSplit.even(1))).isEqualTo("0-16383");
        assertThat(text(SlotSplit.even(2))).isEqualTo("0-8191 8192-16383");
    }

    @Test
    void everyCountGivesContiguousRangesCoveringEverySlotWithSharesNearlyEqual() {
        for (int n = 1; n <= 16384; n++) {
            if (n > 3000 && n % 61 != 0 && n != 7542 && n < 16380) {
                continue; // every count up to 3000, then a sample (each split is O(n)), with the first fallback
            }
            List<SlotRange> ranges = SlotSplit.even(n);
            assertThat(ranges).hasSize(n);
            int next = 0;
            for (SlotRange r : ranges) {
                assertThat(r.start()).as("n=%d", n).isEqualTo(next);
                next = r.end() + 1;
            }
            assertThat(next).isEqualTo(16384);
            int[] shares = SlotSplit.shares(n);
            int min = Arrays.stream(shares).min().orElseThrow();
            int max = Arrays.stream(shares).max().orElseThrow();
            // redis-cli's float cursor drifts for thousands of masters: its shares then differ by up to 4
            assertThat(max - min).as("n=%d", n).isLessThanOrEqualTo(n < 2688 ? 1 : 4);
            assertThat(min).as("n=%d", n).isGreaterThanOrEqualTo(16384 / n - 3);
        }
        // where redis-cli's drift would run out of slots, the exact split
        assertThat(SlotSplit.even(7542).get(7541)).isEqualTo(new SlotRange(16381, 16383));
        assertThatThrownBy(() -> SlotSplit.even(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SlotSplit.even(16385)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String text(List<SlotRange> ranges) {
        return String.join(" ", ranges.stream().map(r -> r.start() + "-" + r.end()).toList());
    }
}
