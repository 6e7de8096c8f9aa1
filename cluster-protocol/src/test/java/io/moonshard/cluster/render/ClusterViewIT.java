package io.moonshard.cluster.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.testkit.RedisProcess;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our CLUSTER replies against a real redis-server 7.0 with cluster-enabled and every slot assigned. */
class ClusterViewIT {

    private static RedisProcess redis;
    private static ClusterView ours;
    private static String theirId;
    private static String ourId;

    @BeforeAll
    static void start() {
        redis = RedisProcess.startClusterNode();
        assertThat(redis.rawCommand("CLUSTER", "ADDSLOTSRANGE", "0", "16383")).isEqualTo("+OK\r\n");
        String myid = redis.rawCommand("CLUSTER", "MYID");
        theirId = myid.substring(myid.indexOf("\r\n") + 2, myid.length() - 2);
        String address = "127.0.0.1:" + redis.port();
        ClusterSnapshot s = SetClusterParser.parse(List.of("v2", "1", "NOFLAGS", "mydb", "127.0.0.1:6379", "1",
                "0-16383")).value().snapshot();
        ours = new ClusterView(s, address, NodeIdStyle.SEED, true);
        ourId = ours.myId();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    /** The bulk string's payload. */
    static String bulkPayload(String reply) {
        assertThat(reply).startsWith("$");
        return reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2);
    }

    static List<String> fieldNames(String info) {
        List<String> names = new ArrayList<>();
        for (String line : info.split("\r\n")) {
            if (!line.isEmpty()) {
                names.add(line.substring(0, line.indexOf(':')));
            }
        }
        return names;
    }

    static String write(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writer.accept(buf);
            return buf.toString(StandardCharsets.ISO_8859_1);
        } finally {
            buf.release();
        }
    }

    @Test
    void clusterInfoHasRedisFieldsInRedisOrder() {
        String theirs = bulkPayload(redis.rawCommand("CLUSTER", "INFO"));
        String mine = ours.clusterInfo();
        assertThat(fieldNames(mine)).isEqualTo(fieldNames(theirs)).hasSize(12);
        assertThat(mine).endsWith("\r\n");
        assertThat(theirs).endsWith("\r\n");
        // values that do not depend on gossip timing agree
        for (String field : List.of("cluster_slots_assigned:16384", "cluster_slots_ok:16384", "cluster_slots_pfail:0",
                "cluster_slots_fail:0", "cluster_known_nodes:1", "cluster_size:1")) {
            assertThat(theirs).contains(field + "\r\n");
            assertThat(mine).contains(field + "\r\n");
        }
    }

    @Test
    void clusterShardsHasRedisShape() {
        String theirs = redis.rawCommand("CLUSTER", "SHARDS");
        String mine = write(ours::writeClusterShards).replace(ourId, theirId);
        assertThat(mine).isEqualTo(theirs);
    }

    @Test
    void clusterSlotsIsByteIdenticalToRedis() {
        // including Redis 7's fourth node element, the (empty) map of extra networking metadata
        String theirs = redis.rawCommand("CLUSTER", "SLOTS");
        String mine = write(ours::writeClusterSlots).replace(ourId, theirId);
        assertThat(mine).isEqualTo(theirs);
    }

    @Test
    void clusterNodesLineHasRedisShape() {
        String theirs = bulkPayload(redis.rawCommand("CLUSTER", "NODES"));
        String mine = ours.clusterNodes();
        assertThat(mine).endsWith("\n").doesNotEndWith("\n\n");
        assertThat(theirs).endsWith("\n");
        String[] t = theirs.trim().split(" ");
        String[] m = mine.trim().split(" ");
        assertThat(m).hasSameSizeAs(t);
        assertThat(m[0]).hasSize(t[0].length());
        // address: ip:port@cport (our cport is the port itself)
        assertThat(m[1]).startsWith("127.0.0.1:" + redis.port() + "@").matches("[0-9.]+:\\d+@\\d+");
        assertThat(t[1]).matches("[0-9.]+:\\d+@\\d+");
        assertThat(m[2]).isEqualTo(t[2]).isEqualTo("myself,master");
        assertThat(m[3]).isEqualTo(t[3]).isEqualTo("-");
        assertThat(m[4]).isEqualTo(t[4]);
        assertThat(m[5]).isEqualTo(t[5]);
        assertThat(m[7]).isEqualTo(t[7]).isEqualTo("connected");
        assertThat(m[8]).isEqualTo(t[8]).isEqualTo("0-16383");
    }

    @Test
    void myIdIsFortyCharactersLikeRedis() {
        assertThat(ourId).hasSize(theirId.length()).hasSize(40);
    }
}
