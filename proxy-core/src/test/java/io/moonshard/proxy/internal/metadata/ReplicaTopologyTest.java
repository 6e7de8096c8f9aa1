package io.moonshard.proxy.internal.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.route.ReplicaReads;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.proxy.ProxyConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The READONLY table follows each SETREPL; show_replicas turns it and the shown replicas off. */
class ReplicaTopologyTest {

    private static final String SETREPL = "1 NOFLAGS master mydb 127.0.0.1:6001 1 127.0.0.2:6002 127.0.0.2:5299 "
            + "replica mydb 127.0.0.1:6002 1 127.0.0.2:6001 127.0.0.2:5299 "
            + "replica mydb 127.0.0.1:6003 2 127.0.0.3:6001 127.0.0.3:5299 127.0.0.4:6001 127.0.0.4:5299 "
            + "replica mydb 127.0.0.1:6004 0";

    private static ClusterState cluster(boolean show) {
        return new ClusterState(ProxyConfig.builder().address("127.0.0.1:5299").showReplicas(show).build());
    }

    private static String apply(ClusterState cluster, String setrepl) {
        return cluster.replication().apply(List.of(setrepl.split(" ")));
    }

    @Test
    void eachLocalReplica_readsForTheProxyOfItsFirstMaster() {
        ClusterState cluster = cluster(true);
        assertThat(cluster.replicas().reads()).isSameAs(ReplicaReads.NONE);
        assertThat(apply(cluster, SETREPL)).isEqualTo("+OK");
        assertThat(cluster.replicas().reads().byMasterProxy()).isEqualTo(Map.of(
                "127.0.0.2:5299", "127.0.0.1:6002", "127.0.0.3:5299", "127.0.0.1:6003"));
        assertThat(cluster.replicas().localReplicaNodes())
                .containsExactly("127.0.0.1:6002", "127.0.0.1:6003", "127.0.0.1:6004");

        assertThat(apply(cluster, "2 NOFLAGS master mydb 127.0.0.1:6001 0")).isEqualTo("+OK");
        assertThat(cluster.replicas().reads()).isSameAs(ReplicaReads.NONE);
        assertThat(cluster.replicas().localReplicaNodes()).isEmpty();
    }

    @Test
    void hidden_noReadsAndNoReplicasShown_untilShownAgain() {
        ClusterState cluster = cluster(false);
        apply(cluster, SETREPL);
        ReplicaDirectory seen = new ReplicaDirectory(Map.of("127.0.0.2:5299", new ReplicaDirectory.Shard(1, List.of(
                new ReplicaDirectory.Replica("127.0.0.1:5299", "127.0.0.1:6002", 1, ReplicaDirectory.Health.ONLINE)))));
        cluster.replicasSeen(seen);
        assertThat(cluster.replicas().reads()).isSameAs(ReplicaReads.NONE);
        assertThat(cluster.replicas().directory()).isSameAs(ReplicaDirectory.EMPTY);
        assertThat(cluster.view().replicas()).isSameAs(ReplicaDirectory.EMPTY);
        // the pools keep the replicas' connections all the same: a CONFIG SET may show them again
        assertThat(cluster.replicas().localReplicaNodes()).hasSize(3);

        cluster.showReplicas(true);
        assertThat(cluster.replicas().reads().replicaOf("127.0.0.2:5299")).isEqualTo("127.0.0.1:6002");
        assertThat(cluster.view().replicas()).isEqualTo(seen);
        assertThat(cluster.view(true).replicas()).isEqualTo(seen);

        cluster.showReplicas(false);
        assertThat(cluster.view().replicas()).isSameAs(ReplicaDirectory.EMPTY);
    }

    @Test
    void aNewDirectory_isPublishedWithTheViews_andTheSameOneIsNot() {
        ClusterState cluster = cluster(true);
        ReplicaDirectory seen = new ReplicaDirectory(Map.of("127.0.0.2:5299", new ReplicaDirectory.Shard(7, List.of())));
        cluster.replicasSeen(seen);
        ClusterState.Current published = cluster.published();
        assertThat(published.view().replicas()).isEqualTo(seen);
        cluster.replicasSeen(new ReplicaDirectory(Map.of("127.0.0.2:5299", new ReplicaDirectory.Shard(7, List.of()))));
        assertThat(cluster.published()).isSameAs(published);
    }
}
