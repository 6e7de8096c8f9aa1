package io.moonshard.cluster.slot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SlotSetTest {

    private static SlotSet set(String... ranges) {
        return SlotSet.of(java.util.Arrays.stream(ranges).map(SlotRange::parse).toList());
    }

    @Test
    void mergesOverlappingAndAdjacentRangesInOrder() {
        SlotSet s = set("100-200", "0-50", "51-60", "150-300", "500", "502");
        assertThat(s.ranges()).containsExactly(new SlotRange(0, 60), new SlotRange(100, 300),
                new SlotRange(500, 500), new SlotRange(502, 502));
        assertThat(s).hasToString("0-60 100-300 500 502");
        assertThat(s.size()).isEqualTo(61 + 201 + 2);
        assertThat(s.contains(60)).isTrue();
        assertThat(s.contains(61)).isFalse();
        assertThat(s.contains(501)).isFalse();
    }

    @Test
    void unionMinusAndCover() {
        SlotSet low = set("0-8000");
        SlotSet high = set("8001-16383");
        SlotSet all = low.union(high);
        assertThat(all.coversAll()).isTrue();
        assertThat(all.ranges()).containsExactly(new SlotRange(0, 16383));
        assertThat(low.coversAll()).isFalse();
        assertThat(all.minus(high)).isEqualTo(low);
        assertThat(all.minus(set("300"))).hasToString("0-299 301-16383");
        assertThat(all.minus(set("300")).coversAll()).isFalse();
        assertThat(low.minus(low).isEmpty()).isTrue();
        assertThat(low.minus(low)).isEqualTo(SlotSet.empty());
        assertThat(low.minus(high)).isEqualTo(low);
        assertThat(SlotSet.empty().isEmpty()).isTrue();
        assertThat(SlotSet.empty()).hasToString("");
        assertThat(SlotSet.empty().ranges()).isEmpty();
        assertThat(set("0-16383")).isEqualTo(all).hasSameHashCodeAs(all);
        assertThat(SlotSet.of(List.of())).isEqualTo(SlotSet.empty());
    }

    @Test
    void isImmutable() {
        SlotSet a = set("0-10");
        SlotSet b = a.union(set("20-30"));
        assertThat(a).hasToString("0-10");
        assertThat(b).hasToString("0-10 20-30");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.ranges().add(new SlotRange(1, 1)))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
