package io.moonshard.cluster.render;

import static io.moonshard.cluster.render.ClusterViewTest.arr;
import static io.moonshard.cluster.render.ClusterViewTest.bulk;
import static io.moonshard.cluster.render.ClusterViewTest.num;
import static io.moonshard.cluster.render.ClusterViewTest.snapshot;
import static io.moonshard.cluster.render.ClusterViewTest.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.topology.ReplicaDirectory.Health;
import io.moonshard.cluster.topology.ReplicaDirectory.Replica;
import io.moonshard.cluster.topology.ReplicaDirectory.Shard;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replicas in CLUSTER NODES / SLOTS / SHARDS / INFO, byte for byte, in undermoon's layout: two proxies,
 * each with a master and a replica of the other's master (shapes as a Redis 7.0.15 cluster made by
 * {@code redis-cli --cluster create ... --cluster-replicas 1} prints them).
 */
class ClusterViewReplicasTest {

    static final String A = "127.0.0.1:5299";
    static final String B = "127.0.0.2:5299";
    static final String ID_A = "mydb________________9f8fca2805923328____";
    static final String ID_B = "mydb________________9071d8e1e82915bf____";
    /** The replica B hosts of A's master, and the one A hosts of B's. */
    static final String ID_B_OF_A = "mydb________________9b46adb534fb87ab____";
    static final String ID_A_OF_B = "mydb________________2855c6dd2408c11e____";

    static final ClusterSnapshot AT_A = snapshot("v2 3 NOFLAGS mydb 127.0.0.1:6001 1 0-8191 PEER " + B + " 1 8192-16383");
    static final ClusterSnapshot AT_B = snapshot("v2 3 NOFLAGS mydb 127.0.0.2:6001 1 8192-16383 PEER " + A + " 1 0-8191");

    static ReplicaDirectory directory(Health bOfA, Health aOfB) {
        return new ReplicaDirectory(Map.of(
                A, new Shard(120, List.of(new Replica(B, "127.0.0.2:6002", 110, bOfA))),
                B, new Shard(80, List.of(new Replica(A, "127.0.0.1:6002", 80, aOfB)))));
    }

    static final ReplicaDirectory BOTH_ONLINE = directory(Health.ONLINE, Health.ONLINE);

    static ClusterView at(ClusterSnapshot snapshot, String me, ReplicaDirectory directory) {
        return new ClusterView(snapshot, me, NodeIdStyle.SEED, true).withReplicas(directory);
    }

    static String endpoint(String host, int port, String id) {
        return arr(4) + bulk(host) + num(port) + bulk(id) + arr(0);
    }

    static String node(String id, String host, int port, String role, long offset, String health) {
        return arr(14) + bulk("id") + bulk(id) + bulk("port") + num(port) + bulk("ip") + bulk(host)
                + bulk("endpoint") + bulk(host) + bulk("role") + bulk(role)
                + bulk("replication-offset") + num(offset) + bulk("health") + bulk(health);
    }

    @Test
    void clusterNodes_listsEachReplicaAfterItsMaster_atTheAddressOfTheProxyHostingIt() {
        assertThat(at(AT_A, A, BOTH_ONLINE).clusterNodes()).isEqualTo(
                ID_A + " 127.0.0.1:5299@5299 myself,master - 0 0 3 connected 0-8191\n"
                        + ID_B_OF_A + " 127.0.0.2:5299@5299 slave " + ID_A + " 0 0 3 connected\n"
                        + ID_B + " 127.0.0.2:5299@5299 master - 0 0 3 connected 8192-16383\n"
                        // hosted here, yet not "myself": one myself line per reply (see ClusterView.clusterNodes)
                        + ID_A_OF_B + " 127.0.0.1:5299@5299 slave " + ID_B + " 0 0 3 connected\n");
    }

    @Test
    void everyProxyShowsTheSameNodes_withTheSameIds() {
        String atA = at(AT_A, A, BOTH_ONLINE).clusterNodes();
        String atB = at(AT_B, B, BOTH_ONLINE).clusterNodes();
        assertThat(atB).isEqualTo(
                ID_B + " 127.0.0.2:5299@5299 myself,master - 0 0 3 connected 8192-16383\n"
                        + ID_A_OF_B + " 127.0.0.1:5299@5299 slave " + ID_B + " 0 0 3 connected\n"
                        + ID_A + " 127.0.0.1:5299@5299 master - 0 0 3 connected 0-8191\n"
                        + ID_B_OF_A + " 127.0.0.2:5299@5299 slave " + ID_A + " 0 0 3 connected\n");
        assertThat(atA.replace("myself,", "").lines().sorted().toList())
                .isEqualTo(atB.replace("myself,", "").lines().sorted().toList());
    }

    @Test
    void clusterSlots_putsTheReplicaEndpointsAfterTheMasters() {
        assertThat(write(at(AT_A, A, BOTH_ONLINE)::writeClusterSlots)).isEqualTo(arr(2)
                + arr(4) + num(0) + num(8191) + endpoint("127.0.0.1", 5299, ID_A) + endpoint("127.0.0.2", 5299, ID_B_OF_A)
                + arr(4) + num(8192) + num(16383) + endpoint("127.0.0.2", 5299, ID_B)
                + endpoint("127.0.0.1", 5299, ID_A_OF_B));
    }

    @Test
    void clusterShards_hasTheReplicaWithRoleOffsetAndHealth() {
        assertThat(write(at(AT_A, A, BOTH_ONLINE)::writeClusterShards)).isEqualTo(arr(2)
                + arr(4) + bulk("slots") + arr(2) + num(0) + num(8191) + bulk("nodes") + arr(2)
                + node(ID_A, "127.0.0.1", 5299, "master", 120, "online")
                + node(ID_B_OF_A, "127.0.0.2", 5299, "replica", 110, "online")
                + arr(4) + bulk("slots") + arr(2) + num(8192) + num(16383) + bulk("nodes") + arr(2)
                + node(ID_B, "127.0.0.2", 5299, "master", 80, "online")
                + node(ID_A_OF_B, "127.0.0.1", 5299, "replica", 80, "online"));
    }

    @Test
    void clusterInfo_countsTheReplicasAsKnownNodes_notInTheSize() {
        assertThat(at(AT_A, A, BOTH_ONLINE).clusterInfo())
                .contains("cluster_known_nodes:4\r\ncluster_size:2\r\n");
    }

    @Test
    void aLoadingReplica_isInShardsAndNodes_butNotInSlots() {
        ClusterView view = at(AT_A, A, directory(Health.LOADING, Health.ONLINE));
        assertThat(view.clusterNodes()).contains(ID_B_OF_A + " 127.0.0.2:5299@5299 slave " + ID_A + " 0 0 3 connected\n");
        assertThat(write(view::writeClusterSlots)).startsWith(arr(2)
                + arr(3) + num(0) + num(8191) + endpoint("127.0.0.1", 5299, ID_A) + arr(4) + num(8192));
        assertThat(write(view::writeClusterShards))
                .contains(node(ID_B_OF_A, "127.0.0.2", 5299, "replica", 110, "loading"));
    }

    @Test
    void aFailedReplica_isFlaggedFailAndDisconnected_asRedisPrintsIt() {
        ClusterView view = at(AT_A, A, directory(Health.ONLINE, Health.FAIL));
        assertThat(view.clusterNodes()).endsWith(
                ID_A_OF_B + " 127.0.0.1:5299@5299 slave,fail " + ID_B + " 0 0 3 disconnected\n");
        assertThat(write(view::writeClusterSlots)).endsWith(
                arr(3) + num(8192) + num(16383) + endpoint("127.0.0.2", 5299, ID_B));
        assertThat(write(view::writeClusterShards))
                .endsWith(node(ID_A_OF_B, "127.0.0.1", 5299, "replica", 80, "fail"));
    }

    @Test
    void unknownOffsets_areShownAsZero() {
        ReplicaDirectory unknown = new ReplicaDirectory(Map.of(
                A, new Shard(-1, List.of(new Replica(B, "127.0.0.2:6002", -1, Health.ONLINE)))));
        assertThat(write(at(AT_A, A, unknown)::writeClusterShards)).startsWith(arr(2)
                + arr(4) + bulk("slots") + arr(2) + num(0) + num(8191) + bulk("nodes") + arr(2)
                + node(ID_A, "127.0.0.1", 5299, "master", 0, "online")
                + node(ID_B_OF_A, "127.0.0.2", 5299, "replica", 0, "online"));
    }

    @Test
    void replicasOfProxiesNotInTheSnapshot_andAtTheirMastersOwnProxy_areLeftOut() {
        ReplicaDirectory odd = new ReplicaDirectory(Map.of(
                A, new Shard(5, List.of(new Replica(A, "127.0.0.1:6003", 5, Health.ONLINE))),
                "127.0.0.9:5299", new Shard(5, List.of(new Replica(B, "127.0.0.2:6003", 5, Health.ONLINE)))));
        ClusterView view = at(AT_A, A, odd);
        assertThat(view.clusterNodes()).isEqualTo(new ClusterView(AT_A, A, NodeIdStyle.SEED, true).clusterNodes());
        assertThat(view.clusterInfo()).contains("cluster_known_nodes:2\r\n");
    }

    @Test
    void aReplicaAtAProxyOutsideTheSnapshot_isShown() {
        ReplicaDirectory outside = new ReplicaDirectory(Map.of(
                A, new Shard(5, List.of(new Replica("127.0.0.3:5299", "127.0.0.3:6002", 5, Health.ONLINE)))));
        String id = NodeIdStyle.SEED.replicaNodeId("mydb", "127.0.0.3:5299", A);
        assertThat(at(AT_A, A, outside).clusterNodes())
                .contains(ID_A + " 127.0.0.1:5299@5299 myself,master - 0 0 3 connected 0-8191\n"
                        + id + " 127.0.0.3:5299@5299 slave " + ID_A + " 0 0 3 connected\n");
    }

    @Test
    void tlsClients_areShownTheReplicasTlsPorts_underTheSameIds() {
        ClusterView tls = new ClusterView(AT_A, A, NodeIdStyle.SEED, true, 1000).withReplicas(BOTH_ONLINE);
        assertThat(tls.clusterNodes()).contains(ID_B_OF_A + " 127.0.0.2:6299@6299 slave " + ID_A + " ")
                .contains(ID_A_OF_B + " 127.0.0.1:6299@6299 slave " + ID_B + " ");
        assertThat(write(tls::writeClusterSlots)).contains(endpoint("127.0.0.2", 6299, ID_B_OF_A));
    }

    @Test
    void withoutReplicas_theRepliesAreUndermoonsLoneMasters() {
        ClusterView plain = new ClusterView(AT_A, A, NodeIdStyle.SEED, true);
        ClusterView empty = at(AT_A, A, ReplicaDirectory.EMPTY);
        assertThat(empty).isEqualTo(plain);
        assertThat(empty.clusterNodes()).isEqualTo(
                ID_A + " 127.0.0.1:5299@5299 myself,master - 0 0 3 connected 0-8191\n"
                        + ID_B + " 127.0.0.2:5299@5299 master - 0 0 3 connected 8192-16383\n");
        assertThat(empty.clusterInfo()).contains("cluster_known_nodes:2\r\n");
    }
}
