package io.moonshard.cluster.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetClusterRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** CLUSTER NODES / SLOTS / SHARDS / INFO / MYID, byte for byte. */
class ClusterViewTest {

    static final String ME = "127.0.0.1:5299";
    static final String ID_ME = "mydb________________9f8fca2805923328____";
    static final String ID_7000 = "mydb________________d458dd9b55cc9ad9____";
    static final String MIG = "2 127.0.0.1:6001 127.0.0.1:7001 127.0.0.1:6002 127.0.0.1:7002";

    static ClusterSnapshot snapshot(String setcluster) {
        ParseResult<SetClusterRequest> r = SetClusterParser.parse(List.of(setcluster.split(" ")));
        assertThat(r.error()).isNull();
        return r.value().snapshot();
    }

    static final ClusterSnapshot EX1 =
            snapshot("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383");

    static String write(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writer.accept(buf);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    // an encoder independent of RespWriter
    static String arr(int n) {
        return "*" + n + "\r\n";
    }

    static String bulk(String s) {
        return "$" + s.getBytes(StandardCharsets.UTF_8).length + "\r\n" + s + "\r\n";
    }

    static String num(long n) {
        return ":" + n + "\r\n";
    }

    @Test
    void clusterNodesMatchesTheDesignNote() {
        ClusterView view = new ClusterView(EX1, ME, NodeIdStyle.SEED, false);
        assertThat(view.clusterNodes()).isEqualTo(
                "mydb________________9f8fca2805923328____ 127.0.0.1:5299 myself,master - 0 0 1 connected 0-8000\n"
                        + "mydb________________d458dd9b55cc9ad9____ 127.0.0.1:7000 master - 0 0 1 connected 8001-16383\n");
        assertThat(view.myId()).isEqualTo(ID_ME);
    }

    @Test
    void clusterNodesInUndermoonStyle() {
        ClusterView view = new ClusterView(EX1, ME, NodeIdStyle.UNDERMOON, true);
        assertThat(view.clusterNodes()).isEqualTo(
                "mydb____________________9f8fca2805923328 127.0.0.1:5299@5299 myself,master - 0 0 1 connected 0-8000\n"
                        + "mydb____________________d458dd9b55cc9ad9 127.0.0.1:7000@7000 master - 0 0 1 connected 8001-16383\n");
        assertThat(view.myId()).isEqualTo("mydb____________________9f8fca2805923328");
    }

    @Test
    void portOffset_showsShiftedPorts_withTheSameNodeIds() {
        ClusterView plain = new ClusterView(EX1, ME, NodeIdStyle.SEED, true);
        ClusterView tls = new ClusterView(EX1, ME, NodeIdStyle.SEED, true, 1000);
        assertThat(plain).isEqualTo(new ClusterView(EX1, ME, NodeIdStyle.SEED, true, 0));

        assertThat(tls.clusterNodes()).isEqualTo(
                ID_ME + " 127.0.0.1:6299@6299 myself,master - 0 0 1 connected 0-8000\n"
                        + ID_7000 + " 127.0.0.1:8000@8000 master - 0 0 1 connected 8001-16383\n");
        assertThat(tls.myId()).isEqualTo(plain.myId());
        assertThat(write(tls::writeClusterSlots)).isEqualTo(write(plain::writeClusterSlots)
                .replace(":5299\r\n", ":6299\r\n").replace(":7000\r\n", ":8000\r\n"));
        assertThat(write(tls::writeClusterShards)).isEqualTo(arr(2)
                + shard(ID_ME, "127.0.0.1", 6299, 0, 8000) + shard(ID_7000, "127.0.0.1", 8000, 8001, 16383));
        assertThat(tls.clusterInfo()).isEqualTo(plain.clusterInfo());
    }

    @Test
    void beforeAnySetCluster() {
        ClusterView view = new ClusterView(ClusterSnapshot.empty(), ME, NodeIdStyle.SEED, false);
        assertThat(view.clusterNodes())
                .isEqualTo("____________________9f8fca2805923328____ 127.0.0.1:5299 myself,master - 0 0 0 connected\n");
        assertThat(new ClusterView(ClusterSnapshot.empty(), ME, NodeIdStyle.UNDERMOON, false).clusterNodes())
                .isEqualTo("________________________9f8fca2805923328 127.0.0.1:5299 myself,master - 0 0 0 connected\n");
        assertThat(write(view::writeClusterSlots)).isEqualTo("*0\r\n");
        assertThat(write(view::writeClusterShards)).isEqualTo(arr(1) + shard(ID_ME_EMPTY, "127.0.0.1", 5299));
        assertThat(view.clusterInfo()).isEqualTo("cluster_state:fail\r\n"
                + "cluster_slots_assigned:0\r\n"
                + "cluster_slots_ok:0\r\n"
                + "cluster_slots_pfail:0\r\n"
                + "cluster_slots_fail:0\r\n"
                + "cluster_known_nodes:1\r\n"
                + "cluster_size:0\r\n"
                + "cluster_current_epoch:0\r\n"
                + "cluster_my_epoch:0\r\n"
                + "cluster_stats_messages_sent:0\r\n"
                + "cluster_stats_messages_received:0\r\n"
                + "total_cluster_links_buffer_limit_exceeded:0\r\n");
        assertThat(view.nodes()).hasSize(1);
        assertThat(view.nodes().get(0).myself()).isTrue();
    }

    static final String ID_ME_EMPTY = "____________________9f8fca2805923328____";

    static String shard(String id, String host, int port, int... startEnd) {
        StringBuilder sb = new StringBuilder(arr(4)).append(bulk("slots")).append(arr(startEnd.length));
        for (int v : startEnd) {
            sb.append(num(v));
        }
        return sb.append(bulk("nodes")).append(arr(1)).append(arr(14))
                .append(bulk("id")).append(bulk(id))
                .append(bulk("port")).append(num(port))
                .append(bulk("ip")).append(bulk(host))
                .append(bulk("endpoint")).append(bulk(host))
                .append(bulk("role")).append(bulk("master"))
                .append(bulk("replication-offset")).append(num(0))
                .append(bulk("health")).append(bulk("online")).toString();
    }

    @Test
    void clusterSlotsBytes() {
        ClusterView view = new ClusterView(EX1, ME, NodeIdStyle.SEED, false);
        assertThat(write(view::writeClusterSlots)).isEqualTo(
                "*2\r\n"
                        + "*3\r\n:0\r\n:8000\r\n*4\r\n$9\r\n127.0.0.1\r\n:5299\r\n$40\r\n" + ID_ME + "\r\n*0\r\n"
                        + "*3\r\n:8001\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$40\r\n" + ID_7000 + "\r\n*0\r\n");
    }

    @Test
    void clusterSlotsOnePerContiguousRange() {
        ClusterSnapshot s = snapshot("v2 4 NOFLAGS c 10.0.0.1:6379 2 0-99 200-200 10.0.0.1:6380 1 100-199 "
                + "PEER 10.0.0.2:5299 1 201-16383");
        ClusterView view = new ClusterView(s, "10.0.0.1:5299", NodeIdStyle.SEED, false);
        String me = NodeIdStyle.SEED.nodeId("c", "10.0.0.1:5299");
        String peer = NodeIdStyle.SEED.nodeId("c", "10.0.0.2:5299");
        assertThat(write(view::writeClusterSlots)).isEqualTo(arr(2)
                + arr(3) + num(0) + num(200) + arr(4) + bulk("10.0.0.1") + num(5299) + bulk(me) + arr(0)
                + arr(3) + num(201) + num(16383) + arr(4) + bulk("10.0.0.2") + num(5299) + bulk(peer) + arr(0));
        assertThat(view.clusterNodes()).isEqualTo(
                me + " 10.0.0.1:5299 myself,master - 0 0 4 connected 0-200\n"
                        + peer + " 10.0.0.2:5299 master - 0 0 4 connected 201-16383\n");
    }

    @Test
    void singleSlotsAndHolesInClusterNodes() {
        ClusterSnapshot s = snapshot("v2 7 NOFLAGS mydb 127.0.0.1:6379 3 300-300 0-100 102-102 "
                + "PEER 127.0.0.1:7000 1 16383-16383 127.0.0.1:7001 0");
        ClusterView view = new ClusterView(s, ME, NodeIdStyle.SEED, false);
        assertThat(view.clusterNodes()).isEqualTo(
                ID_ME + " 127.0.0.1:5299 myself,master - 0 0 7 connected 0-100 102 300\n"
                        + ID_7000 + " 127.0.0.1:7000 master - 0 0 7 connected 16383\n"
                        + NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:7001") + " 127.0.0.1:7001 master - 0 0 7 connected\n");
        assertThat(write(view::writeClusterSlots)).isEqualTo(arr(4)
                + arr(3) + num(0) + num(100) + arr(4) + bulk("127.0.0.1") + num(5299) + bulk(ID_ME) + arr(0)
                + arr(3) + num(102) + num(102) + arr(4) + bulk("127.0.0.1") + num(5299) + bulk(ID_ME) + arr(0)
                + arr(3) + num(300) + num(300) + arr(4) + bulk("127.0.0.1") + num(5299) + bulk(ID_ME) + arr(0)
                + arr(3) + num(16383) + num(16383) + arr(4) + bulk("127.0.0.1") + num(7000) + bulk(ID_7000) + arr(0));
        // a proxy without slots is a shard with an empty slot list, as Redis 7.0 shows a master without slots
        assertThat(write(view::writeClusterShards)).isEqualTo(arr(3)
                + shard(ID_ME, "127.0.0.1", 5299, 0, 100, 102, 102, 300, 300)
                + shard(ID_7000, "127.0.0.1", 7000, 16383, 16383)
                + shard(NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:7001"), "127.0.0.1", 7001));
        assertThat(view.clusterInfo()).startsWith("cluster_state:fail\r\ncluster_slots_assigned:104\r\n"
                + "cluster_slots_ok:104\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n"
                + "cluster_known_nodes:3\r\ncluster_size:2\r\ncluster_current_epoch:7\r\ncluster_my_epoch:7\r\n");
    }

    @Test
    void clusterShardsBytes() {
        ClusterView view = new ClusterView(EX1, ME, NodeIdStyle.SEED, false);
        assertThat(write(view::writeClusterShards)).isEqualTo(arr(2)
                + shard(ID_ME, "127.0.0.1", 5299, 0, 8000)
                + shard(ID_7000, "127.0.0.1", 7000, 8001, 16383));
    }

    @Test
    void clusterInfoWhenAllSlotsAreServed() {
        ClusterView view = new ClusterView(EX1, ME, NodeIdStyle.SEED, false);
        assertThat(view.clusterInfo()).isEqualTo("cluster_state:ok\r\n"
                + "cluster_slots_assigned:16384\r\n"
                + "cluster_slots_ok:16384\r\n"
                + "cluster_slots_pfail:0\r\n"
                + "cluster_slots_fail:0\r\n"
                + "cluster_known_nodes:2\r\n"
                + "cluster_size:2\r\n"
                + "cluster_current_epoch:1\r\n"
                + "cluster_my_epoch:1\r\n"
                + "cluster_stats_messages_sent:0\r\n"
                + "cluster_stats_messages_received:0\r\n"
                + "total_cluster_links_buffer_limit_exceeded:0\r\n");
    }

    // ------------------------------------------------------------------ spec §3.5: one owner per slot

    static final String SOURCE = "v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 127.0.0.1:7001 migrating 1 8001-16383 "
            + MIG + " PEER 127.0.0.1:6002 importing 1 8001-16383 " + MIG;
    static final String DESTINATION = "v2 2 NOFLAGS mydb 127.0.0.1:7002 importing 1 8001-16383 " + MIG
            + " PEER 127.0.0.1:6001 1 0-8000 127.0.0.1:6001 migrating 1 8001-16383 " + MIG;
    static final String BYSTANDER = "v2 2 NOFLAGS mydb 127.0.0.1:7003 0 PEER 127.0.0.1:6001 1 0-8000 "
            + "127.0.0.1:6001 migrating 1 8001-16383 " + MIG + " 127.0.0.1:6002 importing 1 8001-16383 " + MIG;

    @Test
    void duringAMigrationEverySlotHasExactlyOneOwnerInEveryReply() {
        String id6001 = NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:6001");
        String id6002 = NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:6002");
        String id6003 = NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:6003");
        ClusterView source = new ClusterView(snapshot(SOURCE), "127.0.0.1:6001", NodeIdStyle.SEED, false);
        ClusterView destination = new ClusterView(snapshot(DESTINATION), "127.0.0.1:6002", NodeIdStyle.SEED, false);
        ClusterView bystander = new ClusterView(snapshot(BYSTANDER), "127.0.0.1:6003", NodeIdStyle.SEED, false);
        // the source is shown until the commit, as Redis Cluster does; the importing side shows no slots
        assertThat(source.clusterNodes()).isEqualTo(
                id6001 + " 127.0.0.1:6001 myself,master - 0 0 2 connected 0-16383\n"
                        + id6002 + " 127.0.0.1:6002 master - 0 0 2 connected\n");
        assertThat(destination.clusterNodes()).isEqualTo(
                id6002 + " 127.0.0.1:6002 myself,master - 0 0 2 connected\n"
                        + id6001 + " 127.0.0.1:6001 master - 0 0 2 connected 0-16383\n");
        assertThat(bystander.clusterNodes()).isEqualTo(
                id6003 + " 127.0.0.1:6003 myself,master - 0 0 2 connected\n"
                        + id6001 + " 127.0.0.1:6001 master - 0 0 2 connected 0-16383\n"
                        + id6002 + " 127.0.0.1:6002 master - 0 0 2 connected\n");
        for (ClusterView view : List.of(source, destination, bystander)) {
            assertOneOwnerPerSlot(view);
            assertThat(view.clusterInfo()).startsWith("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n");
        }
        assertThat(write(bystander::writeClusterSlots)).isEqualTo(arr(1)
                + arr(3) + num(0) + num(16383) + arr(4) + bulk("127.0.0.1") + num(6001) + bulk(id6001) + arr(0));
    }

    @Test
    void onceHandedOver_bothSidesShowTheDestination_beforeTheCoordinatorSaysSo() {
        String id6001 = NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:6001");
        String id6002 = NodeIdStyle.SEED.nodeId("mydb", "127.0.0.1:6002");
        io.moonshard.cluster.topology.ClusterSnapshot source = snapshot(SOURCE);
        var move = source.local().get("127.0.0.1:7001").get(1);
        ClusterView flipped = new ClusterView(source.handedOver(move.slots(), move.meta()), "127.0.0.1:6001",
                NodeIdStyle.SEED, false);
        assertThat(flipped.clusterNodes()).isEqualTo(
                id6001 + " 127.0.0.1:6001 myself,master - 0 0 2 connected 0-8000\n"
                        + id6002 + " 127.0.0.1:6002 master - 0 0 2 connected 8001-16383\n");
        io.moonshard.cluster.topology.ClusterSnapshot destination = snapshot(DESTINATION);
        ClusterView committed = new ClusterView(destination.handedOver(move.slots(), move.meta()), "127.0.0.1:6002",
                NodeIdStyle.SEED, false);
        assertThat(committed.clusterNodes()).isEqualTo(
                id6002 + " 127.0.0.1:6002 myself,master - 0 0 2 connected 8001-16383\n"
                        + id6001 + " 127.0.0.1:6001 master - 0 0 2 connected 0-8000\n");
        // another move's identity changes nothing
        var other = new io.moonshard.cluster.topology.MigrationMeta(99, "a:1", "a:2", "b:1", "b:2");
        assertThat(new ClusterView(source.handedOver(move.slots(), other), "127.0.0.1:6001", NodeIdStyle.SEED, false)
                .clusterNodes()).isEqualTo(new ClusterView(source, "127.0.0.1:6001", NodeIdStyle.SEED, false).clusterNodes());
    }

    @Test
    void conflictingPeersDoNotShowASlotTwice() {
        ClusterView view = new ClusterView(snapshot("v2 3 NOFLAGS mydb 127.0.0.1:6379 1 0-100 "
                + "PEER 127.0.0.1:7000 1 50-9000 127.0.0.1:7001 1 0-16383"), ME, NodeIdStyle.SEED, false);
        assertOneOwnerPerSlot(view);
        assertThat(view.nodes().get(1).slots()).hasToString("101-9000");
        assertThat(view.nodes().get(2).slots()).hasToString("9001-16383");
    }

    /** Parses CLUSTER NODES and checks that no slot appears twice, and that SLOTS agrees. */
    static void assertOneOwnerPerSlot(ClusterView view) {
        String[] owner = new String[16384];
        for (String line : view.clusterNodes().split("\n")) {
            String[] f = line.split(" ");
            assertThat(f.length).isGreaterThanOrEqualTo(8);
            for (int i = 8; i < f.length; i++) {
                String[] se = f[i].split("-");
                int start = Integer.parseInt(se[0]);
                int end = Integer.parseInt(se[se.length - 1]);
                for (int slot = start; slot <= end; slot++) {
                    assertThat(owner[slot]).as("slot %d", slot).isNull();
                    owner[slot] = f[0];
                }
            }
        }
        SlotSet all = SlotSet.empty();
        for (ClusterView.Node n : view.nodes()) {
            assertThat(all.union(n.slots()).size()).isEqualTo(all.size() + n.slots().size());
            all = all.union(n.slots());
            for (int slot = 0; slot < 16384; slot++) {
                if (n.slots().contains(slot)) {
                    assertThat(owner[slot]).isEqualTo(n.id());
                }
            }
        }
    }
}
