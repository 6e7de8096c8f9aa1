package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Client passwords and named users, the admin password on UMCTL, and backends that need a password. */
class AuthIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(2, 1, b -> b.password("secret").users(Map.of("alice", "alice-pw"))
                .adminPassword("admin-pw"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everythingButAuthHelloQuitNeedsAuthentication_withRedisExactErrors() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("GET", "k")).isEqualTo("-NOAUTH Authentication required.\r\n");
            assertThat(c.call("CLUSTER", "SLOTS")).isEqualTo("-NOAUTH Authentication required.\r\n");
            assertThat(c.call("AUTH", "wrong"))
                    .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            assertThat(c.call("AUTH", "alice", "secret"))
                    .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            assertThat(c.call("HELLO", "3", "AUTH", "alice", "nope"))
                    .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            assertThat(c.call("AUTH", "secret")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", Slots.keyIn(0, "auth"))).isEqualTo("$-1\r\n");
        }
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("AUTH", "default", "secret")).isEqualTo("+OK\r\n");
        }
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("AUTH", "alice", "alice-pw")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", Slots.keyIn(0, "auth"), "alice")).isEqualTo("+OK\r\n");
        }
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("HELLO", "3", "AUTH", "alice", "alice-pw")).startsWith("%7\r\n");
            assertThat(c.call("GET", Slots.keyIn(0, "auth"))).isEqualTo("$5\r\nalice\r\n");
        }
    }

    @Test
    void umctlChangesNeedTheAdminPassword_readsStayOpen() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(1))) {
            String[] setCluster = cluster.setClusterArgs(1);
            assertThat(c.call("UMCTL", "READY")).isEqualTo("-NOAUTH Authentication required.\r\n");
            assertThat(c.call("AUTH", "secret")).isEqualTo("+OK\r\n"); // UMCTL needs the client's AUTH too
            assertThat(c.call(setCluster)).startsWith("-NOAUTH UMCTL SETCLUSTER needs the admin password");
            assertThat(c.call("UMCTL", "SETREPL", "anything")).startsWith("-NOAUTH UMCTL SETREPL");
            assertThat(c.call("UMCTL", "SHUTDOWN")).startsWith("-NOAUTH");
            assertThat(c.call("UMCTL", "READY")).isEqualTo(":1\r\n");
            assertThat(c.call("UMCTL", "GETEPOCH")).isEqualTo(":" + cluster.epoch() + "\r\n");
            assertThat(c.call("UMCTL", "AUTH", "secret")).isEqualTo("-WRONGPASS invalid admin password\r\n");
            assertThat(c.call("UMCTL", "AUTH", "admin-pw")).isEqualTo("+OK\r\n");
            // the same epoch again: past the guard, the epoch rule answers
            assertThat(c.call(setCluster)).isEqualTo("-OLD_EPOCH\r\n");
        }
    }

    @Test
    void lettuceWithAPassword_worksAcrossTheCluster() {
        RedisClusterClient client = RedisClusterClient.create(
                RedisURI.builder().withHost("127.0.0.1").withPort(cluster.port(0)).withPassword("secret".toCharArray()).build());
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int i = 0; i < 50; i++) {
                assertThat(c.sync().set("lettuce-auth:" + i, "v" + i)).isEqualTo("OK");
            }
            for (int i = 0; i < 50; i++) {
                assertThat(c.sync().get("lettuce-auth:" + i)).isEqualTo("v" + i);
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void backendsWithAPassword_areAuthenticatedByTheProxy() throws Exception {
        try (RedisProcess redis = RedisProcess.start("--requirepass", "backend-pw");
             ProxyServer good = ProxyServer.builder().config(ProxyConfig.builder()
                     .address("127.0.0.1:" + FreePorts.next()).threads(1).backendPassword("backend-pw").build()).build().start();
             ProxyServer bad = ProxyServer.builder().config(ProxyConfig.builder()
                     .address("127.0.0.1:" + FreePorts.next()).threads(1).backendPassword("nope").build()).build().start()) {
            for (ProxyServer proxy : new ProxyServer[] {good, bad}) {
                try (RawRedisClient c = new RawRedisClient(proxy.boundAddress().getPort())) {
                    assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "db", redis.address(), "1", "0-16383"))
                            .isEqualTo("+OK\r\n");
                }
            }
            try (RawRedisClient c = new RawRedisClient(good.boundAddress().getPort())) {
                assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
            }
            try (RawRedisClient c = new RawRedisClient(bad.boundAddress().getPort())) {
                // the backend refuses the proxy's login; the client sees the backend's own error
                assertThat(c.call("GET", "k")).isEqualTo("-NOAUTH Authentication required.\r\n");
            }
        }
    }

    /**
     * Redis 7.0 judges a request before AUTH by tighter limits (processMultibulkBuffer): more than 10
     * arguments or an argument over 16 KB is a protocol error and the connection closes. The same bytes
     * go to a real redis-server with requirepass and to the proxy; after AUTH both take them.
     */
    @Test
    void beforeAuth_redisLimitsOnRequestSize_asRedis() throws Exception {
        String many = "*11\r\n" + "$4\r\nPING\r\n" + "$1\r\nx\r\n".repeat(10);
        String big = "*2\r\n$4\r\nECHO\r\n$16385\r\n";
        try (RedisProcess redis = RedisProcess.start("--requirepass", "secret")) {
            for (String request : new String[] {many, big}) {
                String fromRedis;
                try (RawRedisClient c = new RawRedisClient(redis.port())) {
                    c.sendRaw(request);
                    fromRedis = c.readReply();
                    assertThat(c.isClosedByServer()).isTrue();
                }
                try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
                    c.sendRaw(request);
                    assertThat(c.readReply()).isEqualTo(fromRedis).startsWith("-ERR Protocol error: unauthenticated");
                    assertThat(c.isClosedByServer()).isTrue();
                }
            }
        }
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("AUTH", "secret")).isEqualTo("+OK\r\n");
            String value = "v".repeat(16385);
            assertThat(c.call("ECHO", value)).isEqualTo("$16385\r\n" + value + "\r\n");
        }
    }

    /** UMCTL is the proxy's administration: a restricted ACL user gets NOPERM, unless it also proved the admin password. */
    @Test
    void restrictedAclUser_cannotRunUmctl_unlessAdmin() {
        try (RawRedisClient admin = new RawRedisClient(cluster.port(0)); RawRedisClient carol = new RawRedisClient(cluster.port(0))) {
            assertThat(admin.call("AUTH", "secret")).isEqualTo("+OK\r\n");
            assertThat(admin.call("ACL", "SETUSER", "carol", "on", ">carol-pw", "~app:*", "+get")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "INFO")).doesNotStartWith("-");
            assertThat(carol.call("AUTH", "carol", "carol-pw")).isEqualTo("+OK\r\n");
            String noPerm = "-NOPERM this user has no permissions to run the 'umctl' command\r\n";
            for (String[] umctl : List.of(new String[] {"UMCTL", "SLOWLOG", "GET"}, new String[] {"UMCTL", "INFO"},
                    new String[] {"UMCTL", "SLOWLOG", "RESET"}, new String[] {"UMCTL", "GETEPOCH"})) {
                assertThat(carol.call(umctl)).as(String.join(" ", umctl)).isEqualTo(noPerm);
            }
            assertThat(carol.call("UMCTL", "AUTH", "admin-pw")).isEqualTo("+OK\r\n");
            assertThat(carol.call("UMCTL", "GETEPOCH")).startsWith(":");
            assertThat(admin.call("ACL", "DELUSER", "carol")).isEqualTo(":1\r\n");
        }
    }
}
