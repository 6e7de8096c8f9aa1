package io.moonshard.controller.model;

import java.util.List;
import java.util.Objects;

/**
 * A move of slot ranges from one shard's master to another's, driven by the proxies' migration engine
 * (undermoon's MIGRATING/IMPORTING tags). {@code startedRevision} is the store revision of the write
 * that tagged it, whose epoch the proxies report in {@code UMCTL INFOMGR}.
 */
public record SlotMove(int fromShard, int toShard, List<String> ranges, long startedRevision) {

    public SlotMove {
        ranges = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
    }
}
