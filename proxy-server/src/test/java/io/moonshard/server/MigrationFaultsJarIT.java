package io.moonshard.server;

import static io.moonshard.server.MigrationJarCluster.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 14's fault tests, against the real jar: each proxy is its own JVM process (so {@code kill -9}
 * is real), each fronting one Redis. Two nodes: A (0) owns 0-12287, B (1) owns 12288-16383, and the
 * range R = 4096-12287 moves from A to B. While the move runs, the {@link AckLedger} (8 workers of a
 * Lettuce cluster client doing INCR and versioned SET/DEL over keys in R and outside it) records every
 * acknowledged reply, and at the end no counter or key may disagree with it. Each test also checks
 * the move's outcome: every key of R is served by exactly one proxy (the other answers MOVED to it),
 * and the other Redis holds none of R's keys after a bounded wait.
 *
 * <p>The kills are aimed at a state read from {@code UMCTL INFOMGR PROGRESS} on the source, polled
 * every 2 ms: {@code state=COPYING} with some keys copied (mid-copy: 300,000 filler keys written with
 * {@code DEBUG POPULATE}, 150,000 of them in R, make the copy last seconds), or {@code state=FENCED}.
 * A fence normally lasts a few milliseconds; to hit it every time, a hash of {@value #BIG_FIELDS}
 * fields in R is touched (HSET of one field through the proxy) every 10 ms, so it is dirty at the
 * fence and the fence's last copy pages it over (hundreds of ms). That fence overruns its 100 ms
 * deadline, so the kill lands before FINALSWITCH is sent: these tests check the restart's resolution
 * of a fenced, unanswered attempt (the source's register says "fenced attempt k"), not a kill between
 * FINALSWITCH and its answer, which no external trigger can hit reliably.
 *
 * <p>The seed tests ({@code ...MidSeed...}, {@code destinationKilledWhileDeletingTheOtherSlots_...}) use
 * another layout: A owns every slot and B none, with B's Redis empty, so the move of R seeds B by
 * replication; they kill a proxy while B's Redis loads the full sync ({@code state=SEEDING} at the
 * source) or while B deletes the slots it did not import ({@code state=PURGING}).
 *
 * <p>{@code -Dmigration.chaos.repeat=N} runs every fault test N times (fresh processes each time);
 * {@code -Dmigration.chaos.rounds=N} sets the back-and-forth moves (default 3; the issue's long run:
 * 10). Every run appends one line with the ledger's counts to {@code target/migration-chaos-summary.txt}
 * (or {@code -Dmigration.chaos.summary}); {@code scripts/migration-chaos.sh} prints them. The proxies'
 * logs stay in {@code target/migration-faults/<test>-<run>/}.
 */
class MigrationFaultsJarIT {

    private static final int A = 0;
    private static final int B = 1;
    private static final int[] A_SLOTS = {0, 12287};
    private static final int[] B_SLOTS = {12288, 16383};
    private static final int[] R = {4096, 12287};
    private static final BitSet R_BITS = MigrationCoordinator.toBits(List.of(new int[][] {R}));
    private static final int FILLER = 300_000;
    /** Filler of the seed tests: 1,000,000 keys of 64 B (about half in R) make the full sync last seconds. */
    private static final int SEED_FILLER = 1_000_000;
    private static final int BIG_FIELDS = 400_000;
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(40);
    private static final Duration HIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern KEYS_COPIED = Pattern.compile(" keys_copied=(\\d+)");

    private static int repeats() {
        return Math.max(1, Integer.getInteger("migration.chaos.repeat", 1));
    }

    private static int rounds() {
        return Math.max(1, Integer.getInteger("migration.chaos.rounds", 3));
    }

    // ---- the tests ---------------------------------------------------------------------------

    /** kill -9 of the source mid-copy; restarted on its address and re-pushed, it copies again and the move commits. */
    @Test
    void sourceKilledMidCopy_restarted_moveCompletes(TestInfo info) {
        // late in the copy: most of R is at B already, and many of its keys were written since; A stays
        // down a while: its clients time out, the control keys at B go on
        proxyKilledMidCopy(info, A, "srccopy", filler -> filler.count() / 2, 1_000);
    }

    /**
     * kill -9 of the source while it is fenced (FINALSWITCH not sent yet); the restarted source reads
     * its register, has the destination refuse that attempt, copies again and commits a later one.
     */
    @Test
    void sourceKilledDuringTheFence_restarted_attemptResolvedOnce(TestInfo info) {
        proxyKilledDuringTheFence(info, A, "srcfence");
    }

    /** kill -9 of the destination mid-copy; restarted and re-pushed, the move completes with every key. */
    @Test
    void destinationKilledMidCopy_restarted_moveCompletes(TestInfo info) {
        proxyKilledMidCopy(info, B, "dstcopy", filler -> 2_000, 0);
    }

    /** kill -9 of the destination while the source is fenced; restarted and re-pushed, the move commits once. */
    @Test
    void destinationKilledDuringTheFence_restarted_moveCompletes(TestInfo info) {
        proxyKilledDuringTheFence(info, B, "dstfence");
    }

    /**
     * kill -9 of the source's Redis mid-copy: the task aborts and A keeps R. Redis comes back empty
     * (its data loss is not the proxy's), so the ledger runs on keys at B only; A must serve R again
     * and the cancel SETCLUSTER must leave no key of R at B.
     */
    @Test
    void sourceRedisKilledMidCopy_taskAborts_cancelCleansUp(TestInfo info) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = layout(c);
            populate(c);
            try (AckLedger ledger = ledger(c, run, "redis", false)) {
                startLedger(ledger);
                coordinator.startMove(A, B, R);
                String hit = awaitMidCopy(c, 2_000);
                c.killRedis(A);
                run.note("killed Redis A at: " + hit);
                long t0 = System.nanoTime();
                String aborted = awaitProgress(c, A, l -> l.contains("state=ABORTED"));
                run.note("ABORTED after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms: " + aborted);
                assertThat(coordinator.infoMgr(A)).as("INFOMGR at A after the abort").isEmpty();
                assertThat(coordinator.infoMgr(B)).as("INFOMGR at B after the abort").isEmpty();
                c.restartRedis(A);
                run.note("Redis A restarted (empty)");
                String key = Slots.keyIn(R[0] + 17, "after-abort");
                awaitUntil("A serving R again on its restarted Redis", SETTLE_TIMEOUT,
                        () -> c.callProxy(A, "SET", key, "x").equals("+OK\r\n"));
                assertThat(c.callProxy(A, "GET", key)).isEqualTo("$1\r\nx\r\n");
                assertThat(c.callProxy(B, "GET", key))
                        .isEqualTo("-MOVED " + Slots.slotOf(key) + " " + c.proxyAddress(A) + "\r\n");
                assertThat(coordinator.cancel()).isEqualTo(MigrationCoordinator.CancelOutcome.CANCELLED);
                run.note("A serves R again; cancel pushed");
                run.checkAfterMore(ledger);
            }
            assertOutcome(c, coordinator, A, null, run);
        });
    }

    /** The cancel SETCLUSTER mid-copy, under load: A keeps R, B discards what it staged, nothing is lost. */
    @Test
    void cancelUnderLoad_keepsOwnershipAtTheSource(TestInfo info) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = layout(c);
            Filler filler = populate(c);
            try (AckLedger ledger = ledger(c, run, "cancel", true)) {
                startLedger(ledger);
                coordinator.startMove(A, B, R);
                String hit = awaitMidCopy(c, 2_000);
                MigrationCoordinator.CancelOutcome outcome = coordinator.cancel();
                run.note("cancelled at: " + hit);
                assertThat(outcome).isEqualTo(MigrationCoordinator.CancelOutcome.CANCELLED);
                run.checkAfterMore(ledger);
            }
            assertOutcome(c, coordinator, A, filler, run);
        });
    }

    /** R moves A to B and back, {@link #rounds()} times, under load. */
    @Test
    void backAndForthMovesUnderLoad(TestInfo info) {
        int rounds = rounds();
        runOnce(info.getTestMethod().orElseThrow().getName(), 1, (c, run) -> {
            MigrationCoordinator coordinator = layout(c);
            assertThat(c.redis(A).rawCommand("DEBUG", "POPULATE", "20000", "fill", "32")).isEqualTo("+OK\r\n");
            Filler filler = fillerIn(c.redis(A));
            try (AckLedger ledger = ledger(c, run, "pingpong", true)) {
                startLedger(ledger);
                for (int round = 0; round < rounds; round++) {
                    long t0 = System.nanoTime();
                    moveR(coordinator, ledger, A, B);
                    moveR(coordinator, ledger, B, A);
                    run.note("round " + (round + 1) + ": " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
                }
                run.check(ledger);
            }
            run.note(rounds + " rounds");
            assertOutcome(c, coordinator, A, filler, run);
        });
    }

    /**
     * Seed by replication (B starts empty and owns nothing, so the move seeds it): kill -9 of the source
     * while B's Redis loads the full sync. Restarted and re-pushed, the source finds its register's seed
     * mark, has B drop the seed (B's Redis stops following, B deletes what it got) and seeds it again;
     * the move commits, nothing acknowledged is lost.
     */
    @Test
    void sourceKilledMidSeed_restarted_seedsAgainAndTheMoveCompletes(TestInfo info) {
        proxyKilledMidSeed(info, A, "srcseed");
    }

    /**
     * Seed by replication: kill -9 of the destination while its Redis loads the full sync. Its Redis goes
     * on following the source; the restarted destination finds it so, goes on seeding (its other slots
     * hidden), and the move commits with every key.
     */
    @Test
    void destinationKilledMidSeed_restarted_moveCompletes(TestInfo info) {
        proxyKilledMidSeed(info, B, "dstseed");
    }

    /**
     * Seed by replication: kill -9 of the destination after the commit SETCLUSTER, while it still deletes
     * the keys of the slots it did not import (budgeted to last). The restarted destination has no task
     * left for them: it finds the seed's mark in its Redis's register, hides those slots and deletes
     * their keys; R's keys stay, and nothing acknowledged is lost.
     */
    @Test
    void destinationKilledWhileDeletingTheOtherSlots_restarted_deletesTheLeftovers(TestInfo info) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = c.coordinator();
            coordinator.assign(A, new int[] {0, 16383});
            coordinator.pushLayout();
            assertThat(c.redis(A).rawCommand("DEBUG", "POPULATE", Integer.toString(SEED_FILLER / 2), "fill", "64"))
                    .isEqualTo("+OK\r\n");
            Filler filler = fillerIn(c.redis(A));
            assertThat(c.callProxy(B, "CONFIG", "SET", "moonshard-migration-keys-per-second", "20000")).isEqualTo("+OK\r\n");
            try (AckLedger ledger = ledger(c, run, "dstpurge", true)) {
                startLedger(ledger);
                coordinator.startMove(A, B, R);
                awaitCommitted(coordinator);
                coordinator.commit();
                String hit = awaitProgress(c, B, l -> l.contains("state=PURGING") && !l.contains("foreign_keys_deleted=0 "));
                killAndRestart(c, coordinator, run, B, hit, 0);
                long left = keysOutsideR(c.redis(B));
                run.note("keys of other slots left in Redis B at the restart: " + left);
                assertThat(left).as("the kill came before the purge was over").isPositive();
                run.checkAfterMore(ledger);
            }
            long t0 = System.nanoTime();
            long[] foreign = {-1};
            try {
                awaitUntil("Redis B to hold no key outside R", CLEANUP_TIMEOUT,
                        () -> (foreign[0] = keysOutsideR(c.redis(B))) == 0);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("Redis B still holds " + foreign[0] + " keys outside R "
                        + CLEANUP_TIMEOUT.toSeconds() + " s after its restart", e);
            }
            run.note("leftovers deleted " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms after the check began");
            assertOutcome(c, coordinator, B, filler, run);
            assertThat(register(c.redis(B))).as("B's registers").doesNotContain("seed=");
            long rKeys = keysOfR(c.redis(B));
            assertThat(c.callProxy(B, "DBSIZE")).as("DBSIZE through B").isEqualTo(":" + rKeys + "\r\n");
        });
    }

    // ---- the kill tests -----------------------------------------------------------------------

    /**
     * A owns every slot and holds {@value #SEED_FILLER} filler keys (the full sync lasts seconds), B owns
     * none and its Redis is empty: the move of R seeds B. kill -9 of proxy {@code victim} once the source
     * is SEEDING, then restarted and re-pushed: the move commits, the ledger finds nothing wrong, B serves
     * R with all its filler, and B's Redis ends with no key of another slot, a master.
     */
    private static void proxyKilledMidSeed(TestInfo info, int victim, String prefix) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = c.coordinator();
            coordinator.assign(A, new int[] {0, 16383});
            coordinator.pushLayout();
            assertThat(c.redis(A).rawCommand("DEBUG", "POPULATE", Integer.toString(SEED_FILLER), "fill", "64"))
                    .isEqualTo("+OK\r\n");
            Filler filler = fillerIn(c.redis(A));
            try (AckLedger ledger = ledger(c, run, prefix, true)) {
                startLedger(ledger);
                coordinator.startMove(A, B, R);
                String hit = awaitProgress(c, A, l -> l.contains("state=SEEDING"));
                awaitUntil("Redis B following Redis A", HIT_TIMEOUT,
                        () -> c.redis(B).rawCommand("INFO", "replication").contains("role:slave"));
                killAndRestart(c, coordinator, run, victim, hit, 0);
                awaitCommitted(coordinator);
                run.note("committed; A's progress: " + coordinator.progress(A));
                coordinator.commit();
                run.checkAfterMore(ledger);
            }
            assertOutcome(c, coordinator, B, filler, run);
            long t0 = System.nanoTime();
            long[] foreign = {-1};
            try {
                awaitUntil("Redis B to hold no key outside R", CLEANUP_TIMEOUT,
                        () -> (foreign[0] = keysOutsideR(c.redis(B))) == 0);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("Redis B still holds " + foreign[0] + " keys outside R "
                        + CLEANUP_TIMEOUT.toSeconds() + " s after the move ended", e);
            }
            run.note("Redis B without keys of other slots after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                    + " ms; Redis A served " + info(c.redis(A), "stats", "sync_full") + " full sync(s)");
            assertThat(info(c.redis(B), "replication", "role")).isEqualTo("master");
            assertThat(Long.parseLong(info(c.redis(A), "stats", "sync_full"))).as("full syncs Redis A served")
                    .isBetween(1L, 2L);
        });
    }

    private static long keysOutsideR(RedisProcess redis) {
        long[] n = {0};
        scan(redis, key -> {
            if (!R_BITS.get(Slots.slotOf(key))) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** One field of {@code INFO <section>} of {@code redis}. */
    private static String info(RedisProcess redis, String section, String field) {
        for (String line : redis.rawCommand("INFO", section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    /**
     * kill -9 of proxy {@code victim} mid-copy (once the source copied {@code minCopied} of the
     * filler), down {@code downMillis}, then restarted and re-pushed: the move commits, the ledger
     * finds nothing wrong, and B serves R with all its filler.
     */
    private static void proxyKilledMidCopy(TestInfo info, int victim, String prefix, ToLongFunction<Filler> minCopied,
                                           long downMillis) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = layout(c);
            Filler filler = populate(c);
            try (AckLedger ledger = ledger(c, run, prefix, true)) {
                startLedger(ledger);
                coordinator.startMove(A, B, R);
                String hit = awaitMidCopy(c, minCopied.applyAsLong(filler));
                killAndRestart(c, coordinator, run, victim, hit, downMillis);
                awaitCommitted(coordinator);
                coordinator.commit();
                run.checkAfterMore(ledger);
            }
            assertOutcome(c, coordinator, B, filler, run);
        });
    }

    /**
     * kill -9 of proxy {@code victim} while the source is fenced (the big hash, touched all along, makes
     * the fence last), then restarted and re-pushed: B's register holds exactly one committed attempt,
     * the move commits, the ledger finds nothing wrong and the big hash is intact at B.
     */
    private static void proxyKilledDuringTheFence(TestInfo info, int victim, String prefix) {
        repeat(info, (c, run) -> {
            MigrationCoordinator coordinator = layout(c);
            String big = bigHash(c);
            try (AckLedger ledger = ledger(c, run, prefix, true); Toucher toucher = new Toucher(c.proxyPort(A), big)) {
                startLedger(ledger);
                toucher.start();
                coordinator.startMove(A, B, R);
                String hit = awaitProgress(c, A, l -> l.contains("state=FENCED"));
                toucher.stopTouching();
                killAndRestart(c, coordinator, run, victim, hit, 0);
                awaitCommitted(coordinator);
                String register = register(c.redis(B));
                run.note("B's register: " + register);
                assertThat(commits(register)).as("attempts committed in B's register %s", register).isEqualTo(1);
                coordinator.commit();
                run.checkAfterMore(ledger);
                toucher.assertIntact(c.proxyPort(B), BIG_FIELDS);
            }
            assertOutcome(c, coordinator, B, null, run);
        });
    }

    /** Moves R from {@code from} to {@code to}, and waits for the ledger to acknowledge 200 more ops. */
    private static void moveR(MigrationCoordinator coordinator, AckLedger ledger, int from, int to) {
        coordinator.startMove(from, to, R);
        awaitCommitted(coordinator);
        coordinator.commit();
        ledger.awaitMoreAcknowledged(200, Duration.ofSeconds(30));
    }

    /** kill -9 of proxy {@code node}, {@code downMillis} down, restarted on its address and re-pushed. */
    private static void killAndRestart(MigrationJarCluster c, MigrationCoordinator coordinator, Run run, int node,
                                       String hit, long downMillis) {
        c.killProxy(node);
        run.note("killed " + (node == A ? "A" : "B") + " at: " + hit);
        if (downMillis > 0) {
            sleepMillis(downMillis); // the outage itself: how long the proxy stays dead is the fault
        }
        c.restartProxy(node);
        coordinator.repush(node);
    }

    // ---- set-up ------------------------------------------------------------------------------

    /** A owns 0-12287, B 12288-16383, pushed at epoch 1. */
    private static MigrationCoordinator layout(MigrationJarCluster c) {
        MigrationCoordinator coordinator = c.coordinator();
        coordinator.assign(A, A_SLOTS);
        coordinator.assign(B, B_SLOTS);
        coordinator.pushLayout();
        return coordinator;
    }

    /** The filler keys of R at A's Redis, and some of their names for the ownership check. */
    private record Filler(long count, List<String> sample) {
    }

    private static Filler populate(MigrationJarCluster c) {
        assertThat(c.redis(A).rawCommand("DEBUG", "POPULATE", Integer.toString(FILLER), "fill", "32")).isEqualTo("+OK\r\n");
        return fillerIn(c.redis(A));
    }

    private static Filler fillerIn(RedisProcess redis) {
        List<String> sample = new ArrayList<>();
        long[] count = {0};
        scan(redis, key -> {
            if (key.startsWith("fill:") && R_BITS.get(Slots.slotOf(key))) {
                count[0]++;
                if (sample.size() < 200) {
                    sample.add(key);
                }
            }
        });
        return new Filler(count[0], sample);
    }

    /** Counters and versioned keys in R (if {@code moving}) and outside it (only at B, if not). */
    private static AckLedger ledger(MigrationJarCluster c, Run run, String prefix, boolean moving) {
        List<String> counters = new ArrayList<>();
        List<String> versioned = new ArrayList<>();
        if (moving) {
            counters.addAll(AckLedger.keysInSlots(prefix + "-c", 32, R));
            versioned.addAll(AckLedger.keysInSlots(prefix + "-v", 128, R));
            run.rangeKeys.addAll(counters);
            run.rangeKeys.addAll(versioned);
            counters.addAll(AckLedger.keysOutsideSlots(prefix + "-cc", 16, R));
            versioned.addAll(AckLedger.keysOutsideSlots(prefix + "-vc", 64, R));
        } else {
            counters.addAll(AckLedger.keysInSlots(prefix + "-cc", 48, B_SLOTS));
            versioned.addAll(AckLedger.keysInSlots(prefix + "-vc", 192, B_SLOTS));
        }
        // proxies are killed here: a command unanswered at a reconnect must fail (in doubt), not be re-sent
        return AckLedger.builder(c.proxyPorts(), 8, counters, versioned).rejectUnansweredAfterReconnect(true).build();
    }

    private static void startLedger(AckLedger ledger) {
        ledger.start(Duration.ofMinutes(10));
        ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(30));
    }

    /** A hash of {@value #BIG_FIELDS} fields in R, written straight into A's Redis; returns its name. */
    private static String bigHash(MigrationJarCluster c) {
        String key = Slots.keyIn(R[0] + 1000, "big");
        String script = "for i = 1, tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'f' .. i, i) end return 1";
        assertThat(c.redis(A).rawCommand("EVAL", script, "1", key, Integer.toString(BIG_FIELDS))).isEqualTo(":1\r\n");
        return key;
    }

    // ---- observing ---------------------------------------------------------------------------

    /**
     * The coordinator's INFOMGR wait, failing at once (not after {@link #COMMIT_TIMEOUT}) when the
     * source lists the task as ABORTED: a move that will never commit.
     */
    private static void awaitCommitted(MigrationCoordinator coordinator) {
        int from = coordinator.currentMove().from();
        long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
        while (true) {
            try {
                coordinator.awaitCommitted(Duration.ofSeconds(2));
                return;
            } catch (AssertionError e) {
                List<String> progress;
                try {
                    progress = coordinator.progress(from);
                } catch (RuntimeException unreachable) {
                    progress = List.of();
                }
                if (progress.stream().anyMatch(l -> l.contains(" state=ABORTED "))) {
                    throw new AssertionError("the source ABORTED the move instead of committing it: " + progress, e);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    /** Waits until the source (A) is copying and has copied at least {@code minCopied} keys; returns its PROGRESS line. */
    private static String awaitMidCopy(MigrationJarCluster c, long minCopied) {
        return awaitProgress(c, A, l -> l.contains("state=COPYING") && keysCopied(l) >= minCopied);
    }

    /** Polls {@code UMCTL INFOMGR PROGRESS} on {@code node} every 2 ms until a line matches; returns it. */
    private static String awaitProgress(MigrationJarCluster c, int node, Predicate<String> wanted) {
        java.util.concurrent.atomic.AtomicReference<List<String>> last = new java.util.concurrent.atomic.AtomicReference<>(List.of());
        try (RawRedisClient client = new RawRedisClient(c.proxyPort(node))) {
            return org.awaitility.Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                    .atMost(HIT_TIMEOUT)
                    .until(() -> {
                        last.set(MigrationCoordinator.parseBulkArray(client.call("UMCTL", "INFOMGR", "PROGRESS")));
                        return last.get().stream().filter(wanted).findFirst().orElse(null);
                    }, java.util.Objects::nonNull);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("INFOMGR PROGRESS at node " + node + " never showed the state waited for within "
                    + HIT_TIMEOUT + "; last: " + last.get());
        }
    }

    private static long keysCopied(String line) {
        Matcher m = KEYS_COPIED.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Every key of database 0 of {@code redis}, but the proxy's own ({@code moonshard:}...). */
    private static void scan(RedisProcess redis, java.util.function.Consumer<String> keys) {
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            String cursor = "0";
            do {
                String[] lines = client.call("SCAN", cursor, "COUNT", "5000").split("\r\n");
                cursor = lines[2]; // *2, $n, cursor, *m, then $len/key pairs
                for (int i = 5; i < lines.length; i += 2) {
                    if (!lines[i].startsWith("moonshard:")) {
                        keys.accept(lines[i]);
                    }
                }
            } while (!cursor.equals("0"));
        }
    }

    private static long keysOfR(RedisProcess redis) {
        long[] n = {0};
        scan(redis, key -> {
            if (R_BITS.get(Slots.slotOf(key))) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** The migration registers in database 1 of {@code redis}: {@code key={field=value,...}; ...}. */
    private static String register(RedisProcess redis) {
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            assertThat(client.call("SELECT", "1")).isEqualTo("+OK\r\n");
            List<String> keys = MigrationCoordinator.parseBulkArray(client.call("KEYS", "moonshard:migration:*"));
            StringBuilder sb = new StringBuilder();
            for (String key : keys) {
                List<String> fields = MigrationCoordinator.parseBulkArray(client.call("HGETALL", key));
                sb.append(sb.isEmpty() ? "" : "; ").append(key).append("={");
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    sb.append(i == 0 ? "" : ",").append(fields.get(i)).append('=').append(fields.get(i + 1));
                }
                sb.append('}');
            }
            return sb.toString();
        }
    }

    private static int commits(String register) {
        return register.split("=commit", -1).length - 1;
    }

    /**
     * The move's outcome: after a bounded wait the other Redis holds no key of R and both INFOMGRs are
     * empty; the ledger's keys of R and a sample of the filler are served by {@code owner} only (the
     * other proxy answers MOVED to it); the filler of R is all there, where given.
     */
    private static void assertOutcome(MigrationJarCluster c, MigrationCoordinator coordinator, int owner, Filler filler,
                                      Run run) {
        int other = 1 - owner;
        assertThat(coordinator.owner(R[0])).as("R's owner in the coordinator's layout").isEqualTo(owner);
        assertThat(coordinator.owner(R[1])).as("R's owner in the coordinator's layout").isEqualTo(owner);
        awaitUntil("INFOMGR empty on both proxies", SETTLE_TIMEOUT,
                () -> coordinator.infoMgr(A).isEmpty() && coordinator.infoMgr(B).isEmpty());
        // a task that ended by a cancel or an abort may stay listed as ABORTED (until the next SETCLUSTER);
        // anything else still listed is a task that did not end
        awaitUntil("INFOMGR PROGRESS listing no task but ABORTED ones", SETTLE_TIMEOUT,
                () -> Stream.concat(coordinator.progress(A).stream(), coordinator.progress(B).stream())
                        .allMatch(l -> l.contains(" state=ABORTED ")));
        List<String> left = new ArrayList<>(coordinator.progress(A));
        left.addAll(coordinator.progress(B));
        if (!left.isEmpty()) {
            run.note("INFOMGR PROGRESS still lists: " + left);
        }
        List<String> keys = new ArrayList<>(run.rangeKeys);
        if (filler != null) {
            keys.addAll(filler.sample());
            assertThat(fillerIn(c.redis(owner)).count()).as("filler keys of R in the owner's Redis")
                    .isEqualTo(filler.count());
        }
        try (RawRedisClient own = new RawRedisClient(c.proxyPort(owner));
             RawRedisClient not = new RawRedisClient(c.proxyPort(other))) {
            for (String key : keys) {
                assertThat(own.call("EXISTS", key)).as("EXISTS %s at the owner", key).matches(":[01]\r\n");
                assertThat(not.call("EXISTS", key)).as("EXISTS %s at the other proxy", key)
                        .isEqualTo("-MOVED " + Slots.slotOf(key) + " " + c.proxyAddress(owner) + "\r\n");
            }
        }
        long t0 = System.nanoTime();
        long[] residue = {-1};
        try {
            awaitUntil("Redis of node " + other + " to hold no key of R", CLEANUP_TIMEOUT,
                    () -> (residue[0] = keysOfR(c.redis(other))) == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("Redis of node " + other + " (not R's owner) still holds " + residue[0]
                    + " keys of R " + CLEANUP_TIMEOUT.toSeconds() + " s after the move ended", e);
        }
        run.note("other Redis empty of R after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
    }

    // ---- running -----------------------------------------------------------------------------

    private interface Body {
        void run(MigrationJarCluster cluster, Run run) throws Exception;
    }

    /** One run of a test: its notes, its ledger's summary, the line it leaves in the summary file. */
    private static final class Run {
        final String test;
        final int iteration;
        final List<String> notes = new ArrayList<>();
        final List<String> rangeKeys = new ArrayList<>();
        final long startNanos = System.nanoTime();
        AckLedger.Summary summary;

        Run(String test, int iteration) {
            this.test = test;
            this.iteration = iteration;
        }

        void note(String text) {
            String s = "+" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + "ms " + text;
            notes.add(s);
            System.out.println("[" + test + " #" + iteration + "] " + s);
        }

        /** Once the ledger acknowledged 500 more ops (within 30 s), {@link #check} it. */
        void checkAfterMore(AckLedger ledger) {
            ledger.awaitMoreAcknowledged(500, Duration.ofSeconds(30));
            check(ledger);
        }

        /** Stops the ledger, checks every key, and asserts no violation (and that something was acknowledged). */
        void check(AckLedger ledger) {
            ledger.stop();
            summary = ledger.check();
            note("ledger checked");
            System.out.println("[" + test + " #" + iteration + "] " + summary.describe());
            assertThat(summary.violations()).as(summary.describe()).isEmpty();
            assertThat(summary.acknowledged()).as(summary.describe()).isPositive();
        }
    }

    private static void repeat(TestInfo info, Body body) {
        String name = info.getTestMethod().orElseThrow().getName();
        for (int i = 1; i <= repeats(); i++) {
            runOnce(name, i, body);
        }
    }

    private static void runOnce(String name, int iteration, Body body) {
        Path logs = Path.of("target", "migration-faults", name + "-" + iteration);
        deleteTree(logs);
        Run run = new Run(name, iteration);
        long t0 = System.nanoTime();
        Throwable failure = null;
        try (MigrationJarCluster cluster = MigrationJarCluster.start(2, logs)) {
            try {
                run.note("processes up");
                body.run(cluster, run);
            } catch (Throwable t) {
                failure = t;
                System.out.println("[" + name + " #" + iteration + "] FAILED: " + t + "\n engine events (logs in "
                        + logs.toAbsolutePath() + "):\n" + cluster.engineEvents());
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        AckLedger.Summary s = run.summary;
        String line = String.format("test=%s run=%d result=%s acknowledged=%s in_doubt=%s violations=%s ledger_ms=%s test_ms=%d%s",
                name, iteration, failure == null ? "PASS" : "FAIL",
                s == null ? "-" : s.acknowledged(), s == null ? "-" : s.inDoubt(),
                s == null ? "-" : s.violations().size(), s == null ? "-" : s.ran().toMillis(), millis,
                run.notes.isEmpty() ? "" : " | " + String.join(" | ", run.notes));
        System.out.println("MIGRATION-CHAOS " + line);
        appendSummary(line);
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static void appendSummary(String line) {
        Path file = Path.of(System.getProperty("migration.chaos.summary", "target/migration-chaos-summary.txt"));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- the big hash's toucher --------------------------------------------------------------

    /**
     * HSET of one field of the big hash through a proxy every 10 ms, so the hash is dirty at the
     * fence; remembers the last value acknowledged and the one in doubt, if any.
     */
    private static final class Toucher extends Thread implements AutoCloseable {
        private final int port;
        private final String key;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong acked = new AtomicLong(-1);
        private volatile long inDoubt = -1;

        Toucher(int port, String key) {
            super("big-hash-toucher");
            this.port = port;
            this.key = key;
            setDaemon(true);
        }

        void stopTouching() {
            stop.set(true);
        }

        @Override
        public void run() {
            try (RawRedisClient client = new RawRedisClient(port)) {
                for (long i = 0; !stop.get(); i++) {
                    inDoubt = i;
                    String reply = client.call("HSET", key, "touch", Long.toString(i));
                    if (!reply.startsWith(":")) {
                        return; // MOVED after the flip, or an error: stop touching
                    }
                    acked.set(i);
                    inDoubt = -1;
                    sleepMillis(10); // pacing: a write every 10 ms keeps the big key dirty
                }
            } catch (RuntimeException e) {
                // the proxy was killed under it: the last HSET is in doubt
            }
        }

        /** The hash holds its {@code fields} fields and the touched one, at its last acknowledged or in-doubt value. */
        void assertIntact(int ownerPort, int fields) {
            try (RawRedisClient client = new RawRedisClient(ownerPort)) {
                long a = acked.get();
                String hlen = client.call("HLEN", key);
                String touch = client.call("HGET", key, "touch");
                String expectedLen = ":" + (fields + (a >= 0 || inDoubt >= 0 ? 1 : 0)) + "\r\n";
                if (a < 0 && inDoubt >= 0) {
                    assertThat(hlen).as("HLEN of the big hash").isIn(":" + fields + "\r\n", expectedLen);
                } else {
                    assertThat(hlen).as("HLEN of the big hash").isEqualTo(expectedLen);
                }
                List<String> allowed = new ArrayList<>();
                if (a >= 0) {
                    allowed.add("$" + Long.toString(a).length() + "\r\n" + a + "\r\n");
                } else {
                    allowed.add("$-1\r\n");
                }
                if (inDoubt >= 0) {
                    allowed.add("$" + Long.toString(inDoubt).length() + "\r\n" + inDoubt + "\r\n");
                }
                assertThat(touch).as("the touched field of the big hash (last acknowledged %s, in doubt %s)", a, inDoubt)
                        .isIn(allowed);
            }
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                join(35_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
