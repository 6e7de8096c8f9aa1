package io.moonshard.controller.model;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The slot ranges of the records ({@link Shard#slots()}, {@link SlotMove#ranges()}): text {@code
 * "start-end"}, inclusive, as SETCLUSTER writes them; {@code "300"} is read as {@code 300-300}.
 */
public final class SlotRanges {

    private SlotRanges() {
    }

    /** The slots of {@code ranges}; IllegalArgumentException for a malformed one. */
    public static SlotSet parse(Collection<String> ranges) {
        List<SlotRange> out = new ArrayList<>(ranges.size());
        for (String r : ranges) {
            out.add(SlotRange.parse(r));
        }
        return SlotSet.of(out);
    }

    /** Normalised ranges (sorted, merged), each {@code "start-end"}, also for one slot. */
    public static List<String> format(SlotSet slots) {
        List<String> out = new ArrayList<>(slots.ranges().size());
        for (SlotRange r : slots.ranges()) {
            out.add(r.start() + "-" + r.end());
        }
        return List.copyOf(out);
    }

    public static String format(SlotRange range) {
        return range.start() + "-" + range.end();
    }
}
