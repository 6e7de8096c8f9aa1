package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.Shard;
import java.time.Duration;

/**
 * The controller's timings and credentials.
 *
 * @param probeInterval         how often each proxy is probed (and its lease renewed)
 * @param tick                  how often the leader looks at everything and acts
 * @param proxyTimeout          connect and reply timeout towards a proxy
 * @param proxyLeaseTtl         the lease granted to each proxy: it stops serving that long after the last
 *                              renewal it took; a proxy that stopped answering is failed over only after it
 *                              (longer than a controller takeover, so a leader's death fences nobody)
 * @param redisDownAfter        a master Redis reported down by its live proxy this long is failed over
 * @param slotlessMasterDownAfter the same for the master of a shard that owns no slot: it serves no client, so
 *                              nothing is gained by replacing it fast, and the master of a new shard being
 *                              seeded by replication loads its source's whole data set meanwhile, answering
 *                              its proxy's probes late or not at all for seconds
 * @param proxyDownAfter        a proxy must also have been silent this long, so one slow answer on a busy
 *                              machine does not fail it over
 * @param leaderTtl             the leader's etcd lease
 * @param proxyAdminPassword    the proxies' admin password (null: none)
 * @param clusterSecret         the proxies' cluster secret, for the peer commands they exchange (unused by the
 *                              controller itself; recorded so `describe` can say whether one is set)
 * @param maxConcurrentMoves    slot moves running at once per cluster while scaling
 */
public record ControllerSettings(Duration probeInterval, Duration tick, Duration proxyTimeout, Duration proxyLeaseTtl,
                                 Duration redisDownAfter, Duration slotlessMasterDownAfter, Duration proxyDownAfter,
                                 Duration leaderTtl, String proxyAdminPassword, String clusterSecret, int maxConcurrentMoves) {

    public static ControllerSettings defaults() {
        return new ControllerSettings(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(500),
                Duration.ofMillis(3_000), Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMillis(2_000),
                Duration.ofSeconds(2), null, null, 2);
    }

    /** How long a master of {@code shard} must be reported down before it is failed over. */
    public Duration masterDownAfter(Shard shard) {
        return shard.slots().isEmpty() ? slotlessMasterDownAfter : redisDownAfter;
    }

    /**
     * How long after the last renewal sent a silent proxy is surely fenced (docs/operations.md, "Lease
     * fencing"): the TTL; plus the round trip of an acknowledged renewal, bounded by the probe timeout;
     * plus the clocks' drift, at most 0.2% of the TTL here (we allow 2%), and a millisecond.
     */
    public long fencedAfterNanos() {
        long ttl = proxyLeaseTtl.toNanos();
        return ttl + proxyTimeout.toNanos() + ttl / 50 + Duration.ofMillis(1).toNanos();
    }
}
