package io.moonshard.controller.render;

import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.cluster.umctl.SetClusterCommand;
import io.moonshard.cluster.umctl.SetReplCommand;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each proxy of a cluster is sent for the record written at store revision {@code r}, both at
 * epoch {@link Epochs#metadata}{@code (r)}:
 *
 * <ul>
 *   <li>SETREPL: every node the proxy serves in the cluster, its masters then its replicas, each in
 *       shard order (operations.md's layout); a master lists its replicas ({@code <node> <proxy>}
 *       each), a replica its master;</li>
 *   <li>SETCLUSTER: the masters on the proxy as local entries with their slots, every other proxy
 *       serving a master as a PEER with the union of its masters' slots (a proxy that serves only
 *       replicas gets no local entry, only peers). Each move of {@link ClusterRecord#moves()} is tagged
 *       {@code MIGRATING} at the source master and {@code IMPORTING} at the destination's, locally and
 *       in PEER sections, with the meta {@code <epoch(startedRevision)> <src proxy> <src node> <dst proxy>
 *       <dst node>}.</li>
 * </ul>
 *
 * <p>While a move is open its ranges are still the source shard's ({@link Shard#slots()}): the source
 * owns them until the commit write moves them, as testkit's MigrationCoordinator keeps its layout. So
 * the source's stable entry is its slots minus the moving ranges, and the destination's its own slots.
 * Local entries come in shard order, PEER entries by the lowest shard id each proxy is master of.
 */
public final class MetadataRenderer {

    /** What one proxy is sent: SETREPL first, then SETCLUSTER (each the arguments after the subcommand). */
    public record ProxyMetadata(String proxy, long epoch, List<String> setRepl, List<String> setCluster) {
        public ProxyMetadata {
            setRepl = List.copyOf(setRepl);
            setCluster = List.copyOf(setCluster);
        }
    }

    private MetadataRenderer() {
    }

    /** Every proxy's metadata, in {@link #pushOrder} order. */
    public static List<ProxyMetadata> render(ClusterRecord record, long revision) {
        List<ProxyMetadata> out = new ArrayList<>();
        for (String proxy : pushOrder(record)) {
            out.add(render(record, revision, proxy));
        }
        return out;
    }

    public static ProxyMetadata render(ClusterRecord record, long revision, String proxy) {
        return new ProxyMetadata(proxy, Epochs.metadata(revision), setRepl(record, revision, proxy),
                setCluster(record, revision, proxy));
    }

    /** The arguments after {@code UMCTL SETREPL} for {@code proxy}. */
    public static List<String> setRepl(ClusterRecord record, long revision, String proxy) {
        return SetReplCommand.args(replication(record, revision, proxy));
    }

    /**
     * As {@link #setRepl(ClusterRecord, long, String)}, plus each node of {@code proxy} that serves no
     * shard as a free master with an empty cluster name, as undermoon's coordinator sends one: a node
     * that left a shard stops replicating.
     */
    public static List<String> setRepl(ClusterRecord record, long revision, ProxyRecord proxy) {
        SetReplRequest served = replication(record, revision, proxy.address());
        Set<String> used = new LinkedHashSet<>();
        served.nodes().forEach(n -> used.add(n.address()));
        List<SetReplRequest.Node> nodes = new ArrayList<>(served.nodes());
        for (String node : proxy.nodes()) {
            if (!used.contains(node)) {
                nodes.add(new SetReplRequest.Node(true, "", node, List.of()));
            }
        }
        return SetReplCommand.args(served.epoch(), false, nodes);
    }

    /** The SETREPL {@code proxy} gets, as the parsed request it reads back as. */
    public static SetReplRequest replication(ClusterRecord record, long revision, String proxy) {
        List<SetReplRequest.Node> nodes = new ArrayList<>();
        for (Shard s : record.shards()) {
            NodeRef m = s.master();
            if (m.proxy().equals(proxy)) {
                List<SetReplRequest.Peer> replicas = new ArrayList<>();
                for (NodeRef r : s.replicas()) {
                    replicas.add(new SetReplRequest.Peer(r.node(), r.proxy()));
                }
                nodes.add(new SetReplRequest.Node(true, record.name(), m.node(), replicas));
            }
        }
        for (Shard s : record.shards()) {
            NodeRef m = s.master();
            for (NodeRef r : s.replicas()) {
                if (r.proxy().equals(proxy)) {
                    nodes.add(new SetReplRequest.Node(false, record.name(), r.node(),
                            List.of(new SetReplRequest.Peer(m.node(), m.proxy()))));
                }
            }
        }
        return new SetReplRequest(Epochs.metadata(revision), false, nodes);
    }

    /** The arguments after {@code UMCTL SETCLUSTER} for {@code proxy}. */
    public static List<String> setCluster(ClusterRecord record, long revision, String proxy) {
        return SetClusterCommand.args(snapshot(record, revision, proxy));
    }

    /**
     * The snapshot {@code proxy} holds once it applied its SETCLUSTER.
     *
     * @throws IllegalArgumentException when a move names a shard that does not exist, moves slots its
     *                                  source does not own, or slots its destination already owns
     */
    public static ClusterSnapshot snapshot(ClusterRecord record, long revision, String proxy) {
        Map<Integer, SlotSet> migrating = new LinkedHashMap<>();
        for (SlotMove m : record.moves()) {
            Shard from = shard(record, m.fromShard(), m);
            Shard to = shard(record, m.toShard(), m);
            SlotSet ranges = SlotRanges.parse(m.ranges());
            if (!ranges.minus(SlotRanges.parse(from.slots())).isEmpty()) {
                throw new IllegalArgumentException("move " + m + ": shard " + from.id() + " does not own "
                        + ranges.minus(SlotRanges.parse(from.slots())));
            }
            if (!ranges.minus(SlotRanges.parse(to.slots())).equals(ranges)) {
                throw new IllegalArgumentException("move " + m + ": shard " + to.id() + " already owns some of " + ranges);
            }
            migrating.merge(from.id(), ranges, SlotSet::union);
        }
        Map<String, List<SlotAssignment>> local = new LinkedHashMap<>();
        Map<String, List<SlotAssignment>> peers = new LinkedHashMap<>();
        for (Shard s : record.shards()) {
            SlotSet stable = SlotRanges.parse(s.slots()).minus(migrating.getOrDefault(s.id(), SlotSet.empty()));
            entryOf(s.master(), proxy, local, peers).add(SlotAssignment.stable(stable));
        }
        for (SlotMove m : record.moves()) {
            NodeRef src = record.shard(m.fromShard()).orElseThrow().master();
            NodeRef dst = record.shard(m.toShard()).orElseThrow().master();
            MigrationMeta meta = new MigrationMeta(Epochs.metadata(m.startedRevision()), src.proxy(), src.node(),
                    dst.proxy(), dst.node());
            SlotSet ranges = SlotRanges.parse(m.ranges());
            entryOf(src, proxy, local, peers).add(new SlotAssignment(ranges, RangeTag.MIGRATING, meta));
            entryOf(dst, proxy, local, peers).add(new SlotAssignment(ranges, RangeTag.IMPORTING, meta));
        }
        return new ClusterSnapshot(record.name(), Epochs.metadata(revision), merged(local), merged(peers),
                ClusterConfig.DEFAULT, true);
    }

    /** The local entry of {@code master}'s node when it is on {@code proxy}, else its proxy's PEER entry. */
    private static List<SlotAssignment> entryOf(NodeRef master, String proxy, Map<String, List<SlotAssignment>> local,
                                                Map<String, List<SlotAssignment>> peers) {
        return master.proxy().equals(proxy)
                ? local.computeIfAbsent(master.node(), k -> new ArrayList<>())
                : peers.computeIfAbsent(master.proxy(), k -> new ArrayList<>());
    }

    /** One stable assignment per address (a PEER proxy with two masters: the union), then the tagged ones. */
    private static Map<String, List<SlotAssignment>> merged(Map<String, List<SlotAssignment>> in) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        in.forEach((address, list) -> {
            SlotSet stable = SlotSet.empty();
            List<SlotAssignment> tagged = new ArrayList<>();
            for (SlotAssignment a : list) {
                if (a.tag() == RangeTag.NONE) {
                    stable = stable.union(a.slots());
                } else {
                    tagged.add(a);
                }
            }
            List<SlotAssignment> all = new ArrayList<>();
            if (!stable.isEmpty() || tagged.isEmpty()) {
                all.add(SlotAssignment.stable(stable));
            }
            all.addAll(tagged);
            out.put(address, all);
        });
        return out;
    }

    private static Shard shard(ClusterRecord record, int id, SlotMove m) {
        return record.shard(id).orElseThrow(() -> new IllegalArgumentException("move " + m + ": no shard " + id));
    }

    /**
     * The order to push a record's metadata in: proxies importing a slot first (a destination must know
     * of a move before its source starts it), then the proxies the moves do not involve, the sources
     * last. A proxy that imports one move and is the source of another counts as importing. Within
     * each group, the record's proxy order, then any other serving proxy by address.
     */
    public static List<String> pushOrder(ClusterRecord record) {
        Set<String> all = new LinkedHashSet<>(record.proxies());
        all.addAll(new TreeSet<>(record.servingProxies()));
        Set<String> importing = new LinkedHashSet<>();
        Set<String> sources = new LinkedHashSet<>();
        for (SlotMove m : record.moves()) {
            record.shard(m.toShard()).ifPresent(s -> importing.add(s.master().proxy()));
            record.shard(m.fromShard()).ifPresent(s -> sources.add(s.master().proxy()));
        }
        List<String> first = new ArrayList<>();
        List<String> middle = new ArrayList<>();
        List<String> last = new ArrayList<>();
        for (String p : all) {
            if (importing.contains(p)) {
                first.add(p);
            } else if (sources.contains(p)) {
                last.add(p);
            } else {
                middle.add(p);
            }
        }
        List<String> out = new ArrayList<>(first);
        out.addAll(middle);
        out.addAll(last);
        return out;
    }
}
