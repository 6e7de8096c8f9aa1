package io.moonshard.proxy.internal.migration;

/**
 * When a move seeds an empty destination by replication instead of copying keys one by one: the
 * source's choice after PRECHECK, from what it knows then. Pure: {@link #refusal} of {@link Facts}.
 *
 * <p>A seed ({@code REPLICAOF} of the destination's Redis to the source's, a full sync, the promotion at
 * the fence) copies <em>every</em> key of the source, and the destination then deletes those of slots it
 * does not import. On this project's 2-core box a full sync loads about 3.7 µs of the destination's
 * thread per key the source holds, while the key copy costs the source about 1.3 µs per key held (SCAN)
 * plus about 7 µs per key moved, its thread being the bound (docs/performance.md). So a seed is the
 * faster way once the moving slots hold more than about a third of the source's keys
 * ({@value #MIN_SLOTS_PART_DENOMINATOR}: slots stand in for keys, spread evenly by the hash), and only
 * worth its fork and its purge for a source of at least {@value #MIN_SOURCE_KEYS} keys.
 *
 * <p>The rest is what makes it safe:
 * <ul>
 *   <li>the destination's Redis is empty in database 0 and its proxy owns no stable slot: a full sync
 *       replaces all of its data, and no client may write to it while it is a replica;</li>
 *   <li>no other task moves slots into or out of either proxy (the destination's database 1 holds no
 *       other task's register, and nothing else writes there);</li>
 *   <li>both Redis are plain masters (a cluster-enabled Redis refuses REPLICAOF);</li>
 *   <li>no copy budget is set: a full sync cannot be paced, and a budget asks for a gentle move;</li>
 *   <li>the live setting {@code moonshard-migration-seed-by-replication} is {@code yes}.</li>
 * </ul>
 */
final class SeedRule {

    static final long MIN_SOURCE_KEYS = 50_000;
    /** The moving slots must be at least 1 / this of the source node's slots. */
    static final int MIN_SLOTS_PART_DENOMINATOR = 3;

    private SeedRule() {
    }

    /**
     * What the source knows when it chooses.
     *
     * @param enabled              the live setting
     * @param keysPerSecond        the copy budget (0: none)
     * @param sourceKeys           DBSIZE of the source's Redis
     * @param movingSlots          slots this task moves
     * @param sourceSlots          slots the source node serves now (stable and migrating)
     * @param destinationKeys      DBSIZE of the destination's Redis
     * @param destinationOwnsSlots the destination proxy has a stable slot in the source's snapshot
     * @param otherTasks           another task runs on this proxy
     * @param clusterEnabled       either Redis is cluster-enabled
     * @param bothMasters          both Redis answer {@code role:master}
     */
    record Facts(boolean enabled, long keysPerSecond, long sourceKeys, int movingSlots, int sourceSlots,
                 long destinationKeys, boolean destinationOwnsSlots, boolean otherTasks, boolean clusterEnabled,
                 boolean bothMasters) {
    }

    /** Null when the move seeds by replication; else why it copies keys (for the log and INFOMGR). */
    static String refusal(Facts f) {
        if (!f.enabled()) {
            return "seed_by_replication_off";
        }
        if (f.keysPerSecond() > 0) {
            return "copy_budget_set";
        }
        if (f.clusterEnabled()) {
            return "cluster_enabled_backend";
        }
        if (!f.bothMasters()) {
            return "not_both_masters";
        }
        if (f.destinationKeys() != 0) {
            return "destination_not_empty";
        }
        if (f.destinationOwnsSlots()) {
            return "destination_owns_slots";
        }
        if (f.otherTasks()) {
            return "other_tasks_running";
        }
        if (f.sourceKeys() < MIN_SOURCE_KEYS) {
            return "source_under_" + MIN_SOURCE_KEYS + "_keys";
        }
        if ((long) f.movingSlots() * MIN_SLOTS_PART_DENOMINATOR < f.sourceSlots()) {
            return "under_a_third_of_the_source_slots";
        }
        return null;
    }
}
