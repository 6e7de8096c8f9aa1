package io.moonshard.cluster.render;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CLUSTER replies one proxy gives for one snapshot, shaped like Redis 7.0's: every proxy is a
 * master, the proxy itself is {@code myself}, and each slot has exactly one owner (the snapshot's
 * shown owners). Text replies are returned as strings; array replies are written as RESP2.
 *
 * @param snapshot the cluster metadata
 * @param announce this proxy's announced {@code host:port}
 * @param style    how node IDs are formed
 * @param busPort  print {@code host:port@port} in CLUSTER NODES (undermoon's v2 form) instead of {@code host:port}
 * @param portOffset added to every proxy's port where an address is shown (NODES, SLOTS, SHARDS); node IDs
 *                 still come from the addresses as given. 0 for plain clients; for TLS clients, the
 *                 cluster-wide offset between TLS and plain ports, so they are shown TLS ports
 */
public record ClusterView(ClusterSnapshot snapshot, String announce, NodeIdStyle style, boolean busPort,
                          int portOffset) {

    /** The view plain clients get: addresses as given. */
    public ClusterView(ClusterSnapshot snapshot, String announce, NodeIdStyle style, boolean busPort) {
        this(snapshot, announce, style, busPort, 0);
    }

    /** One proxy and the slots shown for it; the first node is this proxy. */
    public record Node(String id, String address, String host, int port, SlotSet slots, boolean myself) {
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

    private Node node(String address, SlotSet slots, boolean myself) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        String id = style.nodeId(snapshot.name(), address);
        if (portOffset == 0) {
            return new Node(id, address, host, port, slots, myself);
        }
        port += portOffset;
        return new Node(id, host + ":" + port, host, port, slots, myself);
    }

    /** {@code CLUSTER MYID}. */
    public String myId() {
        return style.nodeId(snapshot.name(), announce);
    }

    /**
     * {@code CLUSTER NODES}: one line per proxy, each ending in {@code \n}:
     * {@code <id> <host:port> myself,master - 0 0 <epoch> connected <ranges>}.
     */
    public String clusterNodes() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes()) {
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
        }
        return sb.toString();
    }

    /** {@code CLUSTER SLOTS}: {@code [start, end, [host, port, id, {}]]} per contiguous range, ours first, as Redis 7.0 sends it. */
    public void writeClusterSlots(ByteBuf out) {
        List<Node> nodes = nodes();
        int count = 0;
        for (Node n : nodes) {
            count += n.slots().ranges().size();
        }
        RespWriter.arrayHeader(out, count);
        for (Node n : nodes) {
            for (SlotRange r : n.slots().ranges()) {
                RespWriter.arrayHeader(out, 3);
                RespWriter.integer(out, r.start());
                RespWriter.integer(out, r.end());
                RespWriter.arrayHeader(out, 4);
                RespWriter.bulk(out, n.host());
                RespWriter.integer(out, n.port());
                RespWriter.bulk(out, n.id());
                RespWriter.arrayHeader(out, 0); // Redis 7's networking metadata: a map, empty here
            }
        }
    }

    /**
     * {@code CLUSTER SHARDS} in Redis 7.0's shape (maps written as RESP2 flat arrays): one shard per
     * proxy, this one first, with {@code slots} as flat start/end integers (an empty array for a
     * proxy without slots, as Redis 7.0 shows a master without slots) and {@code nodes} with one master.
     */
    public void writeClusterShards(ByteBuf out) {
        List<Node> shards = nodes();
        RespWriter.arrayHeader(out, shards.size());
        for (Node n : shards) {
            RespWriter.arrayHeader(out, 4);
            RespWriter.bulk(out, "slots");
            RespWriter.arrayHeader(out, n.slots().ranges().size() * 2);
            for (SlotRange r : n.slots().ranges()) {
                RespWriter.integer(out, r.start());
                RespWriter.integer(out, r.end());
            }
            RespWriter.bulk(out, "nodes");
            RespWriter.arrayHeader(out, 1);
            RespWriter.arrayHeader(out, 14);
            RespWriter.bulk(out, "id");
            RespWriter.bulk(out, n.id());
            RespWriter.bulk(out, "port");
            RespWriter.integer(out, n.port());
            RespWriter.bulk(out, "ip");
            RespWriter.bulk(out, n.host());
            RespWriter.bulk(out, "endpoint");
            RespWriter.bulk(out, n.host());
            RespWriter.bulk(out, "role");
            RespWriter.bulk(out, "master");
            RespWriter.bulk(out, "replication-offset");
            RespWriter.integer(out, 0);
            RespWriter.bulk(out, "health");
            RespWriter.bulk(out, "online");
        }
    }

    /** {@code CLUSTER INFO}, with Redis 7.0's fields and {@code \r\n} line ends. */
    public String clusterInfo() {
        List<Node> nodes = nodes();
        int assigned = snapshot.assignedSlots().size();
        int size = 0;
        for (Node n : nodes) {
            if (!n.slots().isEmpty()) {
                size++;
            }
        }
        boolean ok = snapshot.isConfigured() && assigned == 16384;
        return "cluster_state:" + (ok ? "ok" : "fail") + "\r\n"
                + "cluster_slots_assigned:" + assigned + "\r\n"
                + "cluster_slots_ok:" + assigned + "\r\n"
                + "cluster_slots_pfail:0\r\n"
                + "cluster_slots_fail:0\r\n"
                + "cluster_known_nodes:" + nodes.size() + "\r\n"
                + "cluster_size:" + size + "\r\n"
                + "cluster_current_epoch:" + snapshot.epoch() + "\r\n"
                + "cluster_my_epoch:" + snapshot.epoch() + "\r\n"
                + "cluster_stats_messages_sent:0\r\n"
                + "cluster_stats_messages_received:0\r\n"
                + "total_cluster_links_buffer_limit_exceeded:0\r\n";
    }
}
