package io.moonshard.cluster.slot;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;

/** An immutable set of hash slots, with normalised ranges (sorted, merged, adjacent ranges joined). */
public final class SlotSet {

    private static final SlotSet EMPTY = new SlotSet(new BitSet());

    private final BitSet bits;
    private final List<SlotRange> ranges;

    private SlotSet(BitSet bits) {
        this.bits = bits;
        List<SlotRange> out = new ArrayList<>();
        for (int start = bits.nextSetBit(0); start >= 0; ) {
            int end = bits.nextClearBit(start) - 1;
            out.add(new SlotRange(start, end));
            start = bits.nextSetBit(end + 1);
        }
        this.ranges = List.copyOf(out);
    }

    public static SlotSet empty() {
        return EMPTY;
    }

    public static SlotSet of(Collection<SlotRange> ranges) {
        BitSet bits = new BitSet(SlotHash.SLOT_COUNT);
        for (SlotRange r : ranges) {
            bits.set(r.start(), r.end() + 1);
        }
        return new SlotSet(bits);
    }

    public static SlotSet of(SlotRange... ranges) {
        return of(List.of(ranges));
    }

    public boolean contains(int slot) {
        return bits.get(slot);
    }

    public int size() {
        return bits.cardinality();
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /** Whether every one of the 16384 slots is in this set. */
    public boolean coversAll() {
        return bits.cardinality() == SlotHash.SLOT_COUNT;
    }

    public SlotSet union(SlotSet other) {
        BitSet b = (BitSet) bits.clone();
        b.or(other.bits);
        return new SlotSet(b);
    }

    public SlotSet minus(SlotSet other) {
        BitSet b = (BitSet) bits.clone();
        b.andNot(other.bits);
        return new SlotSet(b);
    }

    /** Sorted, merged ranges. */
    public List<SlotRange> ranges() {
        return ranges;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SlotSet s && s.bits.equals(bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    /** Space-separated ranges, as in CLUSTER NODES. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (SlotRange r : ranges) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(r);
        }
        return sb.toString();
    }
}
