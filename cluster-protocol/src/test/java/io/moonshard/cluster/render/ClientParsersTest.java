package io.moonshard.cluster.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.cluster.models.partitions.ClusterPartitionParser;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClusterInfoCache;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.util.RedisInputStream;

/**
 * Real client topology parsers as judges: Lettuce's {@code ClusterPartitionParser} reads our CLUSTER
 * NODES, Jedis's {@code JedisClusterInfoCache} (and Lettuce's {@code ClusterSlotsParser}) read our
 * CLUSTER SLOTS; both must see exactly the nodes and slots we meant, with no holes.
 */
class ClientParsersTest {

    static final String A = "10.0.0.1:6001";
    static final String B = "10.0.0.2:6002";
    static final String C = "10.0.0.3:6003";

    /** Three proxies, each with one local Redis; what proxy A is told. Ranges deliberately scattered. */
    static final String SETCLUSTER_A = "v2 12 NOFLAGS shop 10.0.0.1:7001 3 0-5460 10000-10000 16383-16383 "
            + "PEER 10.0.0.2:6002 2 5461-9999 10001-10922 10.0.0.3:6003 1 10923-16382";

    /** Expected owner of every slot. */
    static String expectedOwner(int slot) {
        if (slot <= 5460 || slot == 10000 || slot == 16383) {
            return A;
        }
        if (slot <= 10922) {
            return B;
        }
        return C;
    }

    static ClusterView view(String setcluster, String announce, NodeIdStyle style, boolean busPort) {
        ClusterSnapshot s = SetClusterParser.parse(List.of(setcluster.split(" "))).value().snapshot();
        return new ClusterView(s, announce, style, busPort);
    }

    static byte[] slotsReply(ClusterView view) {
        ByteBuf buf = Unpooled.buffer();
        try {
            view.writeClusterSlots(buf);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    // ---------------------------------------------------------------------------------- Lettuce

    @Test
    void lettuceReadsClusterNodes() {
        for (NodeIdStyle style : NodeIdStyle.values()) {
            for (boolean busPort : new boolean[] {false, true}) {
                ClusterView view = view(SETCLUSTER_A, A, style, busPort);
                Partitions partitions = ClusterPartitionParser.parse(view.clusterNodes());
                assertThat(partitions.size()).isEqualTo(3);

                Map<String, String> idByAddress = Map.of(A, style.nodeId("shop", A), B, style.nodeId("shop", B),
                        C, style.nodeId("shop", C));
                int myself = 0;
                for (RedisClusterNode node : partitions) {
                    String address = node.getUri().getHost() + ":" + node.getUri().getPort();
                    assertThat(idByAddress).containsKey(address);
                    assertThat(node.getNodeId()).isEqualTo(idByAddress.get(address)).hasSize(40);
                    assertThat(node.is(RedisClusterNode.NodeFlag.UPSTREAM)).isTrue();
                    assertThat(node.is(RedisClusterNode.NodeFlag.REPLICA)).isFalse();
                    assertThat(node.is(RedisClusterNode.NodeFlag.FAIL)).isFalse();
                    assertThat(node.isConnected()).isTrue();
                    assertThat(node.getConfigEpoch()).isEqualTo(12);
                    if (node.is(RedisClusterNode.NodeFlag.MYSELF)) {
                        myself++;
                        assertThat(address).isEqualTo(A);
                    }
                    List<Integer> expected = IntStream.range(0, 16384).filter(s -> expectedOwner(s).equals(address))
                            .boxed().toList();
                    assertThat(node.getSlots()).containsExactlyInAnyOrderElementsOf(expected);
                }
                assertThat(myself).isEqualTo(1);
                for (int slot = 0; slot < 16384; slot++) {
                    RedisClusterNode owner = partitions.getPartitionBySlot(slot);
                    assertThat(owner).as("slot %d", slot).isNotNull();
                    assertThat(owner.getUri().getHost() + ":" + owner.getUri().getPort()).isEqualTo(expectedOwner(slot));
                }
            }
        }
    }

    @Test
    void lettuceSeesTheSameClusterFromEveryProxy() {
        String setclusterB = "v2 12 NOFLAGS shop 10.0.0.2:7002 2 5461-9999 10001-10922 "
                + "PEER 10.0.0.1:6001 3 0-5460 10000-10000 16383-16383 10.0.0.3:6003 1 10923-16382";
        String setclusterC = "v2 12 NOFLAGS shop 10.0.0.3:7003 1 10923-16382 "
                + "PEER 10.0.0.2:6002 2 5461-9999 10001-10922 10.0.0.1:6001 3 0-5460 10000-10000 16383-16383";
        Map<String, String> views = Map.of(A, SETCLUSTER_A, B, setclusterB, C, setclusterC);
        Map<Integer, String> firstIds = null;
        for (Map.Entry<String, String> e : views.entrySet()) {
            Partitions p = ClusterPartitionParser.parse(view(e.getValue(), e.getKey(), NodeIdStyle.SEED, false)
                    .clusterNodes());
            Map<Integer, String> ids = new HashMap<>();
            for (int slot = 0; slot < 16384; slot++) {
                ids.put(slot, p.getPartitionBySlot(slot).getNodeId());
            }
            if (firstIds == null) {
                firstIds = ids;
            } else {
                assertThat(ids).isEqualTo(firstIds);
            }
            RedisClusterNode me = p.getPartitions().stream().filter(n -> n.is(RedisClusterNode.NodeFlag.MYSELF))
                    .findFirst().orElseThrow();
            assertThat(me.getUri().getHost() + ":" + me.getUri().getPort()).isEqualTo(e.getKey());
        }
    }

    @Test
    void lettuceReadsClusterSlots() {
        ClusterView view = view(SETCLUSTER_A, A, NodeIdStyle.SEED, false);
        List<Object> decoded = toLettuceShape(jedisRead(slotsReply(view)));
        List<ClusterSlotRange> ranges = ClusterSlotsParser.parse(decoded);
        String[] owner = new String[16384];
        for (ClusterSlotRange r : ranges) {
            RedisClusterNode upstream = r.getUpstream();
            String address = upstream.getUri().getHost() + ":" + upstream.getUri().getPort();
            assertThat(upstream.getNodeId()).isEqualTo(NodeIdStyle.SEED.nodeId("shop", address));
            assertThat(r.getReplicaNodes()).isEmpty();
            for (int slot = r.getFrom(); slot <= r.getTo(); slot++) {
                assertThat(owner[slot]).isNull();
                owner[slot] = address;
            }
        }
        for (int slot = 0; slot < 16384; slot++) {
            assertThat(owner[slot]).as("slot %d", slot).isEqualTo(expectedOwner(slot));
        }
    }

    /** Lettuce's parser takes what its own RESP decoder builds: strings for bulk strings, Longs for integers. */
    private static List<Object> toLettuceShape(Object jedis) {
        List<Object> out = new ArrayList<>();
        for (Object o : (List<?>) jedis) {
            out.add(convert(o));
        }
        return out;
    }

    private static Object convert(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (o instanceof List<?> l) {
            return toLettuceShape(l);
        }
        return o;
    }

    // ---------------------------------------------------------------------------------- Jedis

    static Object jedisRead(byte[] reply) {
        return Protocol.read(new RedisInputStream(new ByteArrayInputStream(reply)));
    }

    /** A connection that answers CLUSTER SLOTS with our bytes, decoded by Jedis's own RESP reader. */
    static final class CannedConnection extends Connection {
        private final byte[] reply;
        final List<String> commands = new ArrayList<>();

        CannedConnection(byte[] reply) {
            this.reply = reply;
        }

        @Override
        public Object executeCommand(CommandArguments args) {
            StringBuilder sb = new StringBuilder();
            for (redis.clients.jedis.args.Rawable arg : args) {
                sb.append(sb.isEmpty() ? "" : " ").append(new String(arg.getRaw(), StandardCharsets.UTF_8));
            }
            commands.add(sb.toString());
            return jedisRead(reply);
        }
    }

    static JedisClusterInfoCache jedisCache(byte[] slotsReply, List<String> commandsSeen) {
        JedisClusterInfoCache cache = new JedisClusterInfoCache(DefaultJedisClientConfig.builder().build(),
                Set.of(new HostAndPort("10.0.0.1", 6001)));
        CannedConnection conn = new CannedConnection(slotsReply);
        try {
            cache.discoverClusterNodesAndSlots(conn);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        } finally {
            commandsSeen.addAll(conn.commands);
        }
        return cache;
    }

    @Test
    void jedisReadsClusterSlots() {
        List<String> seen = new ArrayList<>();
        JedisClusterInfoCache cache = jedisCache(slotsReply(view(SETCLUSTER_A, A, NodeIdStyle.SEED, false)), seen);
        try {
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0)).isEqualToIgnoringCase("CLUSTER SLOTS");
            for (int slot = 0; slot < 16384; slot++) {
                HostAndPort node = cache.getSlotNode(slot);
                assertThat(node).as("slot %d", slot).isNotNull();
                assertThat(node.toString()).as("slot %d", slot).isEqualTo(expectedOwner(slot));
            }
            assertThat(cache.getNodes()).containsOnlyKeys(A, B, C);
            assertThat(cache.getPrimaryNodes()).containsOnlyKeys(A, B, C);
        } finally {
            cache.close();
        }
    }

    @Test
    void jedisReadsClusterSlotsDuringAMigration() {
        String mig = "2 10.0.0.1:6001 10.0.0.1:7001 10.0.0.2:6002 10.0.0.2:7002";
        String bystander = "v2 2 NOFLAGS shop 10.0.0.3:7003 1 10923-16383 PEER 10.0.0.1:6001 1 0-5460 "
                + "10.0.0.1:6001 migrating 1 5461-10922 " + mig + " 10.0.0.2:6002 importing 1 5461-10922 " + mig;
        List<String> seen = new ArrayList<>();
        JedisClusterInfoCache cache = jedisCache(slotsReply(view(bystander, C, NodeIdStyle.UNDERMOON, true)), seen);
        try {
            for (int slot = 0; slot < 16384; slot++) {
                // the source keeps the moving slots until the commit, as in Redis Cluster
                String expected = slot <= 10922 ? A : C;
                assertThat(cache.getSlotNode(slot).toString()).as("slot %d", slot).isEqualTo(expected);
            }
        } finally {
            cache.close();
        }
    }

    @Test
    void jedisIsAJudgeThatRejectsHoles() {
        // sanity check of the judge itself: a reply with a hole is refused by Jedis
        ClusterView holes = view("v2 1 NOFLAGS shop 10.0.0.1:7001 1 0-100 PEER 10.0.0.2:6002 1 200-16383", A,
                NodeIdStyle.SEED, false);
        List<String> seen = new ArrayList<>();
        assertThatThrownBy(() -> jedisCache(slotsReply(holes), seen).close())
                .isInstanceOf(JedisClusterOperationException.class);
        assertThat(seen).hasSize(1);
    }
}
