package io.moonshard.cluster.slot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SlotRangeTest {

    @Test
    void parsesAndRenders() {
        assertThat(SlotRange.parse("0-8000")).isEqualTo(new SlotRange(0, 8000));
        assertThat(SlotRange.parse("300")).isEqualTo(new SlotRange(300, 300));
        assertThat(SlotRange.parse("8000-0")).isEqualTo(new SlotRange(0, 8000));
        assertThat(new SlotRange(300, 300)).hasToString("300");
        assertThat(new SlotRange(0, 100)).hasToString("0-100");
        assertThat(new SlotRange(0, 16383).size()).isEqualTo(16384);
        assertThat(new SlotRange(5, 9).contains(5)).isTrue();
        assertThat(new SlotRange(5, 9).contains(9)).isTrue();
        assertThat(new SlotRange(5, 9).contains(10)).isFalse();
        assertThat(new SlotRange(5, 9).contains(4)).isFalse();
    }

    @Test
    void rejectsBadText() {
        for (String bad : List.of("", "-", "1-", "-1", "a-b", "16384", "0-16384", "99999999999", "1--2", "+1-2",
                "1-2-3", " 1-2", "-1-2", "1-２")) {
            assertThatThrownBy(() -> SlotRange.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new SlotRange(-1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlotRange(4, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlotRange(0, 16384)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ordersByStartThenEnd() {
        assertThat(new SlotRange(1, 5)).isLessThan(new SlotRange(2, 3));
        assertThat(new SlotRange(1, 3)).isLessThan(new SlotRange(1, 5));
        assertThat(new SlotRange(1, 3).compareTo(new SlotRange(1, 3))).isZero();
    }
}
