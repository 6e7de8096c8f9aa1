package io.moonshard.cluster.topology;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who replicates whom, as the CLUSTER replies show it: for each proxy that hosts a master (a shard of
 * the snapshot), the proxies hosting replicas of that master, each with its Redis node, replication
 * offset and health, plus the master's own offset. SETCLUSTER lists masters only; this comes from the
 * SETREPL metadata of this proxy and of its peers ({@code UMCTL INFOREPL}), gathered off the event
 * loops and replaced whole. Never mutated after construction.
 *
 * @param shards master proxy address -> its shard's replication facts, in no particular order
 */
public record ReplicaDirectory(Map<String, Shard> shards) {

    /** No replica known: every proxy is shown as a lone master, as undermoon does. */
    public static final ReplicaDirectory EMPTY = new ReplicaDirectory(Map.of());

    /**
     * Redis 7.0's {@code health} of a node in CLUSTER SHARDS, with its wire text. A replica is listed
     * in CLUSTER SLOTS only when {@link #ONLINE}, as Redis lists only replicas that are not failed and
     * have a non-zero offset (which is what {@code online} means for a replica).
     */
    public enum Health {
        /** Replicating, with data: clients may read from it. */
        ONLINE("online"),
        /** Known as a replica, not (yet) in sync: a full sync, no link to its master, or not a replica yet. */
        LOADING("loading"),
        /** Unreachable, or no longer a replica of that master (promoted): Redis's {@code fail} flag. */
        FAIL("fail");

        private final String text;

        Health(String text) {
            this.text = text;
        }

        /** As CLUSTER SHARDS writes it. */
        public String text() {
            return text;
        }
    }

    /**
     * One replica of a shard's master.
     *
     * @param proxy  the proxy in front of the replica Redis: the address clients are shown
     * @param node   the replica Redis itself
     * @param offset its replication offset, or -1 when unknown
     * @param health what CLUSTER SHARDS says of it
     */
    public record Replica(String proxy, String node, long offset, Health health) {
    }

    /**
     * The replication facts of one master proxy.
     *
     * @param masterOffset the master's replication offset, or -1 when unknown
     * @param replicas     its replicas, one per hosting proxy, ordered by proxy address
     */
    public record Shard(long masterOffset, List<Replica> replicas) {
        public Shard {
            replicas = List.copyOf(replicas);
        }
    }

    public ReplicaDirectory {
        shards = Collections.unmodifiableMap(new LinkedHashMap<>(shards));
    }

    /** The replicas of the master behind proxy {@code masterProxy}; empty when none is known. */
    public List<Replica> replicasOf(String masterProxy) {
        Shard shard = shards.get(masterProxy);
        return shard == null ? List.of() : shard.replicas();
    }

    /** The replication offset of the master behind {@code masterProxy}, or -1 when unknown. */
    public long masterOffset(String masterProxy) {
        Shard shard = shards.get(masterProxy);
        return shard == null ? -1 : shard.masterOffset();
    }
}
