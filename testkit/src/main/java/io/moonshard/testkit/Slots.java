package io.moonshard.testkit;

import io.lettuce.core.cluster.SlotHash;

/**
 * Keys for chosen slots, computed with Lettuce's own slot function so tests do not grade Moonshard's
 * CRC16 with itself (testkit cannot see Moonshard's {@code SlotHash} anyway: cluster-protocol's tests
 * use testkit).
 */
public final class Slots {

    /** The number of hash slots, 16384. */
    public static final int SLOT_COUNT = SlotHash.SLOT_COUNT;

    private static final String[] TAG_FOR_SLOT = new String[SlotHash.SLOT_COUNT];

    static {
        int found = 0;
        for (int i = 0; found < SlotHash.SLOT_COUNT; i++) {
            String tag = "t" + i;
            int slot = SlotHash.getSlot(tag);
            if (TAG_FOR_SLOT[slot] == null) {
                TAG_FOR_SLOT[slot] = tag;
                found++;
            }
        }
    }

    private Slots() {
    }

    /** A key in {@code slot}: {@code <prefix>{<tag>}}. */
    public static String keyIn(int slot, String prefix) {
        return prefix + "{" + TAG_FOR_SLOT[slot] + "}";
    }

    /** {@code key}'s slot, by Lettuce. */
    public static int slotOf(String key) {
        return SlotHash.getSlot(key);
    }
}
