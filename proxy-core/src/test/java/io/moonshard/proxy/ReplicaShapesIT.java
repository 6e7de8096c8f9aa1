package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.cluster.render.ClusterView;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.topology.ReplicaDirectory;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.testkit.RedisProcess;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our replica shapes beside a real Redis 7.0 cluster's: three masters and a replica each, made by
 * {@code redis-cli --cluster create ... --cluster-replicas 1}. A {@link ClusterView} of the same
 * topology (the real nodes' addresses standing for proxies) answers CLUSTER SLOTS byte for byte as the
 * real master does, and CLUSTER SHARDS / NODES / INFO in the same shapes, once node IDs are mapped and
 * what only a real cluster has (ping times, config epochs, bus ports, exact offsets) is set aside.
 */
class ReplicaShapesIT {

    private static final String NAME = "shapes";
    private static final NodeIdStyle STYLE = NodeIdStyle.SEED;
    private static final List<RedisProcess> nodes = new ArrayList<>();

    /** A real node as its CLUSTER NODES line says. */
    private record Line(String id, String address, boolean master, String masterId, String slots) {
    }

    private static Map<String, Line> real;
    /** The masters in slot order; the view is the first one's. */
    private static List<Line> masters;
    private static Line first;
    private static RedisProcess firstProcess;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 6; i++) {
            nodes.add(RedisProcess.startClusterNode());
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(n -> create.add(n.address()));
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (RedisProcess n : nodes) {
                String info = n.rawCommand("CLUSTER", "INFO");
                if (!info.contains("cluster_state:ok\r\n") || !info.contains("cluster_known_nodes:6\r\n")) {
                    return false;
                }
            }
            return parse(nodes.get(0)).values().stream().filter(l -> !l.master()).count() == 3;
        });
        real = parse(nodes.get(0));
        masters = real.values().stream().filter(Line::master)
                .sorted(Comparator.comparingInt(l -> Integer.parseInt(l.slots().split("-")[0]))).toList();
        first = masters.get(0);
        firstProcess = process(first);
        // a write on each master, so that every replica has an offset (Redis shows offset 0 as loading)
        for (Line master : masters) {
            int from = Integer.parseInt(master.slots().split("-")[0]);
            String key = IntStream.range(0, 100_000).mapToObj(i -> "k" + i)
                    .filter(k -> SlotHash.slot(k) == from).findFirst().orElseThrow();
            assertThat(process(master).rawCommand("SET", key, "1")).isEqualTo("+OK\r\n");
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String shards = firstProcess.rawCommand("CLUSTER", "SHARDS");
            String slots = firstProcess.rawCommand("CLUSTER", "SLOTS");
            return countOf(shards, "$6\r\nonline\r\n") == 6 && countOf(slots, "*4\r\n:") == 3;
        });
    }

    @AfterAll
    static void stop() {
        nodes.forEach(RedisProcess::close);
    }

    private static RedisProcess process(Line line) {
        return nodes.stream().filter(n -> n.address().equals(line.address())).findFirst().orElseThrow();
    }

    private static int countOf(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    private static Map<String, Line> parse(RedisProcess node) {
        String reply = node.rawCommand("CLUSTER", "NODES");
        String text = reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2);
        Map<String, Line> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(" ");
            String address = f[1].substring(0, f[1].indexOf('@'));
            boolean master = f[2].contains("master");
            out.put(f[0], new Line(f[0], address, master, f[3], f.length > 8 ? f[8] : ""));
        }
        return out;
    }

    private static Line replicaOf(Line master) {
        return real.values().stream().filter(l -> l.masterId().equals(master.id())).findFirst().orElseThrow();
    }

    /** Our view at the first master, of the same topology, every node online. */
    private static ClusterView ours() {
        StringBuilder setcluster = new StringBuilder("v2 1 NOFLAGS " + NAME + " 127.0.0.1:1 1 " + first.slots()
                + " PEER");
        for (Line peer : masters.subList(1, masters.size())) {
            setcluster.append(' ').append(peer.address()).append(" 1 ").append(peer.slots());
        }
        ClusterSnapshot snapshot = SetClusterParser.parse(List.of(setcluster.toString().split(" "))).value().snapshot();
        Map<String, ReplicaDirectory.Shard> shards = new HashMap<>();
        for (Line master : masters) {
            Line replica = replicaOf(master);
            shards.put(master.address(), new ReplicaDirectory.Shard(7, List.of(new ReplicaDirectory.Replica(
                    replica.address(), replica.address(), 7, ReplicaDirectory.Health.ONLINE))));
        }
        return new ClusterView(snapshot, first.address(), STYLE, false).withReplicas(new ReplicaDirectory(shards));
    }

    /** The real node IDs replaced by ours: a master's from its address, a replica's from its and its master's. */
    private static String withOurIds(String reply) {
        String out = reply;
        for (Line master : masters) {
            Line replica = replicaOf(master);
            out = out.replace(master.id(), STYLE.nodeId(NAME, master.address()))
                    .replace(replica.id(), STYLE.replicaNodeId(NAME, replica.address(), master.address()));
        }
        return out;
    }

    private static String write(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writer.accept(buf);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    private static String withoutOffsets(String shards) {
        return shards.replaceAll("(\\$18\r\nreplication-offset\r\n):\\d+\r\n", "$1:N\r\n");
    }

    @Test
    void clusterSlots_isByteIdentical() {
        assertThat(write(ours()::writeClusterSlots)).isEqualTo(withOurIds(firstProcess.rawCommand("CLUSTER", "SLOTS")));
    }

    @Test
    void clusterShards_hasTheSameShardsAndNodes() {
        String theirs = withoutOffsets(withOurIds(firstProcess.rawCommand("CLUSTER", "SHARDS")));
        String mine = withoutOffsets(write(ours()::writeClusterShards));
        // Redis lists shards in its node table's order (ours: this proxy first); each shard's master
        // first, then its replica
        assertThat(shardBlocks(theirs)).containsExactlyInAnyOrderElementsOf(shardBlocks(mine));
        assertThat(theirs).startsWith("*3\r\n");
        assertThat(mine).startsWith("*3\r\n");
    }

    /** A SHARDS reply cut into its shards (each starts with its "slots" key). */
    private static List<String> shardBlocks(String shards) {
        String body = shards.substring(shards.indexOf("\r\n") + 2);
        List<String> out = new ArrayList<>();
        String marker = "*4\r\n$5\r\nslots\r\n";
        for (int at = body.indexOf(marker); at >= 0; ) {
            int next = body.indexOf(marker, at + 1);
            out.add(next < 0 ? body.substring(at) : body.substring(at, next));
            at = next;
        }
        return out;
    }

    @Test
    void clusterNodes_hasTheSameLines_asidePingTimesEpochsAndBusPorts() {
        String reply = firstProcess.rawCommand("CLUSTER", "NODES");
        String theirs = withOurIds(reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2));
        assertThat(normalized(ours().clusterNodes())).containsExactlyInAnyOrderElementsOf(normalized(theirs));
    }

    /** Each line with the bus port, ping/pong times and config epoch (fields 5 to 7) taken out. */
    private static List<String> normalized(String nodesText) {
        List<String> out = new ArrayList<>();
        for (String line : nodesText.split("\n")) {
            String[] f = line.split(" ");
            f[1] = f[1].contains("@") ? f[1].substring(0, f[1].indexOf('@')) : f[1];
            f[4] = "P";
            f[5] = "P";
            f[6] = "E";
            out.add(String.join(" ", f));
        }
        return out;
    }

    @Test
    void clusterInfo_countsTheReplicas() {
        String theirs = firstProcess.rawCommand("CLUSTER", "INFO");
        String mine = ours().clusterInfo();
        for (String field : List.of("cluster_known_nodes:", "cluster_size:", "cluster_slots_assigned:")) {
            assertThat(lineOf(mine, field)).isEqualTo(lineOf(theirs, field));
        }
    }

    private static String lineOf(String text, String field) {
        int at = text.indexOf(field);
        return text.substring(at, text.indexOf("\r\n", at));
    }
}
