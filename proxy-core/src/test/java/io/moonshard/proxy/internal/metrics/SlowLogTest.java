package io.moonshard.proxy.internal.metrics;

import io.moonshard.proxy.internal.command.SlowlogCommands;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/** The slow log's ring, its thresholds, and how entries keep and show arguments (Redis's rules). */
class SlowLogTest {

    private static void add(SlowLog log, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            log.add(cmd, 20_000, 15_000, "127.0.0.1:5000", "", 1);
        } finally {
            cmd.release();
        }
    }

    private static List<Long> ids(List<SlowLog.Entry> entries) {
        return entries.stream().map(SlowLog.Entry::id).toList();
    }

    private static List<String> captured(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return Arrays.stream(SlowLog.captureArgs(cmd)).map(b -> new String(b, StandardCharsets.UTF_8)).toList();
        } finally {
            cmd.release();
        }
    }

    @Test
    void ring_keepsTheNewestMaxLenEntries_newestFirst_withIncreasingIds() {
        SlowLog log = new SlowLog(0, 3);
        for (int i = 0; i < 5; i++) {
            add(log, "GET", "k" + i);
        }

        assertThat(log.size()).isEqualTo(3);
        assertThat(ids(log.newest(-1))).containsExactly(4L, 3L, 2L);
        assertThat(ids(log.newest(2))).containsExactly(4L, 3L);
        assertThat(ids(log.newest(0))).isEmpty();
        assertThat(ids(log.newest(Long.MAX_VALUE))).containsExactly(4L, 3L, 2L);
        assertThat(new String(log.newest(1).get(0).args()[1], StandardCharsets.UTF_8)).isEqualTo("k4");
    }

    @Test
    void reset_emptiesTheRing_butIdsGoOn() {
        SlowLog log = new SlowLog(0, 10);
        add(log, "PING");
        add(log, "PING");
        log.reset();

        assertThat(log.size()).isZero();
        add(log, "PING");
        assertThat(ids(log.newest(-1))).containsExactly(2L);
    }

    @Test
    void maxLenZero_keepsNothing_butConsumesIds_likeRedis() {
        SlowLog log = new SlowLog(0, 0);
        add(log, "PING");
        assertThat(log.size()).isZero();
    }

    @Test
    void thresholds_zeroLogsAll_negativeDisables() {
        assertThat(new SlowLog(0, 1).isSlow(0)).isTrue();
        assertThat(new SlowLog(0, 1).enabled()).isTrue();
        assertThat(new SlowLog(10_000, 1).isSlow(9_999)).isFalse();
        assertThat(new SlowLog(10_000, 1).isSlow(10_000)).isTrue();
        assertThat(new SlowLog(-1, 1).enabled()).isFalse();
        assertThat(new SlowLog(-1, 1).isSlow(Long.MAX_VALUE)).isFalse();
    }

    @Test
    void entry_splitsTheDurationIntoProxyAndBackend_neverMoreBackendThanTotal() {
        SlowLog log = new SlowLog(0, 4);
        RespCommand cmd = RespCommand.of("GET", "a");
        try {
            log.add(cmd, 1_000, 700, "10.0.0.1:1234", "worker", 42);
            log.add(cmd, 1_000, 1_001, "10.0.0.1:1234", null, 42); // rounding: capped at the total
        } finally {
            cmd.release();
        }
        SlowLog.Entry capped = log.newest(1).get(0);
        SlowLog.Entry e = log.newest(2).get(1);

        assertThat(e.proxyMicros()).isEqualTo(300);
        assertThat(e.backendMicros()).isEqualTo(700);
        assertThat(e.client()).isEqualTo("10.0.0.1:1234");
        assertThat(e.clientName()).isEqualTo("worker");
        assertThat(e.clientId()).isEqualTo(42);
        assertThat(e.unixTimeSeconds()).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(2L));
        assertThat(capped.backendMicros()).isEqualTo(1_000);
        assertThat(capped.proxyMicros()).isZero();
        assertThat(capped.clientName()).isEmpty();
    }

    @Test
    void args_upTo128Bytes_areKeptWhole_longerOnesCutWithTheCountOfTheRest() {
        String exact = "x".repeat(128);
        String longer = "y".repeat(129) ;
        String huge = "z".repeat(10_000);

        assertThat(captured("SET", exact, longer, huge)).containsExactly("SET", exact,
                "y".repeat(128) + "... (1 more bytes)", "z".repeat(128) + "... (9872 more bytes)");
    }

    @Test
    void args_upTo32AreKept_moreEndWithTheCountOfTheRest() {
        String[] thirtyTwo = IntStream.range(0, 32).mapToObj(i -> i == 0 ? "MSET" : "a" + i).toArray(String[]::new);
        assertThat(captured(thirtyTwo)).containsExactly(thirtyTwo);

        String[] thirtyThree = IntStream.range(0, 33).mapToObj(i -> i == 0 ? "MSET" : "a" + i).toArray(String[]::new);
        List<String> kept = captured(thirtyThree);
        assertThat(kept).hasSize(32);
        assertThat(kept.subList(0, 31)).containsExactly(Arrays.copyOf(thirtyThree, 31));
        assertThat(kept.get(31)).isEqualTo("... (2 more arguments)");

        String[] forty = IntStream.range(0, 40).mapToObj(i -> i == 0 ? "DEL" : "k".repeat(200)).toArray(String[]::new);
        List<String> cut = captured(forty);
        assertThat(cut).hasSize(32);
        assertThat(cut.get(30)).isEqualTo("k".repeat(128) + "... (72 more bytes)");
        assertThat(cut.get(31)).isEqualTo("... (9 more arguments)");
    }

    @Test
    void args_keepBinaryBytes() {
        byte[] binary = {0, (byte) 0xff, '\r', '\n', 'a'};
        RespCommand cmd = RespCommand.of("SET".getBytes(StandardCharsets.US_ASCII), "k".getBytes(StandardCharsets.US_ASCII), binary);
        try {
            assertThat(SlowLog.captureArgs(cmd)[2]).isEqualTo(binary);
        } finally {
            cmd.release();
        }
    }

    @Test
    void secrets_areRedacted_whereRedisRedactsThem() {
        assertThat(captured("AUTH", "pw")).containsExactly("AUTH", "(redacted)");
        assertThat(captured("auth", "user", "pw")).containsExactly("auth", "(redacted)", "(redacted)");
        assertThat(captured("HELLO", "3", "AUTH", "user", "pw", "SETNAME", "conn"))
                .containsExactly("HELLO", "3", "AUTH", "(redacted)", "(redacted)", "SETNAME", "conn");
        assertThat(captured("HELLO", "3", "SETNAME", "conn", "auth", "user", "pw"))
                .containsExactly("HELLO", "3", "SETNAME", "conn", "auth", "(redacted)", "(redacted)");
        assertThat(captured("MIGRATE", "h", "6379", "", "0", "100", "COPY", "AUTH", "pw", "KEYS", "auth", "b"))
                .containsExactly("MIGRATE", "h", "6379", "", "0", "100", "COPY", "AUTH", "(redacted)", "KEYS", "auth", "b");
        assertThat(captured("MIGRATE", "h", "6379", "k", "0", "100", "AUTH2", "user", "pw"))
                .containsExactly("MIGRATE", "h", "6379", "k", "0", "100", "AUTH2", "(redacted)", "(redacted)");
        assertThat(captured("ACL", "SETUSER", "bob", ">pw", "on"))
                .containsExactly("ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)");
        assertThat(captured("CONFIG", "SET", "maxmemory", "1mb", "RequirePass", "pw", "masterauth", "x"))
                .containsExactly("CONFIG", "SET", "maxmemory", "1mb", "RequirePass", "(redacted)", "masterauth", "(redacted)");
        assertThat(captured("UMCTL", "SHUTDOWN", "adminpw")).containsExactly("UMCTL", "SHUTDOWN", "(redacted)");
        assertThat(captured("UMCTL", "AUTH", "adminpw")).containsExactly("UMCTL", "AUTH", "(redacted)");
        assertThat(captured("UMCTL", "PEERAUTH", "secret")).containsExactly("UMCTL", "PEERAUTH", "(redacted)");
        assertThat(captured("umctl", "auth", "adminpw")).containsExactly("umctl", "auth", "(redacted)");
        assertThat(captured("CONFIG", "GET", "requirepass")).containsExactly("CONFIG", "GET", "requirepass");
        assertThat(captured("SET", "auth", "pw")).containsExactly("SET", "auth", "pw");
    }

    @Test
    void concurrentAdds_fromSeveralThreads_keepIdsUniqueAndTheRingBounded() throws Exception {
        SlowLog log = new SlowLog(0, 100);
        int threads = 4;
        int each = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    add(log, "GET", "k");
                    if (i % 100 == 0) {
                        log.newest(10);
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }

        List<Long> ids = ids(log.newest(-1));
        assertThat(ids).hasSize(100);
        assertThat(ids.get(0)).isEqualTo((long) threads * each - 1);
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i)).isEqualTo(ids.get(i - 1) - 1);
        }
    }

    @Test
    void slowlogGet_rendersRedisSixElementEntries() {
        SlowLog.Entry e = new SlowLog.Entry(7, 1_700_000_000_123L, 31_234, 31_000,
                new byte[][] {"GET".getBytes(StandardCharsets.US_ASCII), "k".getBytes(StandardCharsets.US_ASCII)},
                "127.0.0.1:50000", "app", 3);
        ByteBuf out = Unpooled.buffer();
        SlowlogCommands.writeRedisEntries(out, List.of(e));

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("*1\r\n*6\r\n:7\r\n:1700000000\r\n:31234\r\n"
                + "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n$15\r\n127.0.0.1:50000\r\n$3\r\napp\r\n");
    }

    @Test
    void umctlSlowlog_rendersTheProxyBackendBreakdown() {
        SlowLog.Entry e = new SlowLog.Entry(7, 1_700_000_000_123L, 31_234, 31_000,
                new byte[][] {"GET".getBytes(StandardCharsets.US_ASCII), "k".getBytes(StandardCharsets.US_ASCII)},
                "127.0.0.1:50000", "", 3);
        ByteBuf out = Unpooled.buffer();
        SlowlogCommands.writeUmctlEntries(out, List.of(e));

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("*1\r\n*9\r\n"
                + "$5\r\nid: 7\r\n"
                + "$13\r\nsession_id: 3\r\n"
                + "$36\r\ncreated: 2023-11-14T22:13:20.091766Z\r\n"
                + "$18\r\nduration_us: 31234\r\n"
                + "$13\r\nproxy_us: 234\r\n"
                + "$17\r\nbackend_us: 31000\r\n"
                + "$23\r\nclient: 127.0.0.1:50000\r\n"
                + "$13\r\nclient_name: \r\n"
                + "$14\r\ncommand: GET k\r\n");
    }

    @Test
    void help_isRedisAddReplyHelp() {
        ByteBuf out = Unpooled.buffer();
        SlowlogCommands.writeHelp(out, "slowlog");

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("*12\r\n"
                + "+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                + "+GET [<count>]\r\n"
                + "+    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n"
                + "+    Entries are made of:\r\n"
                + "+    id, timestamp, time in microseconds, arguments array, client IP and port,\r\n"
                + "+    client name\r\n"
                + "+LEN\r\n"
                + "+    Return the length of the slowlog.\r\n"
                + "+RESET\r\n"
                + "+    Reset the slowlog.\r\n"
                + "+HELP\r\n"
                + "+    Prints this help.\r\n");
    }
}
