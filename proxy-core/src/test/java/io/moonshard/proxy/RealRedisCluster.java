package io.moonshard.proxy;

import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of {@code n} masters (no replicas) on 127.0.0.1, built the way
 * {@code redis-cli --cluster create} does it: slots split into contiguous ranges with redis-cli's
 * rounding (0-5460, 5461-10922, 10923-16383 for three nodes), distinct config epochs, then
 * {@code CLUSTER MEET}. {@link #start} returns once every node says {@code cluster_state:ok} and all
 * nodes agree on {@code CLUSTER SLOTS}.
 */
final class RealRedisCluster implements AutoCloseable {

    final List<RedisProcess> nodes = new ArrayList<>();
    /** ranges.get(i): {first, last} slot of node i. */
    final List<int[]> ranges = new ArrayList<>();

    private RealRedisCluster() {
    }

    static RealRedisCluster start(int n) {
        RealRedisCluster cluster = new RealRedisCluster();
        try {
            for (int i = 0; i < n; i++) {
                cluster.nodes.add(RedisProcess.startClusterNode());
            }
            // redis-cli's allocation (clusterManagerCommandCreate)
            float perNode = 16384 / (float) n;
            float cursor = 0;
            long first = 0;
            for (int i = 0; i < n; i++) {
                long last = Math.round(cursor + perNode - 1);
                if (last > 16384 || i == n - 1) {
                    last = 16383;
                }
                if (last < first) {
                    last = first;
                }
                cluster.ranges.add(new int[] {(int) first, (int) last});
                first = last + 1;
                cursor += perNode;
            }
            for (int i = 0; i < n; i++) {
                RedisProcess node = cluster.nodes.get(i);
                int[] r = cluster.ranges.get(i);
                expectOk(node, "CLUSTER", "ADDSLOTSRANGE", Integer.toString(r[0]), Integer.toString(r[1]));
                expectOk(node, "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
            }
            for (int i = 1; i < n; i++) {
                expectOk(cluster.nodes.get(0), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(cluster.nodes.get(i).port()));
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(cluster::converged);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private static void expectOk(RedisProcess node, String... args) {
        String reply = node.rawCommand(args);
        if (!reply.equals("+OK\r\n")) {
            throw new IllegalStateException(String.join(" ", args) + " on " + node.address() + ": " + reply);
        }
    }

    /** Every node: state ok, knows all nodes, and the same CLUSTER SLOTS reply with one range per node. */
    private boolean converged() {
        String slots = null;
        for (RedisProcess node : nodes) {
            String info = node.rawCommand("CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok\r\n") || !info.contains("cluster_known_nodes:" + nodes.size() + "\r\n")) {
                return false;
            }
            String mine = node.rawCommand("CLUSTER", "SLOTS");
            if (!mine.startsWith("*" + nodes.size() + "\r\n")) {
                return false;
            }
            if (slots == null) {
                slots = mine;
            } else if (!slots.equals(mine)) {
                return false;
            }
        }
        return true;
    }

    int port(int i) {
        return nodes.get(i).port();
    }

    List<Integer> ports() {
        return nodes.stream().map(RedisProcess::port).toList();
    }

    @Override
    public void close() {
        for (RedisProcess node : nodes) {
            node.close();
        }
    }
}
