package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Blocking commands block on a connection of their own, across slots and proxies. */
class BlockingCommandsIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(3, 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int blockedClients(RedisProcess redis) {
        String info = redis.rawCommand("INFO", "clients");
        for (String line : info.split("\r\n")) {
            if (line.startsWith("blocked_clients:")) {
                return Integer.parseInt(line.substring("blocked_clients:".length()));
            }
        }
        throw new AssertionError("no blocked_clients in " + info);
    }

    private static int totalBlocked() {
        int total = 0;
        for (List<RedisProcess> list : cluster.backends) {
            for (RedisProcess redis : list) {
                total += blockedClients(redis);
            }
        }
        return total;
    }

    @Test
    void twoHundredClientsBlockedAcrossSlotsAndProxies_areAllServedByLaterPushes() {
        int n = 200;
        List<RawRedisClient> blocked = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String key = "blpop:" + i;
                keys.add(key);
                RawRedisClient client = new RawRedisClient(cluster.port(cluster.proxyOwning(Slots.slotOf(key))));
                blocked.add(client);
                client.send("BLPOP", key, "0");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> totalBlocked() == n);
            // shared connections stay usable while 200 clients block
            try (RawRedisClient pusher = new RawRedisClient(cluster.port(0))) {
                for (int i = 0; i < n; i++) {
                    String key = keys.get(i);
                    try (RawRedisClient owner = new RawRedisClient(cluster.port(cluster.proxyOwning(Slots.slotOf(key))))) {
                        assertThat(owner.call("RPUSH", key, "v" + i)).isEqualTo(":1\r\n");
                    }
                }
                assertThat(pusher.call("PING")).isEqualTo("+PONG\r\n");
            }
            for (int i = 0; i < n; i++) {
                String key = keys.get(i);
                String value = "v" + i;
                assertThat(blocked.get(i).readReply()).isEqualTo("*2\r\n$" + key.length() + "\r\n" + key + "\r\n$"
                        + value.length() + "\r\n" + value + "\r\n");
            }
        } finally {
            blocked.forEach(RawRedisClient::close);
        }
    }

    @Test
    void aBlockedClientThatDisconnects_freesItsBackendConnection() {
        String key = "blpop:gone";
        RedisProcess backend = cluster.backendOwning(Slots.slotOf(key));
        int before = blockedClients(backend);
        RawRedisClient client = new RawRedisClient(cluster.port(cluster.proxyOwning(Slots.slotOf(key))));
        client.send("BLPOP", key, "0");
        await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(backend) == before + 1);
        int proxyPort = cluster.port(cluster.proxyOwning(Slots.slotOf(key)));
        try (RawRedisClient info = new RawRedisClient(proxyPort)) {
            // the proxy reports its own blocked client, as a node reports the clients it blocks
            assertThat(info.call("INFO", "clients")).contains("blocked_clients:1\r\n");
        }
        client.close();
        try (RawRedisClient info = new RawRedisClient(proxyPort)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> info.call("INFO", "clients").contains("blocked_clients:0\r\n"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(backend) == before);
        // nothing was popped on the client's behalf
        try (RawRedisClient owner = new RawRedisClient(cluster.port(cluster.proxyOwning(Slots.slotOf(key))))) {
            owner.call("RPUSH", key, "kept");
            assertThat(owner.call("LPOP", key)).isEqualTo("$4\r\nkept\r\n");
        }
    }

    @Test
    void blockingWaitsLongerThanTheBackendTimeout_andFloatTimeoutsExpire() {
        String key = "blpop:late";
        int port = cluster.port(cluster.proxyOwning(Slots.slotOf(key)));
        try (RawRedisClient client = new RawRedisClient(port)) {
            // backend_timeout is 3 s by default: a BLPOP of 4 s must still get Redis's own timeout reply
            client.setReadTimeoutMillis(15_000);
            assertThat(client.call("BLPOP", key, "4")).isEqualTo("*-1\r\n");
            assertThat(client.call("BLPOP", key, "0.05")).isEqualTo("*-1\r\n");
            assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void xreadBlockIsServedByALaterXadd() {
        String stream = "stream:block";
        int port = cluster.port(cluster.proxyOwning(Slots.slotOf(stream)));
        try (RawRedisClient reader = new RawRedisClient(port); RawRedisClient writer = new RawRedisClient(port)) {
            reader.send("XREAD", "BLOCK", "0", "STREAMS", stream, "$");
            RedisProcess backend = cluster.backendOwning(Slots.slotOf(stream));
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(backend) >= 1);
            assertThat(writer.call("XADD", stream, "1-1", "f", "v")).isEqualTo("$3\r\n1-1\r\n");
            assertThat(reader.readReply()).contains("1-1").contains("$1\r\nf\r\n$1\r\nv\r\n");
        }
    }

    @Test
    void overTheDedicatedConnectionLimit_aBlockingCommandIsRefusedClearly() {
        try (LocalMoonshardCluster small = LocalMoonshardCluster.start(1, 1, b -> b.maxDedicatedConnections(1));
             RawRedisClient first = new RawRedisClient(small.port(0));
             RawRedisClient second = new RawRedisClient(small.port(0))) {
            first.send("BLPOP", "limit:a", "0");
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(small.backends.get(0).get(0)) == 1);
            assertThat(second.call("BLPOP", "limit:b", "0"))
                    .startsWith("-ERR max number of dedicated backend connections reached");
            assertThat(second.call("LPUSH", "limit:a", "x")).isEqualTo(":1\r\n");
            assertThat(first.readReply()).isEqualTo("*2\r\n$7\r\nlimit:a\r\n$1\r\nx\r\n");
        }
    }

    @Test
    void clientUnblock_endsABlockedCommandLikeRedis() {
        String key = "blpop:unblock";
        int port = cluster.port(cluster.proxyOwning(Slots.slotOf(key)));
        RedisProcess backend = cluster.backendOwning(Slots.slotOf(key));
        try (RawRedisClient blocked = new RawRedisClient(port); RawRedisClient admin = new RawRedisClient(port)) {
            String id = blocked.call("CLIENT", "ID").substring(1).trim();
            assertThat(admin.call("CLIENT", "UNBLOCK", id)).isEqualTo(":0\r\n"); // not blocked yet
            blocked.send("BLPOP", key, "0");
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(backend) >= 1);
            assertThat(admin.call("CLIENT", "UNBLOCK", id)).isEqualTo(":1\r\n");
            assertThat(blocked.readReply()).isEqualTo("*-1\r\n");
            blocked.send("BLPOP", key, "0");
            await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients(backend) >= 1);
            assertThat(admin.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":1\r\n");
            assertThat(blocked.readReply()).isEqualTo("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
            assertThat(admin.call("CLIENT", "UNBLOCK", "asd")).isEqualTo("-ERR value is not an integer or out of range\r\n");
            assertThat(admin.call("CLIENT", "UNBLOCK", id, "NOPE"))
                    .isEqualTo("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
        }
    }
}
