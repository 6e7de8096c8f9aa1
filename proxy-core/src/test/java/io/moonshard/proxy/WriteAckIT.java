package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code write_ack replica} against a real master and its replica (made here with REPLICAOF): one
 * {@code WAIT 1 <timeout>} per pipelined batch holding a write, counted at the master; a write no replica
 * confirmed in time gets {@code NOTREPLICATED}, and is still at the master; reads are untouched;
 * {@code async} sends no WAIT.
 */
class WriteAckIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /**
     * The WAIT timeout where a healthy replica must confirm: long, as WAIT returns as soon as the replica
     * acknowledges, and a loaded machine may delay that; the tests that need the timeout to pass set 200 ms.
     */
    private static final String HEALTHY_ACK_TIMEOUT_MS = "5000";
    private static final String NOT_CONFIRMED_200 =
            "-NOTREPLICATED write applied on the master but not confirmed by a replica within 200 ms; "
                    + "it may be lost in a failover\r\n";

    private RedisProcess master;
    private RedisProcess replica;
    private ProxyServer proxy;

    @BeforeEach
    void masterAndReplica() {
        master = RedisProcess.start();
        replica = RedisProcess.start();
        assertThat(replica.rawCommand("REPLICAOF", master.host(), Integer.toString(master.port())))
                .isEqualTo("+OK\r\n");
        await().atMost(TIMEOUT).until(() -> master.rawCommand("INFO", "replication").contains("state=online"));
    }

    @AfterEach
    void stopAll() {
        if (proxy != null) {
            proxy.close();
        }
        if (replica != null) {
            signal(replica, "-CONT"); // never leave it stopped: close could not end it
            replica.close();
        }
        if (master != null) {
            master.close();
        }
    }

    private int startProxy(UnaryOperator<ProxyConfig.Builder> tuning) throws InterruptedException {
        String address = "127.0.0.1:" + FreePorts.next();
        proxy = ProxyServer.builder()
                .config(tuning.apply(ProxyConfig.builder().address(address).threads(1)).build())
                .build()
                .start();
        int port = proxy.boundAddress().getPort();
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "acks", master.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
        }
        return port;
    }

    private int startReplicaAckProxy() throws InterruptedException {
        return startProxy(b -> b.writeAck(ProxyConfig.WriteAck.REPLICA)
                .writeAckTimeout(Duration.ofMillis(Long.parseLong(HEALTHY_ACK_TIMEOUT_MS))));
    }

    @Test
    void withAReplica_writesAreAcknowledged_andAPipelineCostsFarFewerWaitsThanWrites() throws InterruptedException {
        int port = startReplicaAckProxy();
        int writes = 5000;
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(c.call("SET", "warm", "up")).isEqualTo("+OK\r\n"); // the backend connection is open
            assertThat(master.rawCommand("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
            long wait0 = proxyInfo(c, "proxy_write_ack_waits");
            long confirmed0 = proxyInfo(c, "proxy_write_ack_confirmed");

            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            for (int i = 0; i < writes; i++) {
                pipeline.writeBytes(RawRedisClient.encode("SET", "k:" + i, "v" + i));
            }
            c.sendRaw(pipeline.toByteArray());
            for (int i = 0; i < writes; i++) {
                assertThat(c.readReply()).isEqualTo("+OK\r\n");
            }

            String stats = master.rawCommand("INFO", "commandstats");
            assertThat(calls(stats, "set")).isEqualTo(writes);
            long waits = calls(stats, "wait");
            assertThat(waits).isGreaterThanOrEqualTo(1).isLessThanOrEqualTo(writes / 20);
            assertThat(proxyInfo(c, "proxy_write_ack_waits") - wait0).isEqualTo(waits);
            assertThat(proxyInfo(c, "proxy_write_ack_confirmed") - confirmed0).isEqualTo(writes);
            assertThat(proxyInfo(c, "proxy_write_ack_not_confirmed")).isZero();
            // one request at a time: one WAIT each, and a read alone gets none
            assertThat(c.call("SET", "single", "1")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", "single")).isEqualTo("$1\r\n1\r\n");
            assertThat(calls(master.rawCommand("INFO", "commandstats"), "wait")).isEqualTo(waits + 1);
        }
        // confirmed means the replica had it when the client was answered
        assertThat(replica.rawCommand("GET", "k:" + (writes - 1))).isEqualTo("$5\r\nv" + (writes - 1) + "\r\n");
    }

    @Test
    void withTheReplicaStopped_aWriteGetsNotReplicatedAfterTheTimeout_aReadItsReply_andTheMasterHasTheValue() throws InterruptedException {
        int port = startReplicaAckProxy();
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(c.call("SET", "before", "v0")).isEqualTo("+OK\r\n");
            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack-timeout-ms", "200")).isEqualTo("+OK\r\n");
            signal(replica, "-STOP");
            try {
                long start = System.nanoTime();
                c.sendRaw(concat(RawRedisClient.encode("GET", "before"), RawRedisClient.encode("SET", "after", "v1"),
                        RawRedisClient.encode("INCR", "before"), RawRedisClient.encode("GET", "before")));
                assertThat(c.readReply()).isEqualTo("$2\r\nv0\r\n");
                assertThat(c.readReply()).isEqualTo(NOT_CONFIRMED_200);
                // a write Redis refused stays its own error
                assertThat(c.readReply()).isEqualTo("-ERR value is not an integer or out of range\r\n");
                assertThat(c.readReply()).isEqualTo("$2\r\nv0\r\n");
                long tookMillis = (System.nanoTime() - start) / 1_000_000;
                assertThat(tookMillis).isBetween(150L, 3000L);

                // applied, just not confirmed
                assertThat(master.rawCommand("GET", "after")).isEqualTo("$2\r\nv1\r\n");
                assertThat(proxyInfo(c, "proxy_write_ack_not_confirmed")).isEqualTo(1);

                // transactions and scripts are writes too; a blocking command is not covered
                assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
                assertThat(c.call("SET", "{t}a", "1")).isEqualTo("+QUEUED\r\n");
                assertThat(c.call("EXEC")).isEqualTo(NOT_CONFIRMED_200);
                assertThat(c.call("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "script"))
                        .isEqualTo(NOT_CONFIRMED_200);
                assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
                assertThat(c.call("GET", "{t}a")).isEqualTo("+QUEUED\r\n");
                assertThat(c.call("EXEC")).isEqualTo("*1\r\n$1\r\n1\r\n"); // no write in it: no WAIT, as it was
                assertThat(c.call("RPUSH", "{l}src", "e")).isEqualTo(NOT_CONFIRMED_200);
                assertThat(c.call("BLMOVE", "{l}src", "{l}dst", "LEFT", "LEFT", "0")).isEqualTo("$1\r\ne\r\n");
                assertThat(master.rawCommand("GET", "script")).isEqualTo("$1\r\nx\r\n");
                assertThat(master.rawCommand("GET", "{t}a")).isEqualTo("$1\r\n1\r\n");
            } finally {
                signal(replica, "-CONT");
            }
            // the replica catches up, and writes are confirmed again
            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack-timeout-ms", HEALTHY_ACK_TIMEOUT_MS))
                    .isEqualTo("+OK\r\n");
            await().atMost(TIMEOUT).until(() -> c.call("SET", "again", "1").equals("+OK\r\n"));
            assertThat(proxyInfo(c, "proxy_write_ack_confirmed")).isGreaterThanOrEqualTo(2);
        }
        assertThat(replica.rawCommand("GET", "after")).isEqualTo("$2\r\nv1\r\n");
    }

    @Test
    void heldReplies_goToTheirClients_whenTheBackendConnectionDrops_andAreReleased_whenTheClientLeft()
            throws InterruptedException {
        int port = startReplicaAckProxy(); // 5 s: the client leaves, and the connection drops, while the WAIT waits
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(c.call("SET", "k", "v0")).isEqualTo("+OK\r\n");
            signal(replica, "-STOP");
            try {
                // a client leaves while its write waits for the WAIT: the held reply is dropped, not leaked
                long unconfirmed = proxyInfo(c, "proxy_write_ack_not_confirmed");
                try (RawRedisClient leaving = new RawRedisClient(port)) {
                    leaving.send("SET", "left", "1");
                    await().atMost(TIMEOUT).until(() -> master.rawCommand("INFO", "clients").contains("blocked_clients:1\r\n"));
                }
                await().atMost(TIMEOUT).until(() -> proxyInfo(c, "proxy_write_ack_not_confirmed") == unconfirmed + 1);
                assertThat(master.rawCommand("GET", "left")).isEqualTo("$1\r\n1\r\n");

                // the backend connection drops while the WAIT is pending: the write is unconfirmed, the read
                // in its batch gets its reply
                c.sendRaw(concat(RawRedisClient.encode("SET", "k", "v1"), RawRedisClient.encode("GET", "k")));
                await().atMost(TIMEOUT).until(() -> master.rawCommand("INFO", "clients").contains("blocked_clients:1\r\n"));
                assertThat(master.rawCommand("CLIENT", "KILL", "TYPE", "normal")).startsWith(":");
                assertThat(c.readReply()).isEqualTo("-NOTREPLICATED write applied on the master but its replication "
                        + "could not be confirmed (ERR backend " + master.address() + " connection lost; the command "
                        + "may or may not have run); it may be lost in a failover\r\n");
                assertThat(c.readReply()).isEqualTo("$2\r\nv1\r\n");
                assertThat(master.rawCommand("GET", "k")).isEqualTo("$2\r\nv1\r\n");
            } finally {
                signal(replica, "-CONT");
            }
            // a new backend connection serves, and confirms again
            await().atMost(TIMEOUT).until(() -> c.call("SET", "k", "v2").equals("+OK\r\n"));
        }
    }

    @Test
    void async_theDefault_sendsNoWait_untilConfigSetTurnsReplicaAcksOn() throws InterruptedException {
        int port = startProxy(b -> b);
        try (RawRedisClient c = new RawRedisClient(port)) {
            assertThat(master.rawCommand("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            for (int i = 0; i < 500; i++) {
                pipeline.writeBytes(RawRedisClient.encode("SET", "k:" + i, "v"));
            }
            c.sendRaw(pipeline.toByteArray());
            for (int i = 0; i < 500; i++) {
                assertThat(c.readReply()).isEqualTo("+OK\r\n");
            }
            assertThat(c.call("SET", "one", "more")).isEqualTo("+OK\r\n");
            String stats = master.rawCommand("INFO", "commandstats");
            assertThat(calls(stats, "set")).isEqualTo(501);
            assertThat(stats).doesNotContain("cmdstat_wait:");
            assertThat(proxyInfo(c, "proxy_write_ack_waits")).isZero();
            assertThat(c.call("CONFIG", "GET", "moonshard-write-ack*")).isEqualTo(
                    "*4\r\n$19\r\nmoonshard-write-ack\r\n$5\r\nasync\r\n"
                            + "$30\r\nmoonshard-write-ack-timeout-ms\r\n$3\r\n100\r\n");

            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack", "REPLICA", "moonshard-write-ack-timeout-ms",
                    HEALTHY_ACK_TIMEOUT_MS)).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "now", "acked")).isEqualTo("+OK\r\n");
            assertThat(calls(master.rawCommand("INFO", "commandstats"), "wait")).isEqualTo(1);
            assertThat(proxyInfo(c, "proxy_write_ack_confirmed")).isEqualTo(1);
            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack", "sync")).isEqualTo(
                    "-ERR CONFIG SET failed (possibly related to argument 'moonshard-write-ack') - argument(s) must be "
                            + "one of the following: async, replica\r\n");
            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack-timeout-ms", "0")).isEqualTo(
                    "-ERR CONFIG SET failed (possibly related to argument 'moonshard-write-ack-timeout-ms') - argument "
                            + "must be between 1 and 60000 inclusive\r\n");
            assertThat(c.call("INFO", "proxy")).contains("proxy_write_ack:replica\r\n");

            assertThat(c.call("CONFIG", "SET", "moonshard-write-ack", "async")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "not", "acked")).isEqualTo("+OK\r\n");
            assertThat(calls(master.rawCommand("INFO", "commandstats"), "wait")).isEqualTo(1);
        }
    }

    /** {@code cmdstat_<name>:calls=N,...} of INFO commandstats; 0 when the command never ran. */
    private static long calls(String commandStats, String name) {
        Matcher m = Pattern.compile("cmdstat_" + name + ":calls=(\\d+)").matcher(commandStats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long proxyInfo(RawRedisClient c, String field) {
        Matcher m = Pattern.compile(field + ":(\\d+)").matcher(c.call("INFO", "proxy"));
        assertThat(m.find()).as("INFO proxy has %s", field).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** {@code kill -STOP} / {@code -CONT}: pauses or resumes the process (Java has no such signal). */
    private static void signal(RedisProcess redis, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(redis.pid())).inheritIO().start();
            assertThat(kill.waitFor()).as("kill %s %d", signal, redis.pid()).isZero();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
