package io.moonshard.cluster.render;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CLUSTER replies one proxy gives for one snapshot, shaped like Redis 7.0's: every proxy is a
 * master, the proxy itself is {@code myself}, and each slot has exactly one owner (the snapshot's
 * shown owners). The replicas of each proxy's master ({@code replicas}, from the SETREPL metadata) are
 * shown as Redis shows replicas, each under the address of the proxy that hosts it: a proxy hosting a
 * master and a replica of another proxy's master appears twice, once as each, with two node IDs. Text
 * replies are returned as strings; array replies are written as RESP2.
 *
 * @param snapshot the cluster metadata
 * @param announce this proxy's announced {@code host:port}
 * @param style    how node IDs are formed
 * @param busPort  print {@code host:port@port} in CLUSTER NODES (undermoon's v2 form) instead of {@code host:port}
 * @param portOffset added to every proxy's port where an address is shown (NODES, SLOTS, SHARDS); node IDs
 *                 still come from the addresses as given. 0 for plain clients; for TLS clients, the
 *                 cluster-wide offset between TLS and plain ports, so they are shown TLS ports
 * @param replicas the replicas to show with each master proxy; {@link ReplicaDirectory#EMPTY} shows every
 *                 proxy as a lone master (undermoon's replies)
 */
public record ClusterView(ClusterSnapshot snapshot, String announce, NodeIdStyle style, boolean busPort,
                          int portOffset, ReplicaDirectory replicas) {

    /** The view plain clients get: addresses as given, no replicas. */
    public ClusterView(ClusterSnapshot snapshot, String announce, NodeIdStyle style, boolean busPort) {
        this(snapshot, announce, style, busPort, 0);
    }

    /** No replicas shown. */
    public ClusterView(ClusterSnapshot snapshot, String announce, NodeIdStyle style, boolean busPort,
                       int portOffset) {
        this(snapshot, announce, style, busPort, portOffset, ReplicaDirectory.EMPTY);
    }

    /** This view with {@code directory}'s replicas shown. */
    public ClusterView withReplicas(ReplicaDirectory directory) {
        return new ClusterView(snapshot, announce, style, busPort, portOffset, directory);
    }

    /** One proxy and the slots shown for it; the first node is this proxy. */
    public record Node(String id, String address, String host, int port, SlotSet slots, boolean myself) {
    }

    /**
     * A replica of a shard's master, shown at the address of the proxy hosting it.
     *
     * @param masterId the ID of the shard's master (the proxy in front of the master Redis)
     * @param myself   this proxy hosts it (not printed as {@code myself}: see {@link #clusterNodes()})
     * @param offset   its replication offset, 0 when unknown
     */
    public record ReplicaNode(String id, String address, String host, int port, String masterId, boolean myself,
                              long offset, ReplicaDirectory.Health health) {

        boolean failed() {
            return health == ReplicaDirectory.Health.FAIL;
        }
    }

    /** A master proxy with its replicas: one shard in Redis's terms. */
    public record Shard(Node master, long masterOffset, List<ReplicaNode> replicas) {
    }

    /** This proxy, then each peer proxy in SETCLUSTER order. */
    public List<Node> nodes() {
        List<Node> out = new ArrayList<>();
        out.add(node(announce, snapshot.shownLocalSlots(), true));
        for (Map.Entry<String, SlotSet> e : snapshot.shownPeerSlots().entrySet()) {
            out.add(node(e.getKey(), e.getValue(), false));
        }
        return out;
    }

    /**
     * Every shard in {@link #nodes()} order, each master with its known replicas (a replica at the
     * master's own proxy is left out: it would be one address shown as master and replica of itself).
     */
    public List<Shard> shards() {
        List<Node> masters = nodes();
        List<String> addresses = new ArrayList<>(masters.size());
        addresses.add(announce);
        addresses.addAll(snapshot.shownPeerSlots().keySet());
        List<Shard> out = new ArrayList<>(masters.size());
        for (int i = 0; i < masters.size(); i++) {
            Node master = masters.get(i);
            String masterAddress = addresses.get(i);
            List<ReplicaNode> shown = new ArrayList<>();
            for (ReplicaDirectory.Replica r : replicas.replicasOf(masterAddress)) {
                if (!r.proxy().equals(masterAddress)) {
                    shown.add(replicaNode(r, masterAddress, master.id()));
                }
            }
            out.add(new Shard(master, Math.max(0, replicas.masterOffset(masterAddress)), shown));
        }
        return out;
    }

    private Node node(String address, SlotSet slots, boolean myself) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1)) + portOffset;
        String id = style.nodeId(snapshot.name(), address);
        return new Node(id, portOffset == 0 ? address : host + ":" + port, host, port, slots, myself);
    }

    private ReplicaNode replicaNode(ReplicaDirectory.Replica r, String masterAddress, String masterId) {
        String address = r.proxy();
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1)) + portOffset;
        String id = style.replicaNodeId(snapshot.name(), address, masterAddress);
        return new ReplicaNode(id, portOffset == 0 ? address : host + ":" + port, host, port, masterId,
                address.equals(announce), Math.max(0, r.offset()), r.health());
    }

    /** {@code CLUSTER MYID}. */
    public String myId() {
        return style.nodeId(snapshot.name(), announce);
    }

    /**
     * {@code CLUSTER NODES}: one line per proxy, each ending in {@code \n}:
     * {@code <id> <host:port> myself,master - 0 0 <epoch> connected <ranges>}, each followed by a line
     * per replica of its master, as Redis 7.0 prints a replica:
     * {@code <id> <host:port> slave[,fail] <master id> 0 0 <epoch> connected|disconnected}.
     *
     * <p>Only the master line of this proxy says {@code myself}, also when this proxy hosts a replica:
     * a Redis node prints one {@code myself} line, and {@code redis-cli --cluster} reads the node it
     * asks from every {@code myself} line (the last one sets its slots) but a node it reaches through
     * another from the first one only, so no order of two such lines gives both their slots; clients
     * that look for {@code myself} (Lettuce, to tell which node answered) take the first one.
     */
    public String clusterNodes() {
        StringBuilder sb = new StringBuilder();
        for (Shard shard : shards()) {
            Node n = shard.master();
            sb.append(n.id()).append(' ').append(n.address());
            if (busPort) {
                sb.append('@').append(n.port());
            }
            sb.append(n.myself() ? " myself,master" : " master").append(" - 0 0 ").append(snapshot.epoch())
                    .append(" connected");
            for (SlotRange r : n.slots().ranges()) {
                sb.append(' ').append(r);
            }
            sb.append('\n');
            for (ReplicaNode r : shard.replicas()) {
                sb.append(r.id()).append(' ').append(r.address());
                if (busPort) {
                    sb.append('@').append(r.port());
                }
                sb.append(r.failed() ? " slave,fail " : " slave ")
                        .append(r.masterId()).append(" 0 0 ").append(snapshot.epoch())
                        .append(r.failed() ? " disconnected" : " connected").append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * {@code CLUSTER SLOTS}: {@code [start, end, [host, port, id, {}], <replicas>...]} per contiguous
     * range, ours first, as Redis 7.0 sends it; a replica is listed only when {@code online} (Redis
     * leaves out failed replicas and those with offset 0).
     */
    public void writeClusterSlots(ByteBuf out) {
        List<Shard> shards = shards();
        int count = 0;
        for (Shard s : shards) {
            count += s.master().slots().ranges().size();
        }
        RespWriter.arrayHeader(out, count);
        for (Shard s : shards) {
            Node n = s.master();
            List<ReplicaNode> readable = new ArrayList<>(s.replicas().size());
            for (ReplicaNode r : s.replicas()) {
                if (r.health() == ReplicaDirectory.Health.ONLINE) {
                    readable.add(r);
                }
            }
            for (SlotRange range : n.slots().ranges()) {
                RespWriter.arrayHeader(out, 3 + readable.size());
                RespWriter.integer(out, range.start());
                RespWriter.integer(out, range.end());
                writeSlotsEndpoint(out, n.host(), n.port(), n.id());
                for (ReplicaNode r : readable) {
                    writeSlotsEndpoint(out, r.host(), r.port(), r.id());
                }
            }
        }
    }

    private static void writeSlotsEndpoint(ByteBuf out, String host, int port, String id) {
        RespWriter.arrayHeader(out, 4);
        RespWriter.bulk(out, host);
        RespWriter.integer(out, port);
        RespWriter.bulk(out, id);
        RespWriter.arrayHeader(out, 0); // Redis 7's networking metadata: a map, empty here
    }

    /**
     * {@code CLUSTER SHARDS} in Redis 7.0's shape (maps written as RESP2 flat arrays): one shard per
     * proxy, this one first, with {@code slots} as flat start/end integers (an empty array for a
     * proxy without slots, as Redis 7.0 shows a master without slots) and {@code nodes}: the master, then
     * each replica whatever its health ({@code online}, {@code loading} or {@code fail}).
     */
    public void writeClusterShards(ByteBuf out) {
        List<Shard> shards = shards();
        RespWriter.arrayHeader(out, shards.size());
        for (Shard s : shards) {
            Node n = s.master();
            RespWriter.arrayHeader(out, 4);
            RespWriter.bulk(out, "slots");
            RespWriter.arrayHeader(out, n.slots().ranges().size() * 2);
            for (SlotRange r : n.slots().ranges()) {
                RespWriter.integer(out, r.start());
                RespWriter.integer(out, r.end());
            }
            RespWriter.bulk(out, "nodes");
            RespWriter.arrayHeader(out, 1 + s.replicas().size());
            writeShardNode(out, n.id(), n.port(), n.host(), "master", s.masterOffset(), "online");
            for (ReplicaNode r : s.replicas()) {
                writeShardNode(out, r.id(), r.port(), r.host(), "replica", r.offset(), r.health().text());
            }
        }
    }

    private static void writeShardNode(ByteBuf out, String id, int port, String host, String role, long offset,
                                       String health) {
        RespWriter.arrayHeader(out, 14);
        RespWriter.bulk(out, "id");
        RespWriter.bulk(out, id);
        RespWriter.bulk(out, "port");
        RespWriter.integer(out, port);
        RespWriter.bulk(out, "ip");
        RespWriter.bulk(out, host);
        RespWriter.bulk(out, "endpoint");
        RespWriter.bulk(out, host);
        RespWriter.bulk(out, "role");
        RespWriter.bulk(out, role);
        RespWriter.bulk(out, "replication-offset");
        RespWriter.integer(out, offset);
        RespWriter.bulk(out, "health");
        RespWriter.bulk(out, health);
    }

    /** {@code CLUSTER INFO}, with Redis 7.0's fields and {@code \r\n} line ends. */
    public String clusterInfo() {
        List<Shard> shards = shards();
        int assigned = snapshot.assignedSlots().size();
        int size = 0;
        int known = 0;
        for (Shard s : shards) {
            if (!s.master().slots().isEmpty()) {
                size++;
            }
            known += 1 + s.replicas().size(); // Redis counts every node, replicas too
        }
        boolean ok = snapshot.isConfigured() && assigned == 16384;
        return "cluster_state:" + (ok ? "ok" : "fail") + "\r\n"
                + "cluster_slots_assigned:" + assigned + "\r\n"
                + "cluster_slots_ok:" + assigned + "\r\n"
                + "cluster_slots_pfail:0\r\n"
                + "cluster_slots_fail:0\r\n"
                + "cluster_known_nodes:" + known + "\r\n"
                + "cluster_size:" + size + "\r\n"
                + "cluster_current_epoch:" + snapshot.epoch() + "\r\n"
                + "cluster_my_epoch:" + snapshot.epoch() + "\r\n"
                + "cluster_stats_messages_sent:0\r\n"
                + "cluster_stats_messages_received:0\r\n"
                + "total_cluster_links_buffer_limit_exceeded:0\r\n";
    }
}
