package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code UMCTL WIPE <epoch> <node>...}: what the controller sends a proxy its cluster let go, before any
 * other cluster may take it. One proxy with an admin password in front of two real Redis: a master
 * holding every slot and a replica of it, as the proxy's SETREPL makes it. A wipe at a newer epoch leaves
 * both empty masters and the proxy serving no slot; an older one, or one without the admin password, is
 * refused and changes nothing; the same epoch again flushes again; a cluster's later SETCLUSTER is taken
 * and a wipe at or below it is refused. With {@code REDIRECT} (a proxy a scale-in released) it keeps
 * answering {@code MOVED} to its peers.
 */
class WipeIT {

    private static final int KEYS = 200;
    private static final String ADMIN = "adm";

    private RedisProcess master;
    private RedisProcess replica;
    private ProxyServer proxy;
    private String proxyAddress;

    @BeforeEach
    void start() throws InterruptedException {
        master = RedisProcess.start();
        replica = RedisProcess.start();
        proxyAddress = "127.0.0.1:" + FreePorts.next();
        proxy = ProxyServer.builder().config(ProxyConfig.builder().address(proxyAddress).threads(1).adminPassword(ADMIN)
                .build()).build();
        proxy.start();
        try (RawRedisClient admin = admin()) {
            assertThat(admin.call("UMCTL", "SETREPL", "3", "NOFLAGS",
                    "master", "old", master.address(), "1", replica.address(), proxyAddress,
                    "replica", "old", replica.address(), "1", master.address(), proxyAddress)).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "3", "NOFLAGS", "old", master.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
            for (int i = 0; i < KEYS; i++) {
                assertThat(admin.call("SET", "k" + i, "v" + i)).isEqualTo("+OK\r\n");
            }
        }
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> dbsize(replica) == KEYS && replica.rawCommand("INFO", "replication").contains("role:slave"));
        assertThat(dbsize(master)).isEqualTo(KEYS);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (master != null) {
            master.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    @Test
    void aNewerEpoch_leavesBothNodesEmptyMasters_andTheProxyServingNothing() {
        try (RawRedisClient admin = admin(); RawRedisClient client = client()) {
            assertThat(admin.call("UMCTL", "WIPE", "7", master.address(), replica.address())).isEqualTo("+OK\r\n");

            assertThat(dbsize(master)).isZero();
            assertThat(dbsize(replica)).isZero();
            assertThat(master.rawCommand("INFO", "replication")).contains("role:master");
            assertThat(replica.rawCommand("INFO", "replication")).contains("role:master");
            assertThat(admin.call("UMCTL", "GETEPOCH")).isEqualTo(":7\r\n");
            assertThat(admin.call("UMCTL", "LISTCLUSTER")).isEqualTo("*1\r\n$6\r\n@wiped\r\n");
            assertThat(client.call("CLUSTER", "SLOTS")).isEqualTo("*0\r\n");
            assertThat(client.call("GET", "k1")).startsWith("-");
            assertThat(client.call("SET", "k1", "again")).startsWith("-");
            assertThat(client.call("UMCTL", "READY")).isEqualTo(":0\r\n");
            // the SETREPL names both as masters of no cluster, so the replica is never re-attached
            String repl = admin.call("UMCTL", "INFOREPL");
            assertThat(repl).contains("cluster:\n").doesNotContain("role:replica").doesNotContain("cluster:old");
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                    assertThat(admin.call("UMCTL", "INFOREPL")).contains("state:master\n").doesNotContain("state:unknown"));
            assertThat(replica.rawCommand("INFO", "replication")).contains("role:master");

            // the same epoch again flushes again: what was written meanwhile goes too
            assertThat(master.rawCommand("SET", "written-after", "x")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "7", master.address(), replica.address())).isEqualTo("+OK\r\n");
            assertThat(dbsize(master)).isZero();
            assertThat(admin.call("UMCTL", "WIPE", "6", master.address(), replica.address())).isEqualTo("-OLD_EPOCH\r\n");

            // the next cluster's metadata comes at a higher epoch and is taken; a wipe at or below it is refused
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "9", "NOFLAGS", "next", master.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
            assertThat(client.call("SET", "next-key", "kept")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "9", master.address())).isEqualTo("-OLD_EPOCH\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "8", master.address())).isEqualTo("-OLD_EPOCH\r\n");
            assertThat(client.call("GET", "next-key")).isEqualTo("$4\r\nkept\r\n");
            assertThat(dbsize(master)).isEqualTo(1);
        }
    }

    @Test
    void anOlderOrEqualEpoch_orNoAdminPassword_isRefused_andWipesNothing() {
        try (RawRedisClient admin = admin(); RawRedisClient client = client()) {
            assertThat(client.call("UMCTL", "WIPE", "9", master.address(), replica.address()))
                    .isEqualTo("-NOAUTH UMCTL WIPE needs the admin password: UMCTL AUTH <admin_password> first\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "2", master.address(), replica.address())).isEqualTo("-OLD_EPOCH\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "3", master.address(), replica.address()))
                    .as("the epoch of a cluster's SETCLUSTER is not a wipe's").isEqualTo("-OLD_EPOCH\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "x", master.address())).isEqualTo("-Invalid arguments\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "9")).isEqualTo("-Invalid arguments\r\n");

            assertThat(admin.call("UMCTL", "GETEPOCH")).isEqualTo(":3\r\n");
            assertThat(dbsize(master)).isEqualTo(KEYS);
            assertThat(dbsize(replica)).isEqualTo(KEYS);
            assertThat(replica.rawCommand("INFO", "replication")).contains("role:slave");
            assertThat(client.call("GET", "k1")).isEqualTo("$2\r\nv1\r\n");
            assertThat(client.call("SET", Slots.keyIn(5, "still"), "served")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void aNodeThatDoesNotAnswer_isNamedInTheError_andTheProxyServesNothingMeanwhile() {
        String gone = "127.0.0.1:" + FreePorts.next();
        try (RawRedisClient admin = admin(); RawRedisClient client = client()) {
            assertThat(admin.call("UMCTL", "WIPE", "8", master.address(), gone))
                    .startsWith("-ERR WIPE: " + gone + " unreachable");
            assertThat(client.call("CLUSTER", "SLOTS")).isEqualTo("*0\r\n");
            assertThat(dbsize(master)).as("the node before it was wiped").isZero();
            assertThat(admin.call("UMCTL", "WIPE", "8", master.address(), replica.address())).isEqualTo("+OK\r\n");
            assertThat(dbsize(replica)).isZero();
        }
    }

    @Test
    void withRedirect_thePeersStay_soClientsWithAnOldSlotMapAreSentOn() {
        String peer = "127.0.0.1:7999";
        try (RawRedisClient admin = admin(); RawRedisClient client = client()) {
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "4", "NOFLAGS", "old", master.address(), "1", "0-8191",
                    "PEER", peer, "1", "8192-16383")).isEqualTo("+OK\r\n");
            assertThat(admin.call("UMCTL", "WIPE", "8", "REDIRECT", master.address(), replica.address())).isEqualTo("+OK\r\n");
            assertThat(dbsize(master)).isZero();
            assertThat(dbsize(replica)).isZero();
            String peerKey = Slots.keyIn(9000, "moved");
            assertThat(client.call("GET", peerKey)).isEqualTo("-MOVED 9000 " + peer + "\r\n");
            assertThat(client.call("GET", Slots.keyIn(100, "here"))).startsWith("-").doesNotContain("MOVED");
            assertThat(admin.call("UMCTL", "WIPE", "8", "REDIRECT")).isEqualTo("-Invalid arguments\r\n");
        }
    }

    private static long dbsize(RedisProcess redis) {
        String reply = redis.rawCommand("DBSIZE");
        return Long.parseLong(reply.substring(1).trim());
    }

    private RawRedisClient admin() {
        RawRedisClient c = client();
        assertThat(c.call("UMCTL", "AUTH", ADMIN)).isEqualTo("+OK\r\n");
        return c;
    }

    private RawRedisClient client() {
        return new RawRedisClient(proxy.boundAddress().getPort());
    }
}
