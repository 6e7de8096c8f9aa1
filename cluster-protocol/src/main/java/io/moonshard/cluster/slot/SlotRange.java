package io.moonshard.cluster.slot;

/**
 * An inclusive range of hash slots. Rendered like Redis: {@code 300} for one slot, {@code 0-100}
 * for more.
 */
public record SlotRange(int start, int end) implements Comparable<SlotRange> {

    public SlotRange {
        if (start < 0 || end >= SlotHash.SLOT_COUNT || start > end) {
            throw new IllegalArgumentException("bad slot range " + start + "-" + end);
        }
    }

    /** Parses {@code s-e} (or a single slot {@code s}); start and end are swapped when reversed, as undermoon does. */
    public static SlotRange parse(String text) {
        int dash = text.indexOf('-');
        if (dash < 0) {
            int slot = parseSlot(text);
            return new SlotRange(slot, slot);
        }
        int a = parseSlot(text.substring(0, dash));
        int b = parseSlot(text.substring(dash + 1));
        return new SlotRange(Math.min(a, b), Math.max(a, b));
    }

    private static int parseSlot(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("bad slot '" + text + "'");
        }
        int slot = Integer.parseInt(text);
        if (slot >= SlotHash.SLOT_COUNT) {
            throw new IllegalArgumentException("slot out of range: " + slot);
        }
        return slot;
    }

    public int size() {
        return end - start + 1;
    }

    public boolean contains(int slot) {
        return slot >= start && slot <= end;
    }

    @Override
    public int compareTo(SlotRange o) {
        return start != o.start ? Integer.compare(start, o.start) : Integer.compare(end, o.end);
    }

    /** {@code 300} or {@code 0-100}, as in CLUSTER NODES. */
    @Override
    public String toString() {
        return start == end ? Integer.toString(start) : start + "-" + end;
    }
}
