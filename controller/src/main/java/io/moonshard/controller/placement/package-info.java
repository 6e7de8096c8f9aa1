/**
 * Pure, deterministic planning over cluster records: where a new cluster's masters and replicas go
 * ({@link io.moonshard.controller.placement.Placement}, {@link io.moonshard.controller.placement.SlotSplit}),
 * which replica a failover promotes ({@link io.moonshard.controller.placement.FailoverPlan}), which
 * planned switchovers even out masters over hosts ({@link io.moonshard.controller.placement.Rebalance}),
 * and the slot moves of a change in the number of shards ({@link io.moonshard.controller.placement.ScalePlan}).
 * Inputs are records and the pool's proxies; outputs are new records and decisions to write. No I/O,
 * no clock, no randomness: the same input gives the same plan on every controller.
 */
package io.moonshard.controller.placement;
