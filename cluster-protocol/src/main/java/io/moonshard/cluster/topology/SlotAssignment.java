package io.moonshard.cluster.topology;

import io.moonshard.cluster.slot.SlotSet;

/**
 * Slots held by one address (a local Redis or a peer proxy) with one tag: stable slots, or slots in
 * a migration with its metadata ({@code meta} is null for {@link RangeTag#NONE}).
 */
public record SlotAssignment(SlotSet slots, RangeTag tag, MigrationMeta meta) {

    public SlotAssignment {
        if ((tag == RangeTag.NONE) != (meta == null)) {
            throw new IllegalArgumentException("migration metadata goes with MIGRATING/IMPORTING only");
        }
    }

    public static SlotAssignment stable(SlotSet slots) {
        return new SlotAssignment(slots, RangeTag.NONE, null);
    }
}
