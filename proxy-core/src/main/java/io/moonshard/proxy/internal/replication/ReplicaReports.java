package io.moonshard.proxy.internal.replication;

import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.topology.ReplicaDirectory.Health;
import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.cluster.umctl.SetReplRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the {@link ReplicaDirectory} from what one poll gathered: each proxy's SETREPL entries with
 * what its replication engine says of them, as {@code UMCTL INFOREPL} prints them (this proxy's own
 * read in-process, the peers' over the wire). Pure: the same reports give the same directory, so
 * every proxy that gathered the same reports shows the same replicas, this proxy's own included.
 *
 * <p>Who replicates whom is the union of every side's claims: a master entry of proxy P says "my master
 * has a replica R at proxy Q", a replica entry of proxy Q says "my R replicates a master at proxy P" (the
 * first master listed, the one undermoon replicates from). Either side alone is enough, so a replica is
 * still shown while its master's proxy is down, or before one side got its SETREPL. A proxy hosting
 * several replicas of one proxy's masters is one replica entry (the smallest node address speaks for it).
 *
 * <p>How a replica is doing is said by the proxy hosting it, and only by it: its INFOREPL entry's
 * Moonshard lines ({@code state:}, {@code offset:}, {@code link:}) when printed, else {@code online}
 * (undermoon's INFOREPL says nothing more than the roles); {@code fail} when that proxy did not answer;
 * {@code loading} when it answered without an entry for the replica (its SETREPL has not come yet) or was
 * not asked yet.
 */
final class ReplicaReports {

    private ReplicaReports() {
    }

    /** One "R at Q replicates the master behind P" said by somebody. */
    private record Claim(String masterProxy, String replicaProxy, String replicaNode) {
    }

    /**
     * @param cluster the snapshot's cluster name: entries of other clusters (free nodes) are ignored
     * @param reports each proxy asked, this one included: its INFOREPL entries, or null when it did not
     *                answer with them
     */
    static ReplicaDirectory directory(String cluster, Map<String, List<InfoReplEntry>> reports) {
        Set<Claim> claims = new LinkedHashSet<>();
        Map<String, Long> masterOffsets = new TreeMap<>();
        reports.forEach((proxy, entries) -> {
            if (entries == null) {
                return;
            }
            for (InfoReplEntry e : entries) {
                if (!e.cluster().equals(cluster)) {
                    continue;
                }
                if (e.master()) {
                    for (SetReplRequest.Peer replica : e.peers()) {
                        claims.add(new Claim(proxy, replica.proxyAddress(), replica.nodeAddress()));
                    }
                    if (e.offset() >= 0) {
                        masterOffsets.putIfAbsent(proxy, e.offset());
                    }
                } else if (!e.peers().isEmpty()) {
                    claims.add(new Claim(e.peers().get(0).proxyAddress(), proxy, e.node()));
                }
            }
        });

        // master proxy -> replica proxy -> the node speaking for it (the smallest address)
        Map<String, Map<String, String>> byMaster = new TreeMap<>();
        for (Claim c : claims) {
            if (c.masterProxy().equals(c.replicaProxy())) {
                continue; // a replica behind its master's own proxy cannot be shown apart from that master
            }
            byMaster.computeIfAbsent(c.masterProxy(), p -> new TreeMap<>())
                    .merge(c.replicaProxy(), c.replicaNode(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
        Map<String, ReplicaDirectory.Shard> shards = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> e : byMaster.entrySet()) {
            List<ReplicaDirectory.Replica> replicas = new ArrayList<>();
            e.getValue().forEach((proxy, node) -> replicas.add(replica(cluster, proxy, node, reports)));
            replicas.sort(Comparator.comparing(ReplicaDirectory.Replica::proxy));
            shards.put(e.getKey(), new ReplicaDirectory.Shard(masterOffsets.getOrDefault(e.getKey(), -1L), replicas));
        }
        masterOffsets.forEach((proxy, offset) -> shards.putIfAbsent(proxy, new ReplicaDirectory.Shard(offset, List.of())));
        return shards.isEmpty() ? ReplicaDirectory.EMPTY : new ReplicaDirectory(shards);
    }

    /** The replica {@code node} at {@code proxy}, as the proxy hosting it says it is doing. */
    private static ReplicaDirectory.Replica replica(String cluster, String proxy, String node,
                                                    Map<String, List<InfoReplEntry>> reports) {
        if (!reports.containsKey(proxy)) {
            return new ReplicaDirectory.Replica(proxy, node, -1, Health.LOADING); // not asked yet: next poll
        }
        List<InfoReplEntry> entries = reports.get(proxy);
        if (entries == null) {
            return new ReplicaDirectory.Replica(proxy, node, -1, Health.FAIL);
        }
        for (InfoReplEntry e : entries) {
            if (!e.master() && e.node().equals(node) && e.cluster().equals(cluster)) {
                return new ReplicaDirectory.Replica(proxy, node, e.offset(), health(e));
            }
        }
        return new ReplicaDirectory.Replica(proxy, node, -1, Health.LOADING);
    }

    /**
     * A replica entry as a health: its {@code state:} line when printed ({@code in_sync} is online; down,
     * or no longer a replica, is fail; anything on the way, {@code parked} and {@code held} included, is
     * loading), else its {@code link:} line, else online. A known offset of 0 is loading, as Redis has it.
     */
    static Health health(InfoReplEntry e) {
        Health health;
        if (e.state() != null) {
            health = switch (e.state()) {
                case "in_sync" -> Health.ONLINE;
                case "down", "promoted", "master" -> Health.FAIL;
                default -> Health.LOADING; // unknown, connecting, syncing, parked, held, and later states
            };
        } else if (e.link() != null) {
            health = e.link() ? Health.ONLINE : Health.LOADING;
        } else {
            health = Health.ONLINE;
        }
        return health == Health.ONLINE && e.offset() == 0 ? Health.LOADING : health;
    }

    /** Every proxy the reports name (hosting a master or a replica), so the next poll asks them too. */
    static Set<String> proxiesNamed(Map<String, List<InfoReplEntry>> reports) {
        Set<String> out = new LinkedHashSet<>();
        reports.forEach((proxy, entries) -> {
            if (entries != null) {
                entries.forEach(e -> e.peers().forEach(p -> out.add(p.proxyAddress())));
            }
        });
        return out;
    }

    /**
     * This proxy's SETREPL entries as its own INFOREPL prints them, with the replication engine's state
     * of each ({@code unknown} before its first probe).
     */
    static List<InfoReplEntry> own(List<SetReplRequest.Node> entries, List<ReplicationEngine.Status> statuses) {
        Map<SetReplRequest.Node, ReplicationEngine.Status> byEntry = new LinkedHashMap<>();
        for (ReplicationEngine.Status st : statuses) {
            byEntry.put(st.entry(), st);
        }
        List<InfoReplEntry> out = new ArrayList<>(entries.size());
        for (SetReplRequest.Node n : entries) {
            ReplicationEngine.Status st = byEntry.get(n);
            out.add(st == null
                    ? new InfoReplEntry(n.master(), n.clusterName(), n.address(), n.peers(), "unknown", -1,
                            n.master() ? null : Boolean.FALSE)
                    : new InfoReplEntry(n.master(), n.clusterName(), n.address(), n.peers(), st.state(), st.offset(),
                            n.master() ? null : st.linkUp()));
        }
        return out;
    }
}
