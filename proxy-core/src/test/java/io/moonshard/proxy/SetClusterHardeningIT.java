package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * UMCTL SETCLUSTER cannot be used to stall or confuse a proxy: a gzip bomb in COMPRESS is refused
 * without holding up the event loop every client here shares (the proxy runs one), contradictory
 * slot maps are refused, and in both cases the previous metadata stays.
 */
class SetClusterHardeningIT {

    private static final String INFLATES_TOO_FAR =
            "-ERR invalid cluster metadata: the COMPRESS payload inflates to over 8388608 bytes\r\n";

    private static LocalMoonshardCluster cluster;
    private static String backend;
    private static String me;
    private static final String PEER = "127.0.0.1:" + FreePorts.next();
    private static long epoch = 100;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(1, 1);
        backend = cluster.backends.get(0).get(0).address();
        me = cluster.proxyAddresses.get(0);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Local 0-8000, a peer 8001-16383, at a new epoch. */
    @BeforeEach
    void knownMetadata() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", Long.toString(++epoch), "NOFLAGS", "mydb", backend, "1",
                    "0-8000", "PEER", PEER, "1", "8001-16383")).isEqualTo("+OK\r\n");
        }
    }

    static String compress(byte[] data, long repeat) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            for (long i = 0; i < repeat; i++) {
                gz.write(data);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** What the proxy shows of its metadata: CLUSTER NODES, GETEPOCH and where two keys route. */
    private static List<String> observed(RawRedisClient c) {
        String localKey = Slots.keyIn(100, "local");
        String remoteKey = Slots.keyIn(9000, "remote");
        return List.of(c.call("CLUSTER", "NODES"), c.call("UMCTL", "GETEPOCH"), c.call("SET", localKey, "v"),
                c.call("GET", localKey), c.call("GET", remoteKey));
    }

    @Test
    void gzipBombs_areRefused_whileClientsOnTheSameEventLoopKeepTheirLatency() throws Exception {
        // 256 MB of zeros in 250 KB: the code before the bound inflated 64 MB of each on the event loop
        String bomb = compress(new byte[1 << 20], 256);
        assertThat(bomb.length()).isLessThan(400_000);
        ExecutorService bombers = Executors.newFixedThreadPool(3);
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> latencies = new ArrayList<>();
        try (RawRedisClient probe = new RawRedisClient(cluster.port(0))) {
            List<String> before = observed(probe);
            List<Future<List<String>>> replies = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                replies.add(bombers.submit(() -> {
                    List<String> got = new ArrayList<>();
                    try (RawRedisClient bomber = new RawRedisClient(cluster.port(0))) {
                        for (int i = 0; i < 20 && !stop.get(); i++) {
                            got.add(bomber.call("UMCTL", "SETCLUSTER", "v2", "999999", "COMPRESS", bomb));
                        }
                    }
                    return got;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String key = Slots.keyIn(200, "probe");
            probe.call("SET", key, "x");
            while (!replies.stream().allMatch(Future::isDone) && System.nanoTime() < deadline) {
                long t0 = System.nanoTime();
                assertThat(probe.call("PING")).isEqualTo("+PONG\r\n");
                assertThat(probe.call("GET", key)).isEqualTo("$1\r\nx\r\n");
                latencies.add((System.nanoTime() - t0) / 2);
            }
            stop.set(true);
            int bombsRefused = 0;
            for (Future<List<String>> f : replies) {
                for (String reply : f.get(30, TimeUnit.SECONDS)) {
                    assertThat(reply).isEqualTo(INFLATES_TOO_FAR);
                    bombsRefused++;
                }
            }
            assertThat(bombsRefused).isPositive();
            assertThat(latencies).hasSizeGreaterThan(20);
            latencies.sort(null);
            long p99Micros = latencies.get((int) (latencies.size() * 0.99)) / 1000;
            // the bug held the loop for hundreds of ms per bomb; an idle loop answers in well under 1 ms
            assertThat(p99Micros).as("p99 of PING/GET in µs while %d bombs were refused", bombsRefused)
                    .isLessThan(50_000);
            assertThat(observed(probe)).isEqualTo(before);
        } finally {
            stop.set(true);
            bombers.shutdownNow();
            assertThat(bombers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void setClustersApplyInArrivalOrder_aSlowCompressedOneIsNotOvertaken() {
        // valid metadata padded with 7 MB of JSON whitespace: a few ms to inflate and parse off the loop
        String json = "{\"cluster_name\":\"mydb\",\"local\":{\"" + backend + "\":[{\"range_list\":[[0,16383]],"
                + "\"tag\":\"None\"}]},\"peer\":{}" + " ".repeat(7 << 20) + "}";
        String slow = compress(json.getBytes(StandardCharsets.UTF_8), 1);
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            long first = ++epoch;
            long second = ++epoch;
            c.send("UMCTL", "SETCLUSTER", "v2", Long.toString(first), "COMPRESS", slow);
            c.send("UMCTL", "SETCLUSTER", "v2", Long.toString(second), "NOFLAGS", "mydb", backend, "1", "0-8000",
                    "PEER", PEER, "1", "8001-16383");
            c.send("UMCTL", "GETEPOCH");
            assertThat(c.readReply()).isEqualTo("+OK\r\n");
            assertThat(c.readReply()).isEqualTo("+OK\r\n"); // not OLD_EPOCH: it was applied second
            assertThat(c.readReply()).isEqualTo(":" + second + "\r\n");
            assertThat(c.call("GET", Slots.keyIn(9000, "k"))).isEqualTo("-MOVED 9000 " + PEER + "\r\n");
        }
    }

    @Test
    void contradictorySlotMaps_areRefused_andThePreviousMetadataStays() {
        String bad = Long.toString(epoch + 50);
        String[][] cases = {
            {"slot 8000 is owned by " + backend + " and peer " + PEER,
                backend, "1", "0-8000", "PEER", PEER, "1", "8000-16383"},
            {"slot 9000 is given to two peers, " + PEER + " and 127.0.0.1:1",
                backend, "1", "0-8000", "PEER", PEER, "1", "8001-16383", "127.0.0.1:1", "1", "9000-9000"},
            {"slot 5 is on two local backends, " + backend + " and 127.0.0.1:2",
                backend, "1", "0-8000", "127.0.0.1:2", "1", "5-6", "PEER", PEER, "1", "8001-16383"},
            {"peer " + me + " is this proxy itself",
                backend, "1", "0-8000", "PEER", me, "1", "8001-16383"},
        };
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            List<String> before = observed(c);
            for (String[] k : cases) {
                List<String> args = new ArrayList<>(List.of("UMCTL", "SETCLUSTER", "v2", bad, "NOFLAGS", "mydb"));
                args.addAll(List.of(k).subList(1, k.length));
                assertThat(c.call(args.toArray(String[]::new)))
                        .isEqualTo("-ERR invalid cluster metadata: " + k[0] + "\r\n");
                assertThat(observed(c)).isEqualTo(before);
            }
            assertThat(c.call("UMCTL", "SETCLUSTER", "v2", bad, "NOFLAGS", "", backend, "1", "0-16383"))
                    .isEqualTo("-ERR invalid cluster metadata: the cluster name is empty\r\n");
            assertThat(observed(c)).isEqualTo(before);
            // a migration's source side stays legal
            String mig = bad + " " + me + " " + backend + " " + PEER + " 127.0.0.1:3";
            List<String> migrating = new ArrayList<>(List.of("UMCTL", "SETCLUSTER", "v2", bad, "NOFLAGS", "mydb",
                    backend, "1", "0-8000", backend, "MIGRATING", "1", "8001-9000"));
            migrating.addAll(List.of(mig.split(" ")));
            migrating.addAll(List.of("PEER", PEER, "1", "9001-16383", PEER, "IMPORTING", "1", "8001-9000"));
            migrating.addAll(List.of(mig.split(" ")));
            assertThat(c.call(migrating.toArray(String[]::new))).isEqualTo("+OK\r\n");
            assertThat(c.call("UMCTL", "GETEPOCH")).isEqualTo(":" + bad + "\r\n");
            epoch = Long.parseLong(bad);
        }
    }
}
