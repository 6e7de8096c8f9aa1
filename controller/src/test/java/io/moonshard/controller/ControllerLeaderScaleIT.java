package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.controller.model.Json;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.RawRedisClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 16's last chaos scenario: {@code kill -9} of the leading controller during a scale-out. The
 * chaos pool of {@link ControllerChaosIT} has no free proxies to scale into, so this one has its own:
 * 1 etcd member, 2 controllers, 4 proxies on 2 hosts with {@code write_ack = replica}, a 2-shard cluster
 * with 1 replica per shard and {@value #KEYS} keys written before.
 *
 * <p>Each of {@code chaos.trials} trials (1 in the default run; {@code scripts/controller-chaos.sh} runs
 * more) scales 2 to 4 shards under an acknowledged-write ledger, {@code kill -9}s the leader at one of
 * three points in turn ({@link KillPoint}: the moves just tagged in the record, keys being moved, the
 * moves done at the proxies with only their commit left), and checks that the standby finishes the
 * scale (it commits what was left to it): healthy, 4 shards, even shares,
 * every key there, nothing acknowledged lost or applied twice. Meanwhile every proxy's CLUSTER SHARDS is
 * sampled every 150 ms and checked by {@link SlotOwnershipWatch} (what a proxy may show mid-move is
 * explained there). The killed controller is then restarted and the cluster scaled back to 2 shards
 * (watched the same way) for the next trial. Timings go to {@code target/controller-leader-scale/summary.txt}
 * in the format of {@link ControllerChaosIT}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControllerLeaderScaleIT {

    private static final String CLUSTER = "grow";
    private static final int KEYS = 20_000;
    private static final int BATCH = 200;
    private static final int TRIALS = Integer.getInteger("chaos.trials", 1);
    private static final boolean FULL = TRIALS >= 20;
    private static final Path OUT = Path.of("target", "controller-leader-scale");
    private static final String SETTLED = "leader kill -9 in a scale-out: kill to settled";
    private static final String LEADS = "leader kill -9 in a scale-out: kill to standby leading";
    private static final String LEFT = "leader kill -9 in a scale-out: moves left to the standby";

    /** Where a trial's kill lands, in turn (trial {@code t} takes the {@code t % 3}rd). */
    private enum KillPoint {
        /** The record shows the moves tagged: the leader may not have pushed them to every proxy yet. */
        TAGGED,
        /** A source proxy runs its task ({@code UMCTL INFOMGR PROGRESS} lists it): keys are being moved. */
        COPYING,
        /** A move is done at both its proxies ({@code UMCTL INFOMGR} lists it at both): only its commit is left. */
        FLIPPED
    }

    private ControllerTestbed bed;
    private final TrialTimes times = new TrialTimes("controller-leader-scale");

    @BeforeAll
    void start() {
        bed = ControllerTestbed.start(OUT, 1, 4, 2, 2, List.of("--write-ack", "replica", "--write-ack-timeout-ms", "200"),
                List.of());
        bed.expect(201, "POST", "/api/v1/clusters", "{\"name\":\"" + CLUSTER + "\",\"shards\":2,\"replicas\":1}");
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
        try (RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            List<Integer> left = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                left.add(i);
            }
            // with write_ack = replica a burst can outrun the 200 ms ack timeout (NOTREPLICATED: applied, not
            // confirmed); a SET of the same value is idempotent, so whatever was not acknowledged is sent again
            for (int round = 0; round < 20 && !left.isEmpty(); round++) {
                List<Integer> failed = new ArrayList<>();
                for (int from = 0; from < left.size(); from += BATCH) {
                    List<Integer> batch = left.subList(from, Math.min(left.size(), from + BATCH));
                    List<RedisFuture<String>> sets = new ArrayList<>();
                    batch.forEach(i -> sets.add(c.async().set("key:" + i, value(i))));
                    for (int j = 0; j < batch.size(); j++) { // each ends within the client's command timeout
                        if (!"OK".equals(sets.get(j).toCompletableFuture().exceptionally(e -> null).join())) {
                            failed.add(batch.get(j));
                        }
                    }
                }
                left = failed;
            }
            assertThat(left).as("keys not acknowledged after 20 rounds").isEmpty();
        }
    }

    /** Values of about 100 bytes: each move has some 5,000 keys, 0.5 MB, to copy. */
    private static String value(int i) {
        return "value:" + i + ":" + "x".repeat(90);
    }

    @AfterAll
    void stop() throws IOException {
        times.writeSummary("controller leader kill in a scale-out, " + TRIALS + " trial(s) (ms)", OUT);
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void leaderKilledDuringAScaleOutTheStandbyFinishesIt() {
        for (int t = 0; t < TRIALS; t++) {
            JsonNode before = record();
            assertThat(before.path("shards")).hasSize(2);
            List<Integer> seeds = seedPorts();
            int leader = bed.awaitLeader(Duration.ofSeconds(20));
            int standby = 1 - leader;
            KillPoint point = KillPoint.values()[t % KillPoint.values().length];
            long[] killed = new long[1];
            int[] movesLeft = new int[1];
            String[] seen = new String[1];
            int committedBefore = logged(standby, "committed");
            int startedBefore = logged(standby, "started");
            SlotOwnershipWatch watch = new SlotOwnershipWatch(owners(before));
            try (ShardsSampler sampler = new ShardsSampler(watch)) {
                underLedger("t" + t, seeds, () -> {
                    scaleTo(4);
                    long scaled = System.nanoTime();
                    seen[0] = awaitKillPoint(point, before) + ", " + (System.nanoTime() - scaled) / 1_000_000
                            + " ms after the scale request";
                    bed.controllers.get(leader).kill9();
                    killed[0] = System.nanoTime();
                    // read after the kill: whatever is still tagged now, the standby has to commit
                    movesLeft[0] = record().path("moves").size();
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                            .until(() -> bed.leaderIndex() == standby);
                    record(LEADS, (System.nanoTime() - killed[0]) / 1_000_000);
                    awaitSettled(4, Duration.ofSeconds(60));
                    record(SETTLED, (System.nanoTime() - killed[0]) / 1_000_000);
                });
                sampler.finish();
                JsonNode after = record();
                assertThat(watch.problems(owners(after))).as("every sample of every proxy's CLUSTER SHARDS").isEmpty();
                assertThat(sampler.errors()).as("proxies that did not answer CLUSTER SHARDS").isEmpty();
                assertThat(watch.slotsSeenMoving()).as("slots the samples saw at their new owner").isEqualTo(8192);
                System.out.println("controller-leader-scale: trial " + t + ", killed at " + seen[0] + " with " + movesLeft[0]
                        + " move(s) left to the standby, " + watch.samples() + " samples (" + watch.skipped()
                        + " of proxies without metadata yet)");
            }
            record(LEFT, movesLeft[0]);
            if (movesLeft[0] > 0) {
                assertThat(logged(standby, "committed")).as("the standby commits the moves left to it")
                        .isGreaterThan(committedBefore);
            }
            // both moves of the plan were started together before the kill: a start by the standby would
            // be a move started twice, or one the first leader's plan did not have
            assertThat(logged(standby, "started")).as("moves started by the standby").isEqualTo(startedBefore);
            JsonNode settled = record();
            assertThat(settled.path("shards")).hasSize(4);
            for (JsonNode shard : settled.path("shards")) {
                assertThat(owned(shard)).as("an even share for shard " + shard.path("id")).isEqualTo(4096);
            }
            assertThat(bed.slotProblems(clusterProxies())).isEmpty();
            assertEveryKeyThere();

            // back to the state the next trial expects: both controllers, 2 shards, 2 free proxies
            bed.startController(leader);
            JsonNode grown = record();
            SlotOwnershipWatch back = new SlotOwnershipWatch(owners(grown));
            try (ShardsSampler sampler = new ShardsSampler(back)) {
                scaleTo(2);
                awaitSettled(2, Duration.ofSeconds(60));
                sampler.finish();
                assertThat(back.problems(owners(record()))).as("the scale-in back to 2 shards").isEmpty();
                assertThat(sampler.errors()).isEmpty();
            }
            assertThat(bed.slotProblems(clusterProxies())).isEmpty();
            assertEveryKeyThere();
        }
        List<Long> v = times.sorted(SETTLED);
        assertThat(TrialTimes.pct(v, 99)).as(SETTLED + " p99 over " + v.size() + " trial(s): " + v)
                .isLessThanOrEqualTo(FULL ? 10_000 : 30_000);
    }

    // ---- steps ----

    /**
     * Waits until the scale-out from {@code before} reaches {@code point} and returns what it saw: the
     * point (with the source's task state for {@code COPYING}), or "past" it when the leader committed a
     * move first (a move done at both proxies is committed within a tick or two, so {@code FLIPPED} can be
     * missed). The proxies are asked over one connection each, and the sources directly: the record
     * read over HTTP showed the moves some 100 ms late here, by when the proxies may have done them.
     */
    private String awaitKillPoint(KillPoint point, JsonNode before) {
        String[] seen = new String[1];
        if (point == KillPoint.TAGGED) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !record().path("moves").isEmpty());
            return point.name();
        }
        long epoch = before.path("epoch").asLong(); // tasks of this scale have a higher one
        String[] owned = owners(before);
        List<String> sources = new ArrayList<>();
        before.path("shards").forEach(s -> sources.add(s.path("master").path("proxy").asText()));
        Map<String, RawRedisClient> links = new HashMap<>();
        int[] polls = new int[1];
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> {
                for (String source : sources) {
                    for (String line : infoMgr(links, source, point == KillPoint.COPYING)) {
                        String[] f = line.split(" ");
                        int n = Integer.parseInt(f[2]);
                        // <cluster> MIGRATING <n> <s-e>... <epoch> <src_proxy> <src_node> <dst_proxy> <dst_node> [progress]
                        if (!f[1].equals("MIGRATING") || Long.parseLong(f[3 + n]) <= epoch || !f[4 + n].equals(source)) {
                            continue;
                        }
                        if (point == KillPoint.COPYING) {
                            seen[0] = "COPYING (source task " + line.replaceAll(".* (state=\\S+).*", "$1") + ")";
                            return true;
                        }
                        String importing = String.join(" ", Arrays.copyOfRange(f, 0, 8 + n)).replace(" MIGRATING ", " IMPORTING ");
                        if (infoMgr(links, f[6 + n], false).contains(importing)) {
                            seen[0] = "FLIPPED";
                            return true;
                        }
                    }
                }
                if (++polls[0] % 10 == 0 && !Arrays.equals(owners(record()), owned)) {
                    seen[0] = "past " + point + " (the leader committed a move first)";
                    return true;
                }
                return false;
            });
        } finally {
            links.values().forEach(RawRedisClient::close);
        }
        return seen[0];
    }

    /** {@code UMCTL INFOMGR [PROGRESS]} of a proxy: the tasks that reached the commit, or every task. */
    private List<String> infoMgr(Map<String, RawRedisClient> links, String proxy, boolean progress) {
        ControllerTestbed.PoolProxy p = bed.proxy(proxy);
        RawRedisClient link = links.computeIfAbsent(proxy, a -> new RawRedisClient(p.host, p.port));
        String raw = progress ? link.call("UMCTL", "INFOMGR", "PROGRESS") : link.call("UMCTL", "INFOMGR");
        return io.moonshard.testkit.MigrationCoordinator.parseBulkArray(raw);
    }

    /**
     * {@code POST .../scale}, retried while refused for want of free proxies: proxies released by the
     * previous scale-in count as free once they have taken the cluster's metadata as proxies owning
     * nothing (the record's {@code retired} list, which the API does not show), a tick or two later.
     */
    private void scaleTo(int shards) {
        String[] last = {""};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> r = bed.api("POST", "/api/v1/clusters/" + CLUSTER + "/scale", "{\"shards\":" + shards + "}");
            last[0] = r.statusCode() + " " + r.body();
            if (r.statusCode() == 409 && r.body().contains("free prox")) {
                return false;
            }
            assertThat(r.statusCode()).as(last[0]).isEqualTo(202);
            return true;
        });
    }

    private void awaitSettled(int shards, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
            JsonNode s = bed.status(CLUSTER);
            return s.path("healthy").asBoolean() && !s.path("scaling").asBoolean() && s.path("shards").size() == shards;
        });
    }

    /** Runs {@code step} under a ledger over the whole slot space; checks it afterwards. */
    private void underLedger(String run, List<Integer> seeds, Runnable step) {
        List<String> counters = AckLedger.keysInSlots(run + "c", 16, new int[] {0, 16383});
        List<String> versioned = AckLedger.keysInSlots(run + "v", 32, new int[] {0, 16383});
        try (AckLedger ledger = AckLedger.builder(seeds, 3, counters, versioned).periodicRefresh(Duration.ofSeconds(1))
                .build()) {
            ledger.start(Duration.ofSeconds(150));
            ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(20));
            step.run();
            ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(30));
            ledger.stop();
            ledger.awaitFinished(Duration.ofSeconds(30));
            AckLedger.Summary summary = ledger.check();
            System.out.println("controller-leader-scale " + run + ": " + summary.describe());
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            record("leader kill -9 in a scale-out: writes lost or applied twice", summary.violations().size());
        }
    }

    private void assertEveryKeyThere() {
        try (RedisClusterClient client = AckLedger.clusterClient(seedPorts());
             StatefulRedisClusterConnection<String, String> c = client.connect()) {
            List<String> missing = new ArrayList<>();
            for (int from = 0; from < KEYS; from += BATCH) {
                List<RedisFuture<String>> gets = new ArrayList<>();
                for (int i = from; i < Math.min(KEYS, from + BATCH); i++) {
                    gets.add(c.async().get("key:" + i));
                }
                assertThat(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, gets.toArray(RedisFuture[]::new))).isTrue();
                for (int i = from; i < Math.min(KEYS, from + BATCH); i++) {
                    if (!value(i).equals(gets.get(i - from).toCompletableFuture().join())) {
                        missing.add("key:" + i);
                    }
                }
            }
            assertThat(missing).as("keys written before the scaling").isEmpty();
        }
    }

    // ---- sampling every proxy's CLUSTER SHARDS ----

    /**
     * Asks every proxy of the pool for CLUSTER SHARDS every 150 ms, one connection each, and feeds the
     * replies to a watch, for at most 3 minutes. No proxy is killed here, so a proxy that does not
     * answer is an error too.
     */
    private final class ShardsSampler implements AutoCloseable {
        private final SlotOwnershipWatch watch;
        private final Map<String, RawRedisClient> links = new HashMap<>();
        private final List<String> errors = new ArrayList<>();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "cluster-shards-sampler");
            th.setDaemon(true);
            return th;
        });
        private final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);

        ShardsSampler(SlotOwnershipWatch watch) {
            this.watch = watch;
            timer.scheduleWithFixedDelay(this::round, 0, 150, TimeUnit.MILLISECONDS);
        }

        private void round() {
            if (System.nanoTime() - deadline > 0) {
                return;
            }
            for (ControllerTestbed.PoolProxy p : bed.proxies) {
                try {
                    String reply = links.computeIfAbsent(p.address(), a -> new RawRedisClient(p.host, p.port))
                            .call("CLUSTER", "SHARDS");
                    watch.observe(p.address(), SlotOwnershipWatch.parseClusterShards(reply));
                } catch (RuntimeException e) { // caught here: an exception would end the schedule unseen
                    RawRedisClient broken = links.remove(p.address());
                    if (broken != null) {
                        broken.close();
                    }
                    synchronized (errors) {
                        errors.add(p.address() + ": " + e);
                    }
                }
            }
        }

        /** Stops sampling after one last round of every proxy (the settled state is sampled too). */
        void finish() {
            timer.shutdown();
            try {
                assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).as("the sampler stops").isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            round();
        }

        List<String> errors() {
            synchronized (errors) {
                return List.copyOf(errors);
            }
        }

        @Override
        public void close() {
            timer.shutdownNow();
            try {
                timer.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            links.values().forEach(RawRedisClient::close);
        }
    }

    // ---- the record ----

    /** The record as stored, from any live controller (a standby reads the same store). */
    private JsonNode record() {
        HttpResponse<String> r = bed.api("GET", "/api/v1/clusters/" + CLUSTER, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each slot's owner in {@code record}: the proxy of its shard's master. */
    private static String[] owners(JsonNode record) {
        String[] out = new String[SlotOwnershipWatch.SLOTS];
        for (JsonNode shard : record.path("shards")) {
            String proxy = shard.path("master").path("proxy").asText();
            for (int[] r : ranges(shard)) {
                Arrays.fill(out, r[0], r[1] + 1, proxy);
            }
        }
        return out;
    }

    private static int owned(JsonNode shard) {
        int n = 0;
        for (int[] r : ranges(shard)) {
            n += r[1] - r[0] + 1;
        }
        return n;
    }

    private static List<int[]> ranges(JsonNode shard) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode range : shard.path("slots")) {
            String[] ends = range.asText().split("-");
            out.add(new int[] {Integer.parseInt(ends[0]), Integer.parseInt(ends[ends.length - 1])});
        }
        return out;
    }

    private List<String> clusterProxies() {
        List<String> out = new ArrayList<>();
        record().path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    /** The ports of the cluster's proxies on 127.0.0.1 (the ledger's client seeds from that host). */
    private List<Integer> seedPorts() {
        List<Integer> ports = new ArrayList<>();
        for (String address : clusterProxies()) {
            ControllerTestbed.PoolProxy p = bed.proxy(address);
            if (p.host.equals("127.0.0.1")) {
                ports.add(p.port);
            }
        }
        return ports;
    }

    /** How many {@code what} (started, committed) writes of moves controller {@code c}'s log shows (SlotMoves logs each). */
    private int logged(int c, String what) {
        String log = bed.controllers.get(c).output();
        String line = "cluster " + CLUSTER + ": " + what + " ";
        int n = 0;
        for (int i = log.indexOf(line); i >= 0; i = log.indexOf(line, i + 1)) {
            n++;
        }
        return n;
    }

    private void record(String what, long value) {
        times.record(what, value);
    }

}
