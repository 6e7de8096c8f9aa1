package io.moonshard.proxy;

import static io.moonshard.proxy.TwoHostReplicatedCluster.HOSTS;
import static io.moonshard.proxy.TwoHostReplicatedCluster.NAME;
import static io.moonshard.proxy.TwoHostReplicatedCluster.RANGES;
import static io.moonshard.proxy.TwoHostReplicatedCluster.calls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.ReadFrom;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisProtocol;

/**
 * Replicas shown and read from, in undermoon's layout on two hosts ({@link TwoHostReplicatedCluster}):
 * both proxies give the same CLUSTER NODES / SLOTS / SHARDS, with each master's replica at the other
 * proxy, in Redis 7.0's shapes; {@code redis-cli --cluster check} passes; Lettuce with
 * {@code ReadFrom.REPLICA}, redis-py with replica reads and Jedis's replica commands read from the
 * replica Redis while writes still go to the masters; READONLY / READWRITE by hand; {@code show_replicas}.
 */
class ReplicasIT {

    private static TwoHostReplicatedCluster cluster;
    private static final NodeIdStyle STYLE = NodeIdStyle.SEED;

    @BeforeAll
    static void start() {
        // allow_cross_slot_local: a multi-key read over several slots of one local replica is split, as over a master
        cluster = TwoHostReplicatedCluster.start(b -> b.allowCrossSlotLocal(true));
        cluster.awaitReplicasInStep();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (int i = 0; i < 2; i++) {
                assertThat(cluster.call(i, "CLUSTER", "SLOTS")).isEqualTo(expectedSlots(i));
            }
        });
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flush() {
        for (RedisProcess master : cluster.masters) {
            assertThat(master.rawCommand("FLUSHALL")).isEqualTo("+OK\r\n");
        }
        cluster.awaitReplicasInStep();
    }

    // ------------------------------------------------------------------------- expected replies

    static String proxy(int i) {
        return cluster.proxyAddresses.get(i);
    }

    static String masterId(int i) {
        return STYLE.nodeId(NAME, proxy(i));
    }

    /** The replica the proxy on host {@code 1 - master} hosts of proxy {@code master}'s master. */
    static String replicaId(int master) {
        return STYLE.replicaNodeId(NAME, proxy(1 - master), proxy(master));
    }

    static String nodesLines(int master, boolean myself) {
        return masterId(master) + " " + proxy(master) + (myself ? " myself,master" : " master") + " - 0 0 "
                + cluster.epoch() + " connected " + RANGES[master][0] + "-" + RANGES[master][1] + "\n"
                + replicaId(master) + " " + proxy(1 - master) + " slave " + masterId(master) + " 0 0 "
                + cluster.epoch() + " connected\n";
    }

    static String expectedNodes(int at) {
        return nodesLines(at, true) + nodesLines(1 - at, false);
    }

    static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    static String endpoint(int proxy, String id) {
        return "*4\r\n" + bulk(HOSTS[proxy]) + ":" + cluster.port(proxy) + "\r\n" + bulk(id) + "*0\r\n";
    }

    static String slotsRange(int master) {
        return "*4\r\n:" + RANGES[master][0] + "\r\n:" + RANGES[master][1] + "\r\n" + endpoint(master, masterId(master))
                + endpoint(1 - master, replicaId(master));
    }

    static String expectedSlots(int at) {
        return "*2\r\n" + slotsRange(at) + slotsRange(1 - at);
    }

    static String shardNode(int proxy, String id, String role) {
        return "*14\r\n" + bulk("id") + bulk(id) + bulk("port") + ":" + cluster.port(proxy) + "\r\n" + bulk("ip")
                + bulk(HOSTS[proxy]) + bulk("endpoint") + bulk(HOSTS[proxy]) + bulk("role") + bulk(role)
                + bulk("replication-offset") + ":N\r\n" + bulk("health") + bulk("online");
    }

    static String shard(int master) {
        return "*4\r\n" + bulk("slots") + "*2\r\n:" + RANGES[master][0] + "\r\n:" + RANGES[master][1] + "\r\n"
                + bulk("nodes") + "*2\r\n" + shardNode(master, masterId(master), "master")
                + shardNode(1 - master, replicaId(master), "replica");
    }

    /** Offsets move with every write and are seen a little apart at each proxy: compared as N. */
    static String withoutOffsets(String shards) {
        return shards.replaceAll("(\\$18\r\nreplication-offset\r\n):\\d+\r\n", "$1:N\r\n");
    }

    // ------------------------------------------------------------------------------- the tests

    @Test
    void clusterReplies_showEachMastersReplicaAtTheOtherProxy_inRedisShapes_andBothProxiesAgree() {
        for (int i = 0; i < 2; i++) {
            assertThat(bulkPayload(cluster.call(i, "CLUSTER", "NODES"))).isEqualTo(expectedNodes(i));
            assertThat(cluster.call(i, "CLUSTER", "SLOTS")).isEqualTo(expectedSlots(i));
            assertThat(withoutOffsets(cluster.call(i, "CLUSTER", "SHARDS")))
                    .isEqualTo("*2\r\n" + shard(i) + shard(1 - i));
            assertThat(bulkPayload(cluster.call(i, "CLUSTER", "INFO")))
                    .contains("cluster_state:ok\r\n", "cluster_known_nodes:4\r\n", "cluster_size:2\r\n");
            assertThat(bulkPayload(cluster.call(i, "CLUSTER", "MYID"))).isEqualTo(masterId(i));
        }
        // the same nodes, IDs and links at both proxies; only which line says myself differs
        List<String> atZero = bulkPayload(cluster.call(0, "CLUSTER", "NODES")).replace("myself,", "").lines().sorted()
                .toList();
        List<String> atOne = bulkPayload(cluster.call(1, "CLUSTER", "NODES")).replace("myself,", "").lines().sorted()
                .toList();
        assertThat(atZero).isEqualTo(atOne).hasSize(4);
    }

    @Test
    void redisCliClusterCheck_passesAtEitherProxy() throws Exception {
        for (int i = 0; i < 2; i++) {
            Result r = run(List.of("redis-cli", "--cluster", "check", proxy(i)));
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).contains("[OK] All nodes agree about slots configuration.",
                    "[OK] All 16384 slots covered.");
        }
    }

    @Test
    void lettuceReadFromReplica_readsArriveAtTheReplicaRedis_writesAtTheMasters() throws Exception {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create(HOSTS[0], cluster.port(0)));
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            connection.setReadFrom(ReadFrom.REPLICA);
            List<RedisClusterNode> partitions = client.getPartitions().getPartitions();
            assertThat(partitions.stream().filter(n -> n.is(RedisClusterNode.NodeFlag.REPLICA))
                    .map(RedisClusterNode::getSlaveOf).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder(masterId(0), masterId(1));

            int keys = 400;
            List<RedisFuture<String>> sets = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                sets.add(connection.async().set("lettuce:" + i, "v" + i));
            }
            for (RedisFuture<String> f : sets) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
            }
            cluster.awaitReplicasInStep();
            cluster.resetStats();

            List<RedisFuture<String>> gets = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                gets.add(connection.async().get("lettuce:" + i));
            }
            for (int i = 0; i < keys; i++) {
                assertThat(gets.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("v" + i);
            }
            assertReadsAtTheReplicasOnly("lettuce", keys);
        } finally {
            client.shutdown();
        }
        assertWritesAtTheMasters("lettuce", 400);
    }

    @Test
    void redisPyReadFromReplicas_readsArriveAtTheReplicaRedis_writesAtTheMasters() throws Exception {
        String script = new File(ReplicasIT.class.getResource("/replica_reads.py").toURI()).getPath();
        int keys = 200;
        Result written = run(List.of("python3", script, HOSTS[1], Integer.toString(cluster.port(1)), "write", "py",
                Integer.toString(keys)));
        assertThat(written.exitCode()).as(written.output()).isZero();
        assertThat(written.output()).contains("ok " + keys).contains("nodes=" + String.join(",",
                List.of(proxy(0), proxy(1)).stream().sorted().toList()));
        cluster.awaitReplicasInStep();
        cluster.resetStats();

        Result read = run(List.of("python3", script, HOSTS[1], Integer.toString(cluster.port(1)), "read", "py",
                Integer.toString(keys)));
        assertThat(read.exitCode()).as(read.output()).isZero();
        assertThat(read.output()).contains("ok " + keys);
        if (read.output().contains("mode=replicas_only")) {
            assertReadsAtTheReplicasOnly("py", keys);
        } else {
            // redis-py before 5.3 spreads reads over each slot's master and replicas: some reach the replicas
            assertThat(calls(cluster.replicas.get(0), "get") + calls(cluster.replicas.get(1), "get")).isPositive();
        }
        assertWritesAtTheMasters("py", keys);
    }

    @Test
    void jedisAcceptsTheTopology_andItsReplicaCommandsReadAtTheReplicaRedis() {
        cluster.awaitReplicasInStep();
        cluster.awaitReplicasShown(); // Jedis reads the slots once, when it starts: replicas must be listed by then
        try (redis.clients.jedis.RedisClusterClient jedis = redis.clients.jedis.RedisClusterClient.builder()
                .nodes(java.util.Set.of(new HostAndPort(HOSTS[0], cluster.port(0))))
                .clientConfig(DefaultJedisClientConfig.builder().readOnlyForRedisClusterReplicas().build())
                .build()) {
            assertThat(jedis.getClusterNodes().keySet()).containsExactlyInAnyOrder(proxy(0), proxy(1));
            for (int i = 0; i < 100; i++) {
                assertThat(jedis.set("jedis:" + i, "v" + i)).isEqualTo("OK");
            }
            cluster.awaitReplicasInStep();
            cluster.resetStats();
            CommandObjects commands = new CommandObjects(RedisProtocol.RESP2); // GET reads the same in both protocols
            for (int i = 0; i < 100; i++) {
                assertThat(jedis.executeCommandToReplica(commands.get("jedis:" + i))).isEqualTo("v" + i);
                assertThat(jedis.get("jedis:" + i)).isEqualTo("v" + i);
            }
            long atReplicas = calls(cluster.replicas.get(0), "get") + calls(cluster.replicas.get(1), "get");
            long atMasters = calls(cluster.masters.get(0), "get") + calls(cluster.masters.get(1), "get");
            assertThat(atReplicas).isEqualTo(100);
            assertThat(atMasters).isEqualTo(100);
        }
        assertWritesAtTheMasters("jedis", 100);
    }

    @Test
    void readOnly_servesAPeersSlotFromTheLocalReplica_writesAreMoved_readWriteRestoresRouting() {
        String key = keyOf(1); // proxy 1's slot, read at proxy 0
        int slot = SlotHash.slot(key);
        assertThat(cluster.call(1, "SET", key, "from-master")).isEqualTo("+OK\r\n");
        String other = otherKeyOf(1, slot);
        assertThat(cluster.call(1, "SET", other, "other")).isEqualTo("+OK\r\n");
        String mine = keyOf(0);
        assertThat(cluster.call(0, "SET", mine, "mine")).isEqualTo("+OK\r\n");
        cluster.awaitReplicasInStep();
        cluster.resetStats();
        RedisProcess localReplica = cluster.replicas.get(0);

        try (RawRedisClient c = cluster.client(0)) {
            assertThat(c.call("GET", key)).isEqualTo("-MOVED " + slot + " " + proxy(1) + "\r\n");
            assertThat(c.call("READONLY")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", key)).isEqualTo("$11\r\nfrom-master\r\n");
            assertThat(c.call("STRLEN", key)).isEqualTo(":11\r\n");
            assertThat(c.call("SET", key, "x")).isEqualTo("-MOVED " + slot + " " + proxy(1) + "\r\n");
            // several slots of that master, split over the local replica (allow_cross_slot_local)
            assertThat(c.call("MGET", key, other)).isEqualTo("*2\r\n$11\r\nfrom-master\r\n$5\r\nother\r\n");
            // a slot of this proxy is read from its own master; its writes are served as always
            assertThat(c.call("GET", mine)).isEqualTo("$4\r\nmine\r\n");
            assertThat(c.call("SET", mine, "mine2")).isEqualTo("+OK\r\n");
            assertThat(c.call("READWRITE")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", key)).isEqualTo("-MOVED " + slot + " " + proxy(1) + "\r\n");
        }
        assertThat(calls(localReplica, "get")).isEqualTo(1);
        assertThat(calls(localReplica, "strlen")).isEqualTo(1);
        assertThat(calls(localReplica, "mget")).isEqualTo(1); // both slots are at that one replica: one MGET
        assertThat(calls(cluster.masters.get(1), "get")).isZero();
        assertThat(calls(cluster.masters.get(0), "get")).isEqualTo(1);
        assertThat(cluster.masters.get(1).rawCommand("GET", key)).isEqualTo("$11\r\nfrom-master\r\n");
    }

    @Test
    void theConnectionsToTheLocalReplica_outliveANewSetRepl_asThoseToTheMasterDo() {
        String key = keyOf(1);
        RedisProcess localReplica = cluster.replicas.get(0);
        try (RawRedisClient c = cluster.client(0)) {
            assertThat(c.call("READONLY")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", key)).isEqualTo("$-1\r\n");
            List<String> before = clientIdsThatRan(localReplica, "get");
            assertThat(before).isNotEmpty();
            cluster.push(); // a new SETREPL and SETCLUSTER: the backends served are worked out again
            assertThat(c.call("GET", key)).isEqualTo("$-1\r\n");
            // the GET came on a connection that was there before (a new one would have a new id)
            assertThat(clientIdsThatRan(localReplica, "get")).isNotEmpty().isSubsetOf(before);
        }
    }

    /** The ids of {@code redis}'s clients whose last command was {@code command}. */
    private static List<String> clientIdsThatRan(RedisProcess redis, String command) {
        List<String> ids = new ArrayList<>();
        for (String line : bulkPayload(redis.rawCommand("CLIENT", "LIST")).split("\n")) {
            if (line.contains(" cmd=" + command + " ")) {
                ids.add(line.substring(line.indexOf("id=") + 3, line.indexOf(' ')));
            }
        }
        return ids;
    }

    @Test
    void showReplicasOff_showsLoneMastersAndReadsNoReplica_untilItIsOnAgain() {
        try (RawRedisClient c = cluster.client(0)) {
            assertThat(c.call("CONFIG", "SET", "moonshard-show-replicas", "no")).isEqualTo("+OK\r\n");
            try {
                assertThat(bulkPayload(c.call("CLUSTER", "NODES"))).isEqualTo(
                        masterId(0) + " " + proxy(0) + " myself,master - 0 0 " + cluster.epoch() + " connected 0-8191\n"
                                + masterId(1) + " " + proxy(1) + " master - 0 0 " + cluster.epoch()
                                + " connected 8192-16383\n");
                assertThat(bulkPayload(c.call("CLUSTER", "INFO"))).contains("cluster_known_nodes:2\r\n");
                String key = keyOf(1);
                assertThat(c.call("READONLY")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", key)).startsWith("-MOVED ");
                assertThat(c.call("CONFIG", "GET", "moonshard-show-replicas"))
                        .isEqualTo("*2\r\n$23\r\nmoonshard-show-replicas\r\n$2\r\nno\r\n");
            } finally {
                assertThat(c.call("CONFIG", "SET", "moonshard-show-replicas", "yes")).isEqualTo("+OK\r\n");
            }
            assertThat(bulkPayload(c.call("CLUSTER", "NODES"))).isEqualTo(expectedNodes(0));
            assertThat(c.call("GET", keyOf(1))).isEqualTo("$-1\r\n"); // READONLY still on: the replica answers
        }
    }

    @Test
    void aSetReplWithoutReplicas_removesThemAtBothProxies_andTheNextOneBringsThemBack() {
        cluster.pushWithoutReplicas();
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                for (int i = 0; i < 2; i++) {
                    assertThat(bulkPayload(cluster.call(i, "CLUSTER", "NODES")).lines()).hasSize(2);
                }
            });
            try (RawRedisClient c = cluster.client(0)) {
                assertThat(c.call("READONLY")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", keyOf(1))).startsWith("-MOVED ");
            }
        } finally {
            cluster.push();
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            for (int i = 0; i < 2; i++) {
                assertThat(bulkPayload(cluster.call(i, "CLUSTER", "NODES"))).isEqualTo(expectedNodes(i));
            }
        });
    }

    // ---------------------------------------------------------------------------------- helpers

    private static void assertReadsAtTheReplicasOnly(String what, int keys) {
        long atReplicas = calls(cluster.replicas.get(0), "get") + calls(cluster.replicas.get(1), "get");
        assertThat(atReplicas).as(what + " reads at the replicas").isEqualTo(keys);
        assertThat(calls(cluster.replicas.get(0), "get")).as("both replicas serve reads").isPositive();
        assertThat(calls(cluster.replicas.get(1), "get")).as("both replicas serve reads").isPositive();
        assertThat(calls(cluster.masters.get(0), "get") + calls(cluster.masters.get(1), "get"))
                .as(what + " reads at the masters").isZero();
    }

    /** Every key is in the master of its slot's proxy, and written there, not at a replica. */
    private static void assertWritesAtTheMasters(String prefix, int keys) {
        for (int i = 0; i < keys; i++) {
            String key = prefix + ":" + i;
            int owner = SlotHash.slot(key) <= RANGES[0][1] ? 0 : 1;
            assertThat(cluster.masters.get(owner).rawCommand("GET", key)).isEqualTo(
                    "$" + ("v" + i).length() + "\r\nv" + i + "\r\n");
        }
    }

    /** A key whose slot proxy {@code proxy} serves. */
    private static String keyOf(int proxy) {
        return otherKeyOf(proxy, -1);
    }

    private static String otherKeyOf(int proxy, int notSlot) {
        for (int i = 0; ; i++) {
            String key = "k" + i;
            int slot = SlotHash.slot(key);
            if (slot >= RANGES[proxy][0] && slot <= RANGES[proxy][1] && slot != notSlot) {
                return key;
            }
        }
    }

    /** The text of a bulk reply ({@code $n\r\n...\r\n}). */
    private static String bulkPayload(String reply) {
        assertThat(reply).startsWith("$");
        int start = reply.indexOf("\r\n") + 2;
        return reply.substring(start, reply.length() - 2);
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + out).isTrue();
        return new Result(p.exitValue(), out);
    }
}
