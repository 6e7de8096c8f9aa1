package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MULTI / EXEC / DISCARD / WATCH through two proxies with two backends each, with Redis Cluster's
 * rules: one slot per transaction, CROSSSLOT and MOVED while queueing abort EXEC.
 */
class TransactionsIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(2, 2);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Slot 100 is on proxy 0, backend 0; slot 5000 on proxy 0, backend 1; slot 12000 on proxy 1. */
    private static final int SLOT_A = 100;
    private static final int SLOT_B = 5000;
    private static final int SLOT_PEER = 12000;

    @Test
    void execRunsTheQueuedCommandsAtomicallyOnTheSlotsBackend() {
        String k1 = Slots.keyIn(SLOT_A, "tx:a:");
        String k2 = Slots.keyIn(SLOT_A, "tx:b:");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", k1, "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("INCRBY", k1, "41")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("LPUSH", k2, "x", "y")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("PING")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*4\r\n+OK\r\n:42\r\n:2\r\n+PONG\r\n");
            // the session is out of MULTI again
            assertThat(c.call("GET", k1)).isEqualTo("$2\r\n42\r\n");
        }
        assertThat(cluster.backendOwning(SLOT_A).rawCommand("GET", k1)).isEqualTo("$2\r\n42\r\n");
    }

    /**
     * What acts on the client's connection or the proxy's users (AUTH, HELLO, ACL, CLIENT REPLY, the
     * proxy's own CONFIG settings) is answered by the proxy; queued, it would run at EXEC on the backend
     * connection instead: refused while queueing, EXEC aborts, the backend's users stay as they were.
     */
    @Test
    void proxyStateCommandsInsideMulti_areRefused_andExecAborts() {
        String k = Slots.keyIn(SLOT_A, "tx:state:");
        String refused = "' inside MULTI is not supported by this proxy";
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            for (String[] command : List.of(new String[] {"ACL", "SETUSER", "default", "resetpass"},
                    new String[] {"AUTH", "x"}, new String[] {"HELLO", "3"}, new String[] {"CLIENT", "REPLY", "OFF"},
                    new String[] {"CLIENT", "KILL", "TYPE", "normal"},
                    new String[] {"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 1mb 0"})) {
                assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
                assertThat(c.call("SET", k, "1")).isEqualTo("+QUEUED\r\n");
                assertThat(c.call(command)).as(String.join(" ", command)).startsWith("-ERR ").contains(refused);
                assertThat(c.call("EXEC")).isEqualTo(
                        "-EXECABORT Transaction discarded because of previous errors.\r\n");
            }
            assertThat(c.call("GET", k)).isEqualTo("$-1\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("CLIENT", "UNPAUSE")).as("meant for the backends").isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*1\r\n+OK\r\n");
        }
        String defaultUser = "user default on nopass ~* &* +@all";
        assertThat(cluster.backendOwning(SLOT_A).rawCommand("ACL", "LIST"))
                .isEqualTo("*1\r\n$" + defaultUser.length() + "\r\n" + defaultUser + "\r\n");
        assertThat(cluster.backendOwning(SLOT_A).rawCommand("CONFIG", "GET", "client-output-buffer-limit"))
                .contains("normal 0 0 0");
    }

    @Test
    void severalSlotsInsideMulti_areQueuedOneByOne_thenExecIsCrossSlot_nothingRuns() {
        String a = Slots.keyIn(SLOT_A, "tx:cross:");
        String b = Slots.keyIn(SLOT_B, "tx:cross:");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", a, "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("SET", b, "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            assertThat(c.call("EXISTS", a)).isEqualTo(":0\r\n");
            // one command over two slots is refused at once, and aborts EXEC
            c.call("MULTI");
            assertThat(c.call("MSETNX", a, "1", b, "2")).isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");
        }
    }

    @Test
    void slotOfAnotherProxyInsideMulti_isMovedAndExecAborts() {
        String local = Slots.keyIn(SLOT_A, "tx:moved:");
        String remote = Slots.keyIn(SLOT_PEER, "tx:moved:");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            c.call("MULTI");
            assertThat(c.call("SET", remote, "1")).isEqualTo("-MOVED " + SLOT_PEER + " " + cluster.proxyAddresses.get(1) + "\r\n");
            assertThat(c.call("SET", local, "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");
            assertThat(c.call("EXISTS", local)).isEqualTo(":0\r\n");
        }
    }

    @Test
    void queueingErrorsAbortLikeRedis_unknownCommandAndWrongArity() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            c.call("MULTI");
            assertThat(c.call("NOSUCHCOMMAND")).startsWith("-ERR unknown command 'NOSUCHCOMMAND'");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");
            c.call("MULTI");
            assertThat(c.call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");
            c.call("MULTI");
            assertThat(c.call("SAVE")).isEqualTo("-ERR Command not allowed inside a transaction\r\n");
            assertThat(c.call("EXEC")).startsWith("-EXECABORT");
        }
    }

    @Test
    void controlCommandErrors_areRedisExactTexts() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
            assertThat(c.call("DISCARD")).isEqualTo("-ERR DISCARD without MULTI\r\n");
            c.call("MULTI");
            assertThat(c.call("MULTI")).isEqualTo("-ERR MULTI calls can not be nested\r\n");
            assertThat(c.call("WATCH", "x")).isEqualTo("-ERR WATCH inside MULTI is not allowed\r\n");
            // neither error aborts the transaction, as in Redis
            assertThat(c.call("EXEC")).isEqualTo("*0\r\n");
        }
    }

    @Test
    void discardDropsTheQueue() {
        String k = Slots.keyIn(SLOT_A, "tx:discard:");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            c.call("MULTI");
            c.call("SET", k, "1");
            assertThat(c.call("DISCARD")).isEqualTo("+OK\r\n");
            assertThat(c.call("EXISTS", k)).isEqualTo(":0\r\n");
        }
    }

    @Test
    void watchedKeyChangedByAnotherClient_execReturnsNil_unchangedItRuns() {
        String k = Slots.keyIn(SLOT_B, "tx:watch:");
        try (RawRedisClient c = new RawRedisClient(cluster.port(0));
             RawRedisClient other = new RawRedisClient(cluster.port(0))) {
            c.call("SET", k, "1");
            assertThat(c.call("WATCH", k)).isEqualTo("+OK\r\n");
            assertThat(other.call("SET", k, "changed")).isEqualTo("+OK\r\n");
            c.call("MULTI");
            c.call("SET", k, "mine");
            assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
            assertThat(c.call("GET", k)).isEqualTo("$7\r\nchanged\r\n");

            assertThat(c.call("WATCH", k)).isEqualTo("+OK\r\n");
            c.call("MULTI");
            c.call("SET", k, "mine");
            assertThat(c.call("EXEC")).isEqualTo("*1\r\n+OK\r\n");
            assertThat(other.call("GET", k)).isEqualTo("$4\r\nmine\r\n");

            // UNWATCH forgets the key: a later change no longer aborts
            c.call("WATCH", k);
            assertThat(c.call("UNWATCH")).isEqualTo("+OK\r\n");
            other.call("SET", k, "again");
            c.call("MULTI");
            c.call("GET", k);
            assertThat(c.call("EXEC")).isEqualTo("*1\r\n$5\r\nagain\r\n");
        }
    }

    @Test
    void watchOfKeysOnAnotherProxy_isMoved() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("WATCH", Slots.keyIn(SLOT_PEER, "w")))
                    .isEqualTo("-MOVED " + SLOT_PEER + " " + cluster.proxyAddresses.get(1) + "\r\n");
        }
    }
}
