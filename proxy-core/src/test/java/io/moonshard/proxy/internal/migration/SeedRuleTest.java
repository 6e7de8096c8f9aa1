package io.moonshard.proxy.internal.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a move seeds its destination by replication, and why not otherwise. */
class SeedRuleTest {

    /** Half of every slot of a 200,000-key source into an empty destination that owns nothing. */
    private static SeedRule.Facts seedable() {
        return new SeedRule.Facts(true, 0, 200_000, 8192, 16384, 0, false, false, false, true);
    }

    @Test
    void anEmptyDestination_halfTheSlots_aBigSource_isSeeded() {
        assertThat(SeedRule.refusal(seedable())).isNull();
        // a third of the source's slots is enough; a source of exactly the minimum too
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, SeedRule.MIN_SOURCE_KEYS, 5462, 16384, 0, false, false,
                false, true))).isNull();
    }

    @Test
    void everyConditionRefusesOnItsOwn() {
        SeedRule.Facts f = seedable();
        assertThat(SeedRule.refusal(new SeedRule.Facts(false, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                false, false, false, true))).isEqualTo("seed_by_replication_off");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 10_000, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                false, false, false, true))).isEqualTo("copy_budget_set");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                false, false, true, true))).isEqualTo("cluster_enabled_backend");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                false, false, false, false))).isEqualTo("not_both_masters");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 1,
                false, false, false, true))).isEqualTo("destination_not_empty");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                true, false, false, true))).isEqualTo("destination_owns_slots");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), f.movingSlots(), f.sourceSlots(), 0,
                false, true, false, true))).isEqualTo("other_tasks_running");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, SeedRule.MIN_SOURCE_KEYS - 1, f.movingSlots(),
                f.sourceSlots(), 0, false, false, false, true))).isEqualTo("source_under_50000_keys");
        assertThat(SeedRule.refusal(new SeedRule.Facts(true, 0, f.sourceKeys(), 5461, 16384, 0, false, false, false,
                true))).isEqualTo("under_a_third_of_the_source_slots");
    }
}
