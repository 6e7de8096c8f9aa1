package io.moonshard.controller.model;

import java.util.Objects;

/**
 * A failover decided and written to the store with the record, not yet confirmed by the promoted node's
 * proxy: the controller (this one, or a standby after it) sends {@code UMCTL PROMOTE <epoch> <node>
 * MINOFFSET <minOffset>} with {@code epoch = Epochs.promotion(revision of that record)} until the proxy
 * answers {@code +OK} or {@code -OLD_EPOCH} (done before), and only then pushes the record's metadata.
 * Any later write of the record drops its promotions (they were done before it could be written).
 * {@code detectedAtMillis} is when the failure was seen (wall clock, for the time-to-failover metric).
 */
public record Promotion(int shard, NodeRef node, long minOffset, long detectedAtMillis) {

    public Promotion {
        Objects.requireNonNull(node, "node");
    }
}
