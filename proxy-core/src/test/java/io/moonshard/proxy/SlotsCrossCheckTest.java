package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.Slots;
import org.junit.jupiter.api.Test;

/**
 * testkit's {@link Slots} (and so {@link AckLedger}'s keys) computes slots with Lettuce's function;
 * Moonshard's {@link SlotHash} must agree with it on every key the tests use.
 */
class SlotsCrossCheckTest {

    @Test
    void moonshardAndLettuceAgreeOnTheSlotOfEveryTestKey() {
        for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
            String key = Slots.keyIn(slot, "k");
            assertThat(SlotHash.slot(key)).as("Moonshard's slot of %s", key).isEqualTo(slot);
            assertThat(Slots.slotOf(key)).as("Lettuce's slot of %s", key).isEqualTo(slot);
        }
        for (String key : AckLedger.keysInSlots("ledger", 512, new int[] {0, 16383})) {
            assertThat(SlotHash.slot(key)).as("Moonshard's slot of %s", key).isEqualTo(Slots.slotOf(key));
        }
    }
}
