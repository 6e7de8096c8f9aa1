package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One proxy whose slots live on three backends answers like one Redis Cluster node: keyspace commands
 * over all of them, and, with {@code allow_cross_slot_local} on, multi-key commands split by backend
 * (proxy 0: slots 0-8191 on three backends; proxy 1: the rest).
 */
class MultiBackendIT {

    private static LocalMoonshardCluster cluster;
    /** Keys on proxy 0's backends 0, 1 and 2 (slots 10, 3000, 6000), and one on proxy 1. */
    private static final String A = Slots.keyIn(10, "a");
    private static final String B = Slots.keyIn(3000, "b");
    private static final String C = Slots.keyIn(6000, "c");
    private static final String REMOTE = Slots.keyIn(12000, "r");

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(2, 3, b -> b.allowCrossSlotLocal(true));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flush() {
        for (List<RedisProcess> list : cluster.backends) {
            for (RedisProcess redis : list) {
                redis.rawCommand("FLUSHALL");
                redis.rawCommand("SCRIPT", "FLUSH");
            }
        }
    }

    private static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    @Test
    void mgetAndMsetOverThreeBackends_lookLikeOneNode() {
        assertThat(cluster.backendOwning(10)).isNotSameAs(cluster.backendOwning(3000));
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("MSET", A, "1", B, "2", C, "3")).isEqualTo("+OK\r\n");
            assertThat(cluster.backendOwning(3000).rawCommand("GET", B)).isEqualTo(bulk("2"));
            String missing = Slots.keyIn(4000, "missing");
            assertThat(c.call("MGET", C, missing, A, B, A))
                    .isEqualTo("*5\r\n" + bulk("3") + "$-1\r\n" + bulk("1") + bulk("2") + bulk("1"));
            assertThat(c.call("EXISTS", A, B, C, missing, A)).isEqualTo(":4\r\n");
            assertThat(c.call("TOUCH", A, B, missing)).isEqualTo(":2\r\n");
            assertThat(c.call("DEL", A, B, missing)).isEqualTo(":2\r\n");
            assertThat(c.call("UNLINK", C, A)).isEqualTo(":1\r\n");
        }
    }

    @Test
    void keysOnAnotherProxy_stayCrossSlot_andMsetnxStaysSingleSlot() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("MGET", A, REMOTE)).isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            assertThat(c.call("MSETNX", A, "1", B, "2")).isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            assertThat(c.call("EXISTS", A)).isEqualTo(":0\r\n");
        }
    }

    @Test
    void anErrorFromOnePart_isTheReply() {
        RedisProcess full = cluster.backendOwning(3000);
        full.rawCommand("CONFIG", "SET", "maxmemory", "1");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("MSET", A, "1", B, "2", C, "3")).startsWith("-OOM command not allowed");
        } finally {
            full.rawCommand("CONFIG", "SET", "maxmemory", "0");
        }
    }

    @Test
    void keyspaceCommandsCoverEveryBackend() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String key = Slots.keyIn(i * 27 % 8192, "k" + i + ":");
                keys.add(key);
                assertThat(c.call("SET", key, "v")).isEqualTo("+OK\r\n");
            }
            int onBackends = 0;
            for (RedisProcess redis : cluster.backends.get(0)) {
                String n = redis.rawCommand("DBSIZE");
                assertThat(n).isNotEqualTo(":0\r\n");
                onBackends += Integer.parseInt(n.substring(1, n.length() - 2));
            }
            assertThat(onBackends).isEqualTo(300);
            assertThat(c.call("DBSIZE")).isEqualTo(":300\r\n");
            String keyspace = c.call("INFO", "keyspace");
            assertThat(keyspace).contains("# Keyspace\r\ndb0:keys=300,expires=0,");
            String server = c.call("INFO", "server");
            assertThat(server).contains("redis_mode:cluster\r\n").contains("tcp_port:" + cluster.port(0) + "\r\n")
                    .doesNotContain("# Keyspace");

            String all = c.call("KEYS", "k*");
            assertThat(all).startsWith("*300\r\n");
            for (String key : keys) {
                assertThat(all).contains(bulk(key));
            }

            Set<String> scanned = new HashSet<>();
            String cursor = "0";
            int rounds = 0;
            do {
                String reply = c.call("SCAN", cursor, "MATCH", "k*", "COUNT", "25");
                String[] lines = reply.split("\r\n");
                cursor = lines[2];
                for (int i = 5; i < lines.length; i += 2) { // [*2, $n, cursor, *k, $n, key, ...]
                    scanned.add(lines[i]);
                }
                rounds++;
            } while (!cursor.equals("0") && rounds < 1000);
            assertThat(cursor).isEqualTo("0");
            assertThat(scanned).containsExactlyInAnyOrderElementsOf(keys);

            String random = c.call("RANDOMKEY");
            assertThat(keys).contains(random.split("\r\n")[1]);

            assertThat(c.call("FLUSHALL")).isEqualTo("+OK\r\n");
            assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
            assertThat(c.call("RANDOMKEY")).isEqualTo("$-1\r\n");
            // proxy 1's data is not this node's to flush
            try (RawRedisClient other = new RawRedisClient(cluster.port(1))) {
                assertThat(other.call("SET", REMOTE, "kept")).isEqualTo("+OK\r\n");
            }
            assertThat(c.call("FLUSHALL", "ASYNC")).isEqualTo("+OK\r\n");
            try (RawRedisClient other = new RawRedisClient(cluster.port(1))) {
                assertThat(other.call("GET", REMOTE)).isEqualTo(bulk("kept"));
            }
        }
    }

    @Test
    void scriptLoadReachesEveryBackend_soEvalshaWorksWhereverTheKeyLives() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            String sha = c.call("SCRIPT", "LOAD", "return redis.call('SET', KEYS[1], ARGV[1])").split("\r\n")[1];
            for (String key : List.of(A, B, C)) {
                assertThat(c.call("EVALSHA", sha, "1", key, "via-sha")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", key)).isEqualTo(bulk("via-sha"));
            }
            String unknown = "0000000000000000000000000000000000000000";
            assertThat(c.call("SCRIPT", "EXISTS", sha, unknown)).isEqualTo("*2\r\n:1\r\n:0\r\n");
            // loaded on one backend only: not known everywhere, so not reported as existing
            cluster.backends.get(0).get(1).rawCommand("SCRIPT", "FLUSH");
            assertThat(c.call("SCRIPT", "EXISTS", sha)).isEqualTo("*1\r\n:0\r\n");
            assertThat(c.call("SCRIPT", "FLUSH")).isEqualTo("+OK\r\n");
            assertThat(cluster.backends.get(0).get(0).rawCommand("SCRIPT", "EXISTS", sha)).isEqualTo("*1\r\n:0\r\n");
            // a script without keys runs on the first backend
            assertThat(c.call("EVAL", "return 7", "0")).isEqualTo(":7\r\n");
        }
    }

    @Test
    void debugObject_isRoutedByItsKey() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            for (String key : List.of(A, B, C)) {
                c.call("SET", key, "12345");
                assertThat(c.call("DEBUG", "OBJECT", key)).startsWith("+Value at:").contains("encoding:int");
            }
            assertThat(c.call("DEBUG", "OBJECT", REMOTE)).isEqualTo("-MOVED 12000 " + cluster.proxyAddresses.get(1) + "\r\n");
            assertThat(c.call("DEBUG", "SEGFAULT")).isEqualTo("-ERR DEBUG SEGFAULT is not allowed through the proxy (allow_dangerous_commands)\r\n");
        }
    }

    @Test
    void clientPauseReachesEveryBackend() {
        List<RawRedisClient> writers = new ArrayList<>();
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("CLIENT", "PAUSE", "100000", "WRITE")).isEqualTo("+OK\r\n");
            for (RedisProcess redis : cluster.backends.get(0)) {
                RawRedisClient writer = new RawRedisClient(redis.port());
                writers.add(writer);
                writer.setReadTimeoutMillis(300);
                writer.send("SET", "paused", "1");
                // the backend holds the write while paused
                org.assertj.core.api.Assertions.assertThatThrownBy(writer::readReply)
                        .isInstanceOf(java.io.UncheckedIOException.class);
            }
            // clients held by the pause count as blocked, as a node reports them
            assertThat(c.call("INFO", "clients")).contains("blocked_clients:3\r\n");
            assertThat(c.call("CLIENT", "UNPAUSE")).isEqualTo("+OK\r\n");
            for (RawRedisClient writer : writers) {
                writer.setReadTimeoutMillis(10_000);
                assertThat(writer.readReply()).isEqualTo("+OK\r\n");
            }
        } finally {
            writers.forEach(RawRedisClient::close);
        }
    }
}
