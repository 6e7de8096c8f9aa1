package io.moonshard.cluster.render;

import static io.moonshard.cluster.render.ClusterViewReplicasTest.A;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.AT_A;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.B;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.BOTH_ONLINE;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.ID_A;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.ID_A_OF_B;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.ID_B;
import static io.moonshard.cluster.render.ClusterViewReplicasTest.ID_B_OF_A;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.models.partitions.ClusterPartitionParser;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.moonshard.cluster.topology.NodeIdStyle;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClusterInfoCache;

/**
 * Lettuce's and Jedis's topology parsers read the replicas of our CLUSTER NODES / SLOTS: a proxy that
 * is a master and a replica at once is two nodes with one address and two IDs, each replica linked to
 * its master, and every slot still has its one master.
 */
class ClientParsersReplicasTest {

    private static String address(RedisClusterNode node) {
        return node.getUri().getHost() + ":" + node.getUri().getPort();
    }

    @Test
    void lettuceSeesTwoMastersAndTheirReplicas() {
        ClusterView view = new ClusterView(AT_A, A, NodeIdStyle.SEED, true).withReplicas(BOTH_ONLINE);
        Partitions partitions = ClusterPartitionParser.parse(view.clusterNodes());
        Map<String, RedisClusterNode> byId = partitions.stream()
                .collect(Collectors.toMap(RedisClusterNode::getNodeId, n -> n));
        assertThat(byId).containsOnlyKeys(ID_A, ID_B, ID_B_OF_A, ID_A_OF_B);

        assertThat(byId.get(ID_B_OF_A).is(RedisClusterNode.NodeFlag.REPLICA)).isTrue();
        assertThat(byId.get(ID_B_OF_A).getSlaveOf()).isEqualTo(ID_A);
        assertThat(address(byId.get(ID_B_OF_A))).isEqualTo(B);
        assertThat(byId.get(ID_B_OF_A).getSlots()).isEmpty();
        assertThat(byId.get(ID_A_OF_B).getSlaveOf()).isEqualTo(ID_B);
        assertThat(address(byId.get(ID_A_OF_B))).isEqualTo(A);
        assertThat(byId.get(ID_A).is(RedisClusterNode.NodeFlag.UPSTREAM)).isTrue();
        assertThat(byId.get(ID_A).getSlots()).hasSize(8192);

        // one node answered: the master line of this proxy
        assertThat(partitions.stream().filter(n -> n.is(RedisClusterNode.NodeFlag.MYSELF)).map(RedisClusterNode::getNodeId))
                .containsExactly(ID_A);
        for (int slot = 0; slot < 16384; slot++) {
            assertThat(partitions.getPartitionBySlot(slot).getNodeId()).isEqualTo(slot < 8192 ? ID_A : ID_B);
        }
    }

    @Test
    void jedisSeesEachSlotsMaster_andItsReplicaAtTheOtherProxy() {
        // Jedis keeps the replicas of each slot when its clients may read from them
        JedisClusterInfoCache cache = new JedisClusterInfoCache(
                DefaultJedisClientConfig.builder().readOnlyForRedisClusterReplicas().build(),
                Set.of(new HostAndPort("127.0.0.1", 5299)));
        ClientParsersTest.CannedConnection conn = new ClientParsersTest.CannedConnection(ClientParsersTest.slotsReply(
                new ClusterView(AT_A, A, NodeIdStyle.SEED, true).withReplicas(BOTH_ONLINE)));
        try {
            cache.discoverClusterNodesAndSlots(conn);
            assertThat(conn.commands).hasSize(1);
            assertThat(cache.getNodes()).containsOnlyKeys(A, B);
            for (int slot : new int[] {0, 8191, 8192, 16383}) {
                String master = slot < 8192 ? A : B;
                String replica = slot < 8192 ? B : A;
                assertThat(cache.getSlotNode(slot).toString()).isEqualTo(master);
                assertThat(cache.getSlotReplicaPools(slot)).containsExactly(cache.getNode(replica));
            }
        } finally {
            cache.close();
        }
    }
}
