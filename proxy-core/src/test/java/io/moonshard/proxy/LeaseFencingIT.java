package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code UMCTL LEASE}: once the controller's lease runs out the proxy serves nothing of a slot from its
 * Redis ({@code -CLUSTERDOWN The cluster is down}, as a Redis Cluster node on the minority side), while
 * keyless commands and redirects go on; a renewal lifts the fence, {@code ttl_ms} 0 ends leasing. One
 * proxy with an admin password in front of one real Redis (slots 0-8191), a peer named for 8192-16383.
 */
class LeaseFencingIT {

    private static final String FENCED = "-CLUSTERDOWN The cluster is down\r\n";
    private static final String PEER = "127.0.0.1:7999";
    private static final Duration FENCE_WAIT = Duration.ofSeconds(10);

    private static RedisProcess redis;
    private static ProxyServer proxy;
    private static final MeterRegistry registry = new SimpleMeterRegistry();
    /** Each test leases with tokens of its own, above every earlier test's. */
    private static long token = 100;

    @BeforeAll
    static void start() throws InterruptedException {
        redis = RedisProcess.start();
        proxy = ProxyServer.builder().config(ProxyConfig.builder().address("127.0.0.1:" + FreePorts.next()).threads(1)
                .adminPassword("adm").build()).build();
        proxy.metrics().bindTo(registry);
        proxy.start();
        try (RawRedisClient admin = admin()) {
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "c", redis.address(), "1", "0-8191",
                    "PEER", PEER, "1", "8192-16383")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "INFOLEASE")).as("no lease before the first LEASE").isEqualTo(array(
                    "state:none", "token:none", "ttl_ms:0", "remaining_ms:-1", "fenced:no", "anchor:none", "renewals:0"));
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

    /** Ends leasing with the test's token, so the next test starts unfenced. */
    @AfterEach
    void endLease() {
        try (RawRedisClient admin = admin()) {
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "0")).isEqualTo("+OK\r\n");
        }
        token += 10;
    }

    private static RawRedisClient admin() {
        RawRedisClient c = client();
        assertThat(c.call("UMCTL", "AUTH", "adm")).isEqualTo("+OK\r\n");
        return c;
    }

    private static RawRedisClient client() {
        return new RawRedisClient(proxy.boundAddress().getPort());
    }

    private static String array(String... lines) {
        StringBuilder out = new StringBuilder("*").append(lines.length).append("\r\n");
        for (String line : lines) {
            out.append('$').append(line.length()).append("\r\n").append(line).append("\r\n");
        }
        return out.toString();
    }

    private static void awaitFenced(RawRedisClient c) {
        await().atMost(FENCE_WAIT).pollInterval(Duration.ofMillis(10))
                .until(() -> c.call("UMCTL", "INFOLEASE").contains("fenced:yes"));
    }

    private static double meter(String name) {
        return registry.get(name).meter().measure().iterator().next().getValue();
    }

    @Test
    void anExpiredLease_refusesEverySlotServedHere_withRedisClusterDown_andKeylessCommandsAndRedirectsGoOn() {
        String key = Slots.keyIn(100, "lease");
        String unwritten = Slots.keyIn(200, "lease-unwritten");
        String list = Slots.keyIn(300, "lease-list");
        String peerKey = Slots.keyIn(9000, "lease-peer");
        try (RawRedisClient admin = admin(); RawRedisClient c = client(); RawRedisClient tx = client();
             RawRedisClient blocked = client()) {
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "60000")).isEqualTo("+OK\r\n");
            // queued while the lease holds, EXEC'd after it ran out
            assertThat(tx.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(tx.call("SET", unwritten, "from-multi")).isEqualTo("+QUEUED\r\n");
            // forwarded while the lease holds: it finishes normally
            blocked.send("BLPOP", list, "0");
            await().atMost(FENCE_WAIT).until(() -> redis.rawCommand("INFO", "clients").contains("blocked_clients:1"));

            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "300")).as("a renewal may shorten it")
                    .isEqualTo("+OK\r\n");
            assertThat(c.call("SET", key, "v1")).isEqualTo("+OK\r\n");
            awaitFenced(admin);
            assertThat(c.call("SET", unwritten, "x")).isEqualTo(FENCED);
            assertThat(c.call("GET", key)).isEqualTo(FENCED);
            assertThat(c.call("EVAL", "return redis.call('set', KEYS[1], 'eval')", "1", unwritten)).isEqualTo(FENCED);
            assertThat(c.call("EVAL", "return redis.call('set', 'k', 'v')", "0")).as("a keyless write").isEqualTo(FENCED);
            assertThat(c.call("FLUSHALL")).as("a keyless write").isEqualTo(FENCED);
            assertThat(c.call("BLPOP", list, "1")).isEqualTo(FENCED);
            assertThat(c.call("WATCH", key)).isEqualTo(FENCED);
            assertThat(c.call("SPUBLISH", key, "m")).isEqualTo(FENCED);
            assertThat(c.call("SSUBSCRIBE", key)).isEqualTo(FENCED);
            assertThat(tx.call("EXEC")).as("a transaction queued before").isEqualTo(FENCED);
            assertThat(tx.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(tx.call("SET", unwritten, "x")).as("refused while queueing, as by Redis").isEqualTo(FENCED);
            assertThat(tx.call("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");

            assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(c.call("CLUSTER", "SLOTS")).startsWith("*2\r\n");
            assertThat(c.call("CLUSTER", "KEYSLOT", key)).isEqualTo(":100\r\n");
            assertThat(c.call("GET", peerKey)).isEqualTo("-MOVED 9000 " + PEER + "\r\n");
            assertThat(c.call("INFO", "server")).startsWith("$");
            assertThat(c.call("DBSIZE")).as("a keyless read").startsWith(":");
            assertThat(c.call("UMCTL", "GETEPOCH")).isEqualTo(":1\r\n");
            assertThat(c.call("UMCTL", "READY")).isEqualTo(":0\r\n");
            assertThat(proxy.isReady()).isFalse();
            assertThat(admin.call("UMCTL", "INFOLEASE")).isEqualTo(array("state:held", "token:" + token, "ttl_ms:300",
                    "remaining_ms:0", "fenced:yes", "anchor:receipt", "renewals:" + (long) meter("moonshard.lease.renewals")));
            assertThat(meter("moonshard.lease.fenced")).isEqualTo(1);
            assertThat(meter("moonshard.lease.remaining.ms")).isZero();
            assertThat(meter("moonshard.ready")).isZero();

            assertThat(redis.rawCommand("LPUSH", list, "pushed")).isEqualTo(":1\r\n");
            assertThat(blocked.readReply()).as("the BLPOP sent before the fence").isEqualTo(array(list, "pushed"));
            assertThat(redis.rawCommand("GET", unwritten)).as("nothing reached Redis").isEqualTo("$-1\r\n");
            assertThat(redis.rawCommand("GET", key)).isEqualTo("$2\r\nv1\r\n");
            assertThat(redis.rawCommand("GET", "k")).isEqualTo("$-1\r\n");

            long renewals = (long) meter("moonshard.lease.renewals");
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "60000")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", unwritten, "after-renewal")).isEqualTo("+OK\r\n");
            assertThat(c.call("UMCTL", "READY")).isEqualTo(":1\r\n");
            assertThat(proxy.isReady()).isTrue();
            assertThat(meter("moonshard.lease.fenced")).isZero();
            assertThat(meter("moonshard.lease.remaining.ms")).isBetween(50_000.0, 60_000.0);
            assertThat(meter("moonshard.lease.renewals")).isEqualTo(renewals + 1);
            assertThat(redis.rawCommand("GET", unwritten)).isEqualTo("$13\r\nafter-renewal\r\n");
        }
    }

    /** A READONLY read of the peer's slot is served by a local replica of the peer's master: fenced too. */
    @Test
    void readonlyReadsFromALocalReplica_areFencedToo() {
        String peerKey = Slots.keyIn(9000, "lease-replica");
        try (RedisProcess master = RedisProcess.start(); RedisProcess replica = RedisProcess.start();
             RawRedisClient admin = admin(); RawRedisClient c = client()) {
            assertThat(admin.call("UMCTL", "SETREPL", "1", "NOFLAGS", "replica", "c", replica.address(), "1",
                    master.address(), PEER)).isEqualTo("+OK\r\n");
            try {
                assertThat(c.call("READONLY")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", peerKey)).as("from the local replica, not MOVED").isEqualTo("$-1\r\n");
                assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "200")).isEqualTo("+OK\r\n");
                awaitFenced(admin);
                assertThat(c.call("GET", peerKey)).isEqualTo(FENCED);
                assertThat(c.call("READWRITE")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", peerKey)).isEqualTo("-MOVED 9000 " + PEER + "\r\n");
            } finally {
                assertThat(admin.call("UMCTL", "SETREPL", "2", "NOFLAGS")).isEqualTo("+OK\r\n");
            }
        }
    }

    @Test
    void aLowerToken_isRefused_andChangesNothing() {
        try (RawRedisClient admin = admin(); RawRedisClient c = client()) {
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "200")).isEqualTo("+OK\r\n");
            awaitFenced(admin);
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token - 1), "60000"))
                    .isEqualTo("-ERR stale lease token " + (token - 1) + ": this proxy follows lease token " + token
                            + "\r\n");
            assertThat(c.call("SET", Slots.keyIn(400, "stale"), "x")).isEqualTo(FENCED);
            token++; // a new leader's token
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "60000")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", Slots.keyIn(400, "stale"), "x")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void leaseNeedsTheAdminPassword_infoLeaseIsAReadingCommand() {
        try (RawRedisClient c = client()) {
            assertThat(c.call("UMCTL", "LEASE", Long.toString(token), "1000"))
                    .isEqualTo("-NOAUTH UMCTL LEASE needs the admin password: UMCTL AUTH <admin_password> first\r\n");
            assertThat(c.call("UMCTL", "INFOLEASE")).startsWith("*7\r\n");
            assertThat(c.call("UMCTL", "AUTH", "adm")).isEqualTo("+OK\r\n");
            assertThat(c.call("UMCTL", "LEASE", Long.toString(token), "1000")).isEqualTo("+OK\r\n");
            assertThat(c.call("UMCTL", "LEASE", Long.toString(token), "600001"))
                    .isEqualTo("-ERR lease ttl_ms 600001 is out of range (0..600000)\r\n");
            assertThat(c.call("UMCTL", "LEASE", "-3", "1000")).isEqualTo("-ERR lease token is not an integer or out of range\r\n");
            assertThat(c.call("UMCTL", "LEASE", Long.toString(token)))
                    .isEqualTo("-ERR wrong number of arguments for 'umctl|lease' command\r\n");
        }
    }

    @Test
    void ttlZero_endsLeasing_backToNeverFenced() {
        String key = Slots.keyIn(500, "ended");
        try (RawRedisClient admin = admin(); RawRedisClient c = client()) {
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "200")).isEqualTo("+OK\r\n");
            awaitFenced(admin);
            assertThat(c.call("SET", key, "x")).isEqualTo(FENCED);
            assertThat(admin.call("UMCTL", "LEASE", Long.toString(token), "0")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", key, "y")).isEqualTo("+OK\r\n");
            assertThat(c.call("UMCTL", "READY")).isEqualTo(":1\r\n");
            assertThat(admin.call("UMCTL", "INFOLEASE")).contains("state:ended", "fenced:no", "remaining_ms:-1");
            assertThat(meter("moonshard.lease.remaining.ms")).isEqualTo(-1);
            assertThat(redis.rawCommand("GET", key)).isEqualTo("$1\r\ny\r\n");
        }
    }
}
