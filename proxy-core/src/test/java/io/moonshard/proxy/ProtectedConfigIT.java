package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backends' settings the proxy depends on, or that reach their file system, are neither read nor
 * changed through it: a backend with {@code requirepass} behind a proxy with {@code backend_password}.
 */
class ProtectedConfigIT {

    private static final String BACKEND_PASSWORD = "backend-pw-7f3a";

    private static RedisProcess redis;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws InterruptedException {
        redis = RedisProcess.start("--requirepass", BACKEND_PASSWORD);
        proxy = ProxyServer.builder().config(ProxyConfig.builder().address("127.0.0.1:" + FreePorts.next()).threads(1)
                .backendPassword(BACKEND_PASSWORD).build()).build().start();
        try (RawRedisClient c = client()) {
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "db", redis.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
        }
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static RawRedisClient client() {
        return new RawRedisClient(proxy.boundAddress().getPort());
    }

    /** A connection straight to the backend, logged in. */
    private static RawRedisClient backend() {
        RawRedisClient c = new RawRedisClient(redis.port());
        assertThat(c.call("AUTH", BACKEND_PASSWORD)).isEqualTo("+OK\r\n");
        return c;
    }

    @Test
    void configGet_neverShowsTheBackendsPassword_norAnyProtectedParameter() {
        try (RawRedisClient c = client()) {
            // as Redis answers for a name that matches nothing
            assertThat(c.call("CONFIG", "GET", "requirepass")).isEqualTo("*0\r\n");
            assertThat(c.call("CONFIG", "GET", "REQUIREPASS", "dir", "masterauth")).isEqualTo("*0\r\n");
            // *pass* matches requirepass, masterauth and the TLS key passwords at the backend: all left out;
            // what remains is the proxy's own setting
            assertThat(c.call("CONFIG", "GET", "*pass*")).isEqualTo("*2\r\n$18\r\nmoonshard-password\r\n$0\r\n\r\n");
            String all = c.call("CONFIG", "GET", "*");
            assertThat(all).doesNotContain(BACKEND_PASSWORD).contains("\r\nmaxmemory-policy\r\n", "\r\nmoonshard-password\r\n");
            for (String hidden : List.of("requirepass", "masterauth", "masteruser", "unixsocket",
                    "dir", "dbfilename", "appendfilename", "appenddirname", "logfile", "pidfile", "aclfile",
                    "replica-read-only", "slave-read-only", "replica-announce-ip",
                    "tls-port", "tls-key-file-pass", "cluster-config-file", "protected-mode",
                    "enable-debug-command", "enable-protected-configs")) {
                assertThat(all).as(hidden).doesNotContain("\r\n" + hidden + "\r\n");
            }
            assertThat(c.call("PING")).as("the filtered reply's count matches its elements").isEqualTo("+PONG\r\n");

            assertThat(c.call("HELLO", "3")).startsWith("%");
            assertThat(c.call("CONFIG", "GET", "requirepass")).isEqualTo("%0\r\n");
            String map = c.call("CONFIG", "GET", "*");
            assertThat(map).startsWith("%").doesNotContain(BACKEND_PASSWORD).doesNotContain("\r\ndir\r\n")
                    .contains("\r\nmaxmemory-policy\r\n");
            assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        }
        try (RawRedisClient direct = backend()) {
            // the backend itself does have them
            assertThat(direct.call("CONFIG", "GET", "requirepass"))
                    .isEqualTo("*2\r\n$11\r\nrequirepass\r\n$" + BACKEND_PASSWORD.length() + "\r\n" + BACKEND_PASSWORD + "\r\n");
        }
    }

    /**
     * port, bind and replicaof describe the node a client talks to: the proxy answers them with its own
     * values, never the backend's, once each whatever the patterns (Redis's "CONFIG GET multiple args").
     */
    @Test
    void configGet_nodeParameters_areTheProxysOwn() {
        int port = proxy.boundAddress().getPort();
        String portReply = "$4\r\nport\r\n$" + Integer.toString(port).length() + "\r\n" + port + "\r\n";
        try (RawRedisClient c = client(); RawRedisClient direct = backend()) {
            assertThat(direct.call("CONFIG", "GET", "port")).doesNotContain("\r\n" + port + "\r\n");
            assertThat(c.call("CONFIG", "GET", "port")).isEqualTo("*2\r\n" + portReply);
            assertThat(c.call("CONFIG", "GET", "bind")).isEqualTo("*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n");
            String multi = c.call("CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of", "p?rt");
            assertThat(multi).contains("\r\n$9\r\nreplicaof\r\n$0\r\n\r\n", "\r\n$7\r\nslaveof\r\n$0\r\n\r\n",
                    "\r\n$4\r\nbind\r\n", portReply, "\r\nmaxmemory-samples\r\n");
            assertThat(multi.split("\r\nbind\r\n", -1)).as("each name once").hasSize(2);
            assertThat(multi.split("\r\nport\r\n", -1)).as("each name once").hasSize(2);
            assertThat(c.call("CONFIG", "GET", "*")).contains(portReply).doesNotContain("\r\n" + redis.port() + "\r\n");
            assertThat(c.call("CONFIG", "SET", "port", "1")).startsWith("-ERR CONFIG SET failed (possibly related to argument 'port')");
            // writing back what was read changes nothing and is not sent on: Redis's "CONFIG sanity"
            assertThat(c.call("CONFIG", "SET", "port", Integer.toString(port), "bind", "127.0.0.1")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "SET", "maxmemory-samples", "7", "port", Integer.toString(port))).isEqualTo("+OK\r\n");
            assertThat(direct.call("CONFIG", "GET", "maxmemory-samples")).isEqualTo("*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n7\r\n");
            assertThat(direct.call("CONFIG", "GET", "port")).isEqualTo("*2\r\n$4\r\nport\r\n$" + Integer.toString(redis.port()).length()
                    + "\r\n" + redis.port() + "\r\n");
            assertThat(c.call("CONFIG", "SET", "maxmemory-samples", "5")).isEqualTo("+OK\r\n");
        }
    }

    /**
     * A client that has used pub/sub has a pass-through connection, whose replies go straight to the
     * client; CONFIG GET is filtered, so it must not go there (Redis's "test CONFIG GET/SET of event flags"
     * after "PUNSUBSCRIBE and UNSUBSCRIBE should always reply").
     */
    @Test
    void configGet_afterPubSub_isStillFiltered() {
        try (RawRedisClient c = client()) {
            assertThat(c.call("PUNSUBSCRIBE")).isEqualTo("*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
            assertThat(c.call("CONFIG", "SET", "notify-keyspace-events", "$lshzxeKE")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "GET", "notify-keyspace-events"))
                    .isEqualTo("*2\r\n$22\r\nnotify-keyspace-events\r\n$9\r\n$lshzxeKE\r\n");
            assertThat(c.call("CONFIG", "GET", "requirepass", "dir")).isEqualTo("*0\r\n");
            assertThat(c.call("CONFIG", "SET", "notify-keyspace-events", "")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void configSetRequirepass_isRefused_andBlockingCommandsAndPubSubStillWork() {
        try (RawRedisClient c = client()) {
            assertThat(c.call("CONFIG", "SET", "requirepass", "x")).isEqualTo("-ERR CONFIG SET failed (possibly related "
                    + "to argument 'requirepass') - can't set protected config; the proxy's own setting is "
                    + "'moonshard-password'\r\n");
            assertThat(c.call("CONFIG", "SET", "masterauth", "x"))
                    .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'masterauth') - can't set protected config\r\n");
        }
        try (RawRedisClient direct = backend()) {
            assertThat(direct.call("CONFIG", "GET", "requirepass")).contains(BACKEND_PASSWORD);
        }
        // fresh dedicated connections still log in to the backend
        try (RawRedisClient blocked = client(); RawRedisClient pusher = client()) {
            blocked.send("BLPOP", "protected:list", "0");
            assertThat(pusher.call("RPUSH", "protected:list", "v")).isEqualTo(":1\r\n");
            assertThat(blocked.readReply()).isEqualTo("*2\r\n$14\r\nprotected:list\r\n$1\r\nv\r\n");
        }
        try (RawRedisClient sub = client(); RawRedisClient pub = client()) {
            assertThat(sub.call("SUBSCRIBE", "protected:ch")).isEqualTo("*3\r\n$9\r\nsubscribe\r\n$12\r\nprotected:ch\r\n:1\r\n");
            assertThat(pub.call("PUBLISH", "protected:ch", "hello")).isEqualTo(":1\r\n");
            assertThat(sub.readReply()).isEqualTo("*3\r\n$7\r\nmessage\r\n$12\r\nprotected:ch\r\n$5\r\nhello\r\n");
        }
    }

    @Test
    void protectedConfig_getsRedisExactError_forWhatRedisItselfProtects() {
        try (RawRedisClient c = client(); RawRedisClient direct = backend()) {
            // dir is one of Redis 7.0's own protected configs: the same bytes from the proxy as from Redis
            assertThat(c.call("CONFIG", "SET", "DIR", "/tmp")).isEqualTo(direct.call("CONFIG", "SET", "DIR", "/tmp"))
                    .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'DIR') - can't set protected config\r\n");
            for (String name : List.of("port", "bind", "unixsocket", "tls-port", "replicaof", "slave-read-only",
                    "replica-announce-ip", "cluster-announce-ip", "logfile", "appenddirname", "enable-debug-command")) {
                assertThat(c.call("CONFIG", "SET", name, "1")).as(name).isEqualTo("-ERR CONFIG SET failed (possibly "
                        + "related to argument '" + name + "') - can't set protected config\r\n");
            }
        }
    }

    @Test
    void multiParameterSet_withOneProtected_isRefusedWhole_unprotectedOnesStillSet() {
        try (RawRedisClient c = client(); RawRedisClient direct = backend()) {
            assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).isEqualTo("+OK\r\n");
            assertThat(direct.call("CONFIG", "GET", "maxmemory-policy")).contains("allkeys-lru");

            assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "volatile-lru", "requirepass", "x", "dir", "/tmp"))
                    .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'requirepass') - can't set "
                            + "protected config; the proxy's own setting is 'moonshard-password'\r\n");
            assertThat(direct.call("CONFIG", "GET", "maxmemory-policy")).as("nothing of it was set").contains("allkeys-lru");
            assertThat(direct.call("CONFIG", "GET", "requirepass")).contains(BACKEND_PASSWORD);
            // an odd count is Redis's syntax error first, as at Redis
            assertThat(c.call("CONFIG", "SET", "requirepass", "x", "maxmemory"))
                    .isEqualTo(direct.call("CONFIG", "SET", "requirepass", "x", "maxmemory")).isEqualTo("-ERR syntax error\r\n");
            assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "noeviction", "moonshard-max-clients", "5000"))
                    .isEqualTo("+OK\r\n");
            assertThat(direct.call("CONFIG", "GET", "maxmemory-policy")).contains("noeviction");
        }
    }

    @Test
    void insideMulti_configThatCouldTouchAProtectedParameter_abortsTheTransaction() {
        try (RawRedisClient c = client(); RawRedisClient direct = backend()) {
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "SET", "requirepass", "x")).startsWith("-ERR CONFIG SET failed (possibly "
                    + "related to argument 'requirepass') - can't set protected config");
            assertThat(c.call("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
            assertThat(direct.call("CONFIG", "GET", "requirepass")).contains(BACKEND_PASSWORD);

            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "GET", "*")).isEqualTo("-ERR CONFIG GET '*' inside MULTI would show parameters "
                    + "the proxy protects; send it outside the transaction\r\n");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");

            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "GET", "maxmemory")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*1\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
        }
    }
}
