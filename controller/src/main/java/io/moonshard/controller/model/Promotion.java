package io.moonshard.controller.model;

import java.util.Objects;

/**
 * A failover decided and written to the store, not yet confirmed by the promoted node's proxy: the
 * controller (this one, or a standby after it) sends {@code UMCTL PROMOTE <epoch> <node> MINOFFSET
 * <minOffset>} until the proxy answers {@code +OK} or {@code -OLD_EPOCH} (done before), then pushes the
 * metadata. {@code decidedRevision} fixes the promotion's epoch, so a re-send is recognised as the same.
 */
public record Promotion(int shard, NodeRef node, long minOffset, long decidedRevision, long detectedAtMillis) {

    public Promotion {
        Objects.requireNonNull(node, "node");
    }
}
