package io.moonshard.server;

import io.lettuce.core.cluster.SlotHash;

/**
 * Keys for chosen slots, computed with Lettuce's own slot function so tests do not grade Moonshard's
 * CRC16 with itself.
 */
final class Slots {

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
    static String keyIn(int slot, String prefix) {
        return prefix + "{" + TAG_FOR_SLOT[slot] + "}";
    }

    static int slotOf(String key) {
        return SlotHash.getSlot(key);
    }
}
