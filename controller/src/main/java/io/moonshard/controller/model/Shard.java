package io.moonshard.controller.model;

import java.util.List;
import java.util.Objects;

/**
 * One master and its replicas, and the slots the master owns, as ranges {@code "start-end"} (inclusive,
 * normalised: sorted, disjoint, not adjacent). A shard being drained may own no slot.
 */
public record Shard(int id, NodeRef master, List<NodeRef> replicas, List<String> slots) {

    public Shard {
        Objects.requireNonNull(master, "master");
        replicas = List.copyOf(replicas);
        slots = List.copyOf(slots);
    }

    public Shard withMaster(NodeRef newMaster, List<NodeRef> newReplicas) {
        return new Shard(id, newMaster, newReplicas, slots);
    }

    public Shard withSlots(List<String> newSlots) {
        return new Shard(id, master, replicas, newSlots);
    }
}
