package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.QuietShutdownClusterClient;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The controller's chaos trials, each fault repeated {@code chaos.trials} times (1 in the default run;
 * {@code scripts/controller-chaos.sh} runs 20) on one pool: 3 etcd members, 2 controllers, proxies on 3
 * hosts with {@code write_ack = replica}, one 3-shard cluster. Each trial measures what a client sees;
 * the p50/p99 of every scenario go to {@code target/controller-chaos/summary.txt}. With 20 trials the
 * issue's targets are asserted; a single trial asserts a looser bound, as a loaded CI box allows.
 * Every scenario also checks an acknowledged-write ledger and, after each trial, that every live proxy
 * agrees on each slot's single owner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerChaosIT {

    private static final String CLUSTER = "chaos";
    private static final int TRIALS = Integer.getInteger("chaos.trials", 1);
    private static final boolean FULL = TRIALS >= 20;
    private static final Path OUT = Path.of("target", "controller-chaos");

    private ControllerTestbed bed;
    private final TrialTimes times = new TrialTimes("controller-chaos");
    private int runs;

    @BeforeAll
    void start() {
        bed = ControllerTestbed.start(OUT, 3, 9, 3, 2, List.of("--write-ack", "replica", "--write-ack-timeout-ms", "200"),
                List.of());
        bed.expect(201, "POST", "/api/v1/clusters", "{\"name\":\"" + CLUSTER + "\",\"shards\":3,\"replicas\":1}");
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() throws Exception {
        times.writeSummary("controller chaos, " + TRIALS + " trial(s) per scenario (ms)", OUT);
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    @Order(1)
    void masterRedisKill() {
        for (int t = 0; t < TRIALS; t++) {
            JsonNode shard = shard(t % 3);
            String proxy = shard.path("master").path("proxy").asText();
            String node = shard.path("master").path("node").asText();
            long took = writesBackAfter(ranges(shard), () -> redisAt(proxy, node).kill());
            record("master Redis kill -9: writes again", took);
            restartEmpty(proxy, node);
            settle();
        }
        assertTargets("master Redis kill -9: writes again", 2_000, 8_000);
    }

    @Test
    @Order(2)
    void proxyKill() {
        for (int t = 0; t < TRIALS; t++) {
            JsonNode shard = shard(t % 3);
            String proxy = shard.path("master").path("proxy").asText();
            long took = writesBackAfter(ranges(shard), () -> bed.proxy(proxy).process.kill9());
            record("proxy kill -9: its slots served elsewhere", took);
            bed.addProxy(bed.proxy(proxy).host); // the operator's (or Kubernetes') replacement
            settle();
        }
        assertTargets("proxy kill -9: its slots served elsewhere", 5_000, 12_000);
    }

    @Test
    @Order(3)
    void proxyPauseTenSeconds() {
        for (int t = 0; t < TRIALS; t++) {
            JsonNode shard = shard(t % 3);
            String proxy = shard.path("master").path("proxy").asText();
            String lostKey = AckLedger.keysInSlots("paused" + t, 1, ranges(shard).toArray(int[][]::new)).get(0);
            ControllerTestbed.PoolProxy p = bed.proxy(proxy);
            String node = shard.path("master").path("node").asText();
            try (RawRedisClient early = new RawRedisClient(p.host, p.port)) {
                assertThat(early.call("PING")).isEqualTo("+PONG\r\n");
                long[] pausedAt = {0};
                long took = writesBackAfter(ranges(shard), () -> {
                    pausedAt[0] = System.nanoTime();
                    p.process.pause();
                }, proxy);
                record("proxy SIGSTOP: its slots served elsewhere", took);
                // the rest of the 10 s pause, then the resumed proxy must take no write for what it lost
                await().pollDelay(Duration.ofMillis(Math.max(0, 10_000 - (System.nanoTime() - pausedAt[0]) / 1_000_000)))
                        .atMost(Duration.ofSeconds(15)).until(() -> true);
                p.process.resume();
                String reply = early.call("SET", lostKey, "written-by-the-resumed-proxy");
                assertThat(reply).as("a write to the resumed proxy for a slot it lost").matches("-(CLUSTERDOWN|MOVED) .*\r\n");
                assertThat(redisAt(proxy, node).rawCommand("EXISTS", lostKey)).isEqualTo(":0\r\n");
                record("proxy SIGSTOP 10 s, resumed: writes it accepted for lost slots", 0);
            }
            bed.addProxy(p.host);
            settle();
        }
        assertTargets("proxy SIGSTOP: its slots served elsewhere", 5_000, 12_000);
    }

    @Test
    @Order(4)
    void etcdMemberKillThenAFailover() {
        for (int trial = 0; trial < TRIALS; trial++) {
            final int t = trial;
            int member = t % 2 == 0 ? bed.etcd().awaitLeader(Duration.ofSeconds(10)) : (bed.etcd().leaderIndex() + 1) % 3;
            long[] longestGap = {0};
            JsonNode victim = shard(t % 3);
            underWriter(longestGap, AckLedger.keysOutsideSlots("w" + t, 300, ranges(victim).toArray(int[][]::new)), () -> {
                bed.etcd().kill9(member);
                // a failover while one member is down must still happen
                JsonNode shard = shard(t % 3);
                String proxy = shard.path("master").path("proxy").asText();
                String node = shard.path("master").path("node").asText();
                long took = writesBackAfter(ranges(shard), () -> redisAt(proxy, node).kill());
                record("etcd member kill -9, then master kill: writes again", took);
                restartEmpty(proxy, node);
            });
            record("etcd member kill -9: longest client write gap", longestGap[0]);
            bed.etcd().restart(member);
            settle();
        }
        assertTargets("etcd member kill -9: longest client write gap", 2_000, 8_000);
    }

    @Test
    @Order(5)
    void leaderKillDuringAFailover() {
        for (int t = 0; t < TRIALS; t++) {
            int leader = bed.awaitLeader(Duration.ofSeconds(10));
            JsonNode shard = shard(t % 3);
            String proxy = shard.path("master").path("proxy").asText();
            String node = shard.path("master").path("node").asText();
            long took = writesBackAfter(ranges(shard), () -> {
                redisAt(proxy, node).kill();
                bed.controllers.get(leader).kill9();
            });
            record("leader controller kill -9 with a master kill: writes again", took);
            assertThat(bed.slotProblems(clusterProxies())).isEmpty();
            bed.startController(leader);
            restartEmpty(proxy, node);
            settle();
        }
        assertTargets("leader controller kill -9 with a master kill: writes again", 5_000, 15_000);
    }

    @Test
    @Order(6)
    void quorumLostThenBack() {
        for (int t = 0; t < TRIALS; t++) {
            JsonNode before = bed.status(CLUSTER).path("shards");
            String other = AckLedger.keysInSlots("quorum" + t, 1, ranges(before.get((t + 1) % 3)).toArray(int[][]::new)).get(0);
            // the client is connected, and has written, before the quorum goes: what is measured is the
            // service coming back, not a client's start (once 6.8 s in a run's first trial, a cold JVM)
            try (RedisClusterClient client = AckLedger.clusterClientAt(seeds(), false, null);
                 StatefulRedisClusterConnection<String, String> c = client.connect()) {
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "OK".equals(c.sync().set(other, "x")));
                int a = 0;
                int b = 1;
                long lost = System.nanoTime();
                bed.etcd().kill9(a);
                bed.etcd().kill9(b);
                // no topology change without quorum: a master dying now is not failed over
                JsonNode shard = before.get(t % 3);
                String proxy = shard.path("master").path("proxy").asText();
                String node = shard.path("master").path("node").asText();
                redisAt(proxy, node).kill();
                // the quorum stays lost until the proxies have fenced themselves (the controller's term ends
                // within a leader TTL of the loss, the proxies' leases a lease TTL after the last renewal):
                // back after 3 s, as this trial used to wait, a new term (0.1-0.3 s with pre-vote) renewed the
                // leases before they ran out: the first write after the return took 25-42 ms in 20 trials,
                // nothing had stopped. What is measured is the service coming back by itself
                await("the proxies fenced without quorum").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> fenced(c, other));
                record("quorum lost: until the proxies answer CLUSTERDOWN", (System.nanoTime() - lost) / 1_000_000);
                bed.etcd().restartNoWait(a);
                bed.etcd().restartNoWait(b);
                long back = System.nanoTime();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> "OK".equals(c.sync().set(other, "x")));
                record("quorum back: writes to other shards again", (System.nanoTime() - back) / 1_000_000);
                // the master that died while quorum was lost is failed over once it is back
                bed.awaitHealthy(CLUSTER, Duration.ofSeconds(30));
                assertThat(bed.status(CLUSTER).path("shards").get(t % 3).path("master").path("node").asText()).isNotEqualTo(node);
                restartEmpty(proxy, node);
            }
            settle();
        }
        assertTargets("quorum back: writes to other shards again", 2_000, 15_000);
    }

    /** Whether a write of {@code key} is refused with CLUSTERDOWN, as a fenced proxy answers. */
    private static boolean fenced(StatefulRedisClusterConnection<String, String> c, String key) {
        try {
            c.sync().set(key, "x");
            return false;
        } catch (io.lettuce.core.RedisCommandExecutionException e) {
            return String.valueOf(e.getMessage()).startsWith("CLUSTERDOWN");
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ---- measuring ----

    /**
     * Runs a ledger over {@code slots} and elsewhere, does {@code fault}, and returns the ms until a write
     * to {@code slots} succeeds again; asserts no acknowledged write was lost or applied twice.
     */
    private long writesBackAfter(List<int[]> slots, Runnable fault) {
        return writesBackAfter(slots, fault, null);
    }

    /**
     * With {@code silentProxy} (a proxy that will stop answering without closing its connections), the
     * probe writes go through a client seeded with the other proxies that re-reads the topology from
     * them every 500 ms with a 500 ms command timeout: a client with Lettuce's defaults would wait on the
     * silent proxy until something else made it look again, which would measure the client, not the
     * failover.
     */
    private long writesBackAfter(List<int[]> slots, Runnable fault, String silentProxy) {
        int[][] r = slots.toArray(int[][]::new);
        String run = "r" + (++runs);
        List<String> counters = new ArrayList<>(AckLedger.keysInSlots(run + "c", 6, r));
        counters.addAll(AckLedger.keysOutsideSlots(run + "c", 3, r));
        List<String> versioned = new ArrayList<>(AckLedger.keysInSlots(run + "v", 8, r));
        versioned.addAll(AckLedger.keysOutsideSlots(run + "v", 4, r));
        String probeKey = AckLedger.keysInSlots(run + "probe", 1, r).get(0);
        try (AckLedger ledger = AckLedger.builderAt(seeds(), 2, counters, versioned)
                .rejectUnansweredAfterReconnect(true).periodicRefresh(Duration.ofSeconds(1)).build();
             RedisClusterClient client = AckLedger.clusterClientAt(seeds(), false, null);
             StatefulRedisClusterConnection<String, String> probe = client.connect()) {
            ledger.start(Duration.ofSeconds(60));
            ledger.awaitMoreAcknowledged(100, Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "OK".equals(probe.sync().set(probeKey, "0")));
            long faulted = System.nanoTime();
            fault.run();
            AtomicLong ok = new AtomicLong();
            if (silentProxy == null) {
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().until(() -> {
                    probe.sync().set(probeKey, "1");
                    ok.set(System.nanoTime());
                    return true;
                });
            } else {
                try (RedisClusterClient seedsOnly = staticTopologyClient(seeds(silentProxy));
                     StatefulRedisClusterConnection<String, String> c = seedsOnly.connect()) {
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().until(() -> {
                        c.sync().set(probeKey, "1");
                        ok.set(System.nanoTime());
                        return true;
                    });
                }
            }
            ledger.awaitMoreAcknowledged(100, Duration.ofSeconds(30));
            ledger.stop();
            ledger.awaitFinished(Duration.ofSeconds(30));
            AckLedger.Summary summary = ledger.check();
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            record("acknowledged writes lost or applied twice", summary.violations().size());
            return (ok.get() - faulted) / 1_000_000;
        }
    }

    /**
     * Runs {@code step} while a writer sets {@code keys}; {@code longestGap[0]} gets the longest ms between
     * two acks. The step starts only once the writer has its first ack, and gaps count from there: the
     * time a new client takes to connect and load the topology is not a gap in service. Counted from the
     * writer thread's start, the first trial of a run (a cold JVM) measured 4928 ms and the other 19 at
     * most 1057 ms; counted from the first ack, and with etcd's pre-vote, the longest of 20 was 94 ms.
     */
    private void underWriter(long[] longestGap, List<String> keys, Runnable step) {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong last = new AtomicLong(); // 0 until the first ack
        AtomicLong gap = new AtomicLong();
        AtomicReference<String> gapCause = new AtomicReference<>();
        AtomicReference<String> firstError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (RedisClusterClient client = AckLedger.clusterClientAt(seeds(), false, Duration.ofSeconds(1));
                 StatefulRedisClusterConnection<String, String> c = client.connect()) {
                int i = 0;
                while (!stop.get()) {
                    try {
                        // keys of the shards the step does not kill: what must keep working
                        c.sync().set(keys.get(i++ % keys.size()), "x");
                        long now = System.nanoTime();
                        long before = last.getAndSet(now);
                        if (before != 0 && (now - before) / 1_000_000 > gap.get()) {
                            gap.set((now - before) / 1_000_000);
                            gapCause.set(firstError.get());
                        }
                        firstError.set(null);
                    } catch (RuntimeException e) {
                        // counted as the gap until the next success; the first error of a gap names it
                        firstError.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                }
            }
        }, "chaos-writer");
        writer.start();
        try {
            await("the writer's first ack").atMost(Duration.ofSeconds(30)).until(() -> last.get() != 0);
            step.run();
        } finally {
            stop.set(true);
            try {
                writer.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        longestGap[0] = gap.get();
        System.out.println("controller-chaos: the longest write gap (" + gap.get() + " ms): "
                + (gapCause.get() == null ? "no error, one write took that long" : "began with " + gapCause.get()));
    }

    /**
     * A cluster client that takes the topology from its seeds only, every 500 ms: by default Lettuce
     * also asks every node it learns of, waiting out its timeout on a silent one, and nothing but a
     * periodic refresh tells it to look again while a node is silent rather than closed.
     */
    private static RedisClusterClient staticTopologyClient(List<String> addresses) {
        List<io.lettuce.core.RedisURI> seeds = new ArrayList<>();
        for (String address : addresses) {
            io.lettuce.core.RedisURI seed = io.lettuce.core.RedisURI.create("redis://" + address);
            seed.setTimeout(Duration.ofMillis(500));
            seeds.add(seed);
        }
        RedisClusterClient c = QuietShutdownClusterClient.create(seeds);
        c.setOptions(io.lettuce.core.cluster.ClusterClientOptions.builder()
                .topologyRefreshOptions(io.lettuce.core.cluster.ClusterTopologyRefreshOptions.builder()
                        .dynamicRefreshSources(false).enablePeriodicRefresh(Duration.ofMillis(500)).build())
                .timeoutOptions(io.lettuce.core.TimeoutOptions.enabled(Duration.ofMillis(500))).build());
        return c;
    }

    private void record(String what, long value) {
        times.record(what, value);
    }

    private void assertTargets(String what, long target, long looseBound) {
        List<Long> v = times.sorted(what);
        long p99 = TrialTimes.pct(v, 99);
        assertThat(p99).as(what + " p99 over " + v.size() + " trial(s): " + v).isLessThanOrEqualTo(FULL ? target : looseBound);
    }


    // ---- the pool ----

    private void settle() {
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(40));
        await().atMost(Duration.ofSeconds(40)).ignoreExceptions().until(() -> {
            for (JsonNode s : bed.status(CLUSTER).path("shard_status")) {
                boolean synced = false;
                for (JsonNode r : s.path("replicas")) {
                    synced |= "in_sync".equals(r.path("state").asText());
                }
                if (!synced) {
                    return false;
                }
            }
            return true;
        });
        // after a failover the leader may still be handing a master back to even out the hosts; proxies
        // that have not taken a handover's epoch yet name the old master, so compare slots after it
        await("the rebalance after a failover done").atMost(Duration.ofSeconds(40)).ignoreExceptions()
                .until(() -> !bed.status(CLUSTER).path("rebalancing").asBoolean(true));
        bed.awaitHealthy(CLUSTER, Duration.ofSeconds(40));
        assertThat(bed.slotProblems(clusterProxies())).isEmpty();
    }

    private JsonNode shard(int i) {
        return bed.status(CLUSTER).path("shards").get(i);
    }

    private List<String> clusterProxies() {
        List<String> out = new ArrayList<>();
        bed.status(CLUSTER).path("proxies").forEach(p -> out.add(p.asText()));
        return out;
    }

    /**
     * The cluster's live proxies, on whichever host, as a client is seeded: not the pool's free ones
     * (the replacements each proxy kill adds), which serve no slot. Seeding with every live proxy of one
     * host failed the 11th proxy kill of a 20-trial run: by then no proxy of the cluster was left on
     * that host, only free ones, and the clients found no slot at all.
     */
    private List<String> seeds(String... except) {
        List<String> seeds = new ArrayList<>();
        List<String> members = clusterProxies();
        for (ControllerTestbed.PoolProxy p : bed.proxies) {
            if (p.process != null && p.process.isAlive() && members.contains(p.address())
                    && !List.of(except).contains(p.address())) {
                seeds.add(p.address());
            }
        }
        return seeds;
    }

    private RedisProcess redisAt(String proxy, String node) {
        for (RedisProcess r : bed.proxy(proxy).redis) {
            if (r.address().equals(node)) {
                return r;
            }
        }
        throw new IllegalArgumentException(node + " is not beside " + proxy);
    }

    private void restartEmpty(String proxy, String node) {
        List<RedisProcess> redis = bed.proxy(proxy).redis;
        RedisProcess dead = redisAt(proxy, node);
        redis.set(redis.indexOf(dead), RedisProcess.startOn(dead.host(), dead.port(), "--repl-diskless-sync-delay", "0"));
    }

    private static List<int[]> ranges(JsonNode shard) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode range : shard.path("slots")) {
            String[] ends = range.asText().split("-");
            out.add(new int[] {Integer.parseInt(ends[0]), Integer.parseInt(ends[ends.length - 1])});
        }
        return out;
    }
}
