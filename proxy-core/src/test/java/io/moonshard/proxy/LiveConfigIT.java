package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CONFIG SET / CONFIG GET of the proxy's own moonshard-* settings against real backends: a password
 * rotation, a slow log threshold, a backend timeout and limits take effect at once, without a restart;
 * Redis's own parameters still reach every backend, alone or mixed with the proxy's.
 */
class LiveConfigIT {

    private static final String PASSWORD = "secret";
    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        // slow log threshold 1 s: nothing a test does is that slow until a test lowers it
        cluster = LocalMoonshardCluster.start(1, 2, b -> b.password(PASSWORD).slowlogLogSlowerThan(1_000_000));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A connection that has sent AUTH with {@code password}. */
    private static RawRedisClient authed(String password) {
        RawRedisClient c = new RawRedisClient(cluster.port(0));
        assertThat(c.call("AUTH", password)).isEqualTo("+OK\r\n");
        return c;
    }

    /** Keeps Redis busy for {@code millis} inside a script (TIME in microseconds). */
    private static String busyScript(int millis) {
        return "local t = redis.call('TIME') local start = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
                + "while true do local n = redis.call('TIME') "
                + "if tonumber(n[1]) * 1000000 + tonumber(n[2]) - start >= " + millis * 1000 + " then break end end "
                + "return 1";
    }

    @Test
    void passwordRotation_newConnectionsNeedTheNewPassword_anAuthenticatedOneKeepsWorking() {
        String key = Slots.keyIn(100, "rotate");
        try (RawRedisClient before = authed(PASSWORD)) {
            try {
                assertThat(before.call("CONFIG", "SET", "moonshard-password", "rotated")).isEqualTo("+OK\r\n");

                assertThat(before.call("SET", key, "v")).isEqualTo("+OK\r\n");
                assertThat(before.call("GET", key)).isEqualTo("$1\r\nv\r\n");
                try (RawRedisClient after = new RawRedisClient(cluster.port(0))) {
                    assertThat(after.call("GET", key)).isEqualTo("-NOAUTH Authentication required.\r\n");
                    assertThat(after.call("AUTH", PASSWORD))
                            .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
                    assertThat(after.call("AUTH", "rotated")).isEqualTo("+OK\r\n");
                    assertThat(after.call("GET", key)).isEqualTo("$1\r\nv\r\n");
                }
            } finally {
                assertThat(before.call("CONFIG", "SET", "moonshard-password", PASSWORD)).isEqualTo("+OK\r\n");
            }
        }
    }

    @Test
    void redisSlowlogSettings_setTheBackendsAndTheProxysSlowlogAlike() {
        try (RawRedisClient c = authed(PASSWORD)) {
            try {
                assertThat(c.call("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "5"))
                        .isEqualTo("+OK\r\n");
                assertThat(c.call("CONFIG", "GET", "moonshard-slowlog-*")).contains("$1\r\n0\r\n").contains("$1\r\n5\r\n");
                for (io.moonshard.testkit.RedisProcess redis : cluster.backends.get(0)) {
                    assertThat(redis.rawCommand("CONFIG", "GET", "slowlog-max-len")).endsWith("$1\r\n5\r\n");
                }
                c.call("SLOWLOG", "RESET");
                for (int i = 0; i < 10; i++) {
                    c.call("ECHO", "x" + i);
                }
                assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(":5\r\n");
            } finally {
                c.call("CONFIG", "SET", "slowlog-log-slower-than", "1000000", "slowlog-max-len", "128");
            }
        }
    }

    @Test
    void slowlogThreshold_loweredAtRunTime_logsACommandItDidNotBefore() {
        String key = Slots.keyIn(200, "slow");
        try (RawRedisClient c = authed(PASSWORD)) {
            try {
                assertThat(c.call("SLOWLOG", "RESET")).isEqualTo("+OK\r\n");
                assertThat(c.call("EVAL", busyScript(30), "1", key)).isEqualTo(":1\r\n");
                assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(":0\r\n");

                assertThat(c.call("CONFIG", "SET", "moonshard-slowlog-log-slower-than", "20000")).isEqualTo("+OK\r\n");
                assertThat(c.call("EVAL", busyScript(30), "1", key)).isEqualTo(":1\r\n");

                assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(":1\r\n");
                assertThat(c.call("SLOWLOG", "GET", "1")).contains("$4\r\nEVAL\r\n");
                assertThat(c.call("CONFIG", "GET", "moonshard-slowlog-log-slower-than"))
                        .isEqualTo("*2\r\n$33\r\nmoonshard-slowlog-log-slower-than\r\n$5\r\n20000\r\n");
            } finally {
                assertThat(c.call("CONFIG", "SET", "moonshard-slowlog-log-slower-than", "1000000")).isEqualTo("+OK\r\n");
            }
        }
    }

    @Test
    void configGet_listsTheProxySettings_andMergesThemWithTheBackendsParameters() {
        try (RawRedisClient c = authed(PASSWORD)) {
            String own = c.call("CONFIG", "GET", "moonshard-*");
            assertThat(own).startsWith("*28\r\n");
            for (String name : List.of("moonshard-password", "moonshard-slowlog-log-slower-than",
                    "moonshard-slowlog-max-len", "moonshard-max-clients", "moonshard-backend-timeout",
                    "moonshard-max-dedicated-connections", "moonshard-client-query-buffer-limit",
                    "moonshard-max-total-query-buffer-bytes", "moonshard-migration-keys-per-second",
                    "moonshard-migration-fence-timeout", "moonshard-show-replicas", "moonshard-write-ack",
                    "moonshard-write-ack-timeout-ms", "moonshard-migration-seed-by-replication")) {
                assertThat(own).contains("$" + name.length() + "\r\n" + name + "\r\n");
            }
            assertThat(own).contains("$18\r\nmoonshard-password\r\n$6\r\nsecret\r\n");

            assertThat(c.call("CONFIG", "GET", "maxmemory-policy", "moonshard-max-clients"))
                    .isEqualTo("*4\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
                            + "$21\r\nmoonshard-max-clients\r\n$5\r\n10000\r\n");
            assertThat(c.call("CONFIG", "GET", "maxmemory-policy")).isEqualTo(
                    "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n");
            assertThat(c.call("HELLO", "3")).startsWith("%");
            assertThat(c.call("CONFIG", "GET", "maxmemory-policy", "moonshard-max-clients"))
                    .isEqualTo("%2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
                            + "$21\r\nmoonshard-max-clients\r\n$5\r\n10000\r\n");
        }
    }

    @Test
    void redisParameters_stillReachEveryBackend_aloneOrMixed_andARefusalChangesNothingInTheProxy() {
        try (RawRedisClient c = authed(PASSWORD)) {
            try {
                assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).isEqualTo("+OK\r\n");
                assertBackendsHave("allkeys-lru");

                assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "volatile-lru", "moonshard-max-clients", "5000"))
                        .isEqualTo("+OK\r\n");
                assertBackendsHave("volatile-lru");
                assertThat(c.call("CONFIG", "GET", "moonshard-max-clients")).contains("$4\r\n5000\r\n");

                assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "bogus", "moonshard-max-clients", "6000"))
                        .startsWith("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')");
                assertThat(c.call("CONFIG", "GET", "moonshard-max-clients")).contains("$4\r\n5000\r\n");
                assertBackendsHave("volatile-lru");

                assertThat(c.call("CONFIG", "SET", "no-such-parameter", "1", "moonshard-max-clients", "6000"))
                        .isEqualTo("-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-parameter'\r\n");
                assertThat(c.call("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
            } finally {
                c.call("CONFIG", "SET", "maxmemory-policy", "noeviction", "moonshard-max-clients", "10000");
            }
            assertBackendsHave("noeviction");
            assertThat(c.call("CONFIG", "GET", "moonshard-max-clients")).contains("$5\r\n10000\r\n");
        }
    }

    private static void assertBackendsHave(String policy) {
        for (RedisProcess backend : cluster.backends.get(0)) {
            assertThat(backend.rawCommand("CONFIG", "GET", "maxmemory-policy"))
                    .as("backend %s", backend.address()).contains("$" + policy.length() + "\r\n" + policy + "\r\n");
        }
    }

    @Test
    void backendTimeout_loweredAtRunTime_failsASlowCommand() {
        String key = Slots.keyIn(300, "timeout");
        try (RawRedisClient c = authed(PASSWORD)) {
            try {
                assertThat(c.call("CONFIG", "SET", "moonshard-backend-timeout", "100")).isEqualTo("+OK\r\n");
                assertThat(c.call("EVAL", busyScript(1500), "1", key)).matches("-ERR backend \\S+ timed out after 100 ms\r\n");
            } finally {
                assertThat(c.call("CONFIG", "SET", "moonshard-backend-timeout", "3000")).isEqualTo("+OK\r\n");
            }
            // the backend finishes the script, then serves again
            Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> c.call("GET", key).equals("$-1\r\n"));
        }
    }

    @Test
    void limits_changedAtRunTime_applyToTheNextConnectionOrCommand() {
        try (RawRedisClient c = authed(PASSWORD)) {
            try {
                assertThat(c.call("CONFIG", "SET", "moonshard-max-dedicated-connections", "0")).isEqualTo("+OK\r\n");
                assertThat(c.call("BLPOP", Slots.keyIn(400, "list"), "0.01"))
                        .startsWith("-ERR max number of dedicated backend connections reached (max_dedicated_connections 0)");
                assertThat(c.call("CONFIG", "SET", "moonshard-max-dedicated-connections", "10000")).isEqualTo("+OK\r\n");
                assertThat(c.call("BLPOP", Slots.keyIn(400, "list"), "0.01")).isEqualTo("*-1\r\n");

                assertThat(c.call("CONFIG", "SET", "moonshard-max-clients", "1")).isEqualTo("+OK\r\n");
                try (RawRedisClient refused = new RawRedisClient(cluster.port(0))) {
                    assertThat(refused.readReply()).isEqualTo("-ERR max number of clients reached\r\n");
                }
            } finally {
                c.call("CONFIG", "SET", "moonshard-max-dedicated-connections", "10000", "moonshard-max-clients", "10000");
            }
            try (RawRedisClient admitted = authed(PASSWORD)) {
                assertThat(admitted.call("PING")).isEqualTo("+PONG\r\n");
            }
        }
    }
}
