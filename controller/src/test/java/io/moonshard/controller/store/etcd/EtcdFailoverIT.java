package io.moonshard.controller.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import io.moonshard.testkit.EtcdCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EtcdStore} through failures of a real 3-member etcd: the Raft leader killed, the quorum lost and
 * regained. Each test has a cluster of its own.
 *
 * <p>How soon writes work again after the leader's death is mostly etcd's election: the followers wait
 * a randomized 1-2 election timeouts before they vote, and a split vote costs another round. With
 * etcd's defaults (heartbeat 100 ms, election timeout 1 s) that measured 1.1-1.7 s usually and 2.9 s
 * once in eight runs; with a LAN setting (50 ms, 500 ms) 0.5-1.4 s. The 2 s bound is checked on the
 * LAN setting, and a looser one (one split vote more) on the defaults.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdFailoverIT {

    /** The brief's bound: writes work again within 2 s of the etcd leader's kill -9 (LAN timing). */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(2);
    /** With etcd's default timing: two election rounds of at most 2 s. */
    private static final Duration DEFAULT_TIMING_BOUND = Duration.ofSeconds(4);
    private static final String[] LAN_TIMING = {"--heartbeat-interval", "50", "--election-timeout", "500"};
    /** What docs/controller.md says to run: LAN timing and pre-vote. */
    private static final String[] RECOMMENDED = {"--heartbeat-interval", "50", "--election-timeout", "500", "--pre-vote"};
    private static final Duration TIMEOUT = EtcdStore.DEFAULT_TIMEOUT;

    @TempDir
    Path dir;

    private EtcdCluster etcd;
    private EtcdStore store;

    private void startEtcd(String... timing) {
        etcd = EtcdCluster.start(3, dir, timing);
        store = EtcdStore.connect(etcd.clientEndpoints(), TIMEOUT);
        EtcdStoreIT.awaitConnected(store);
    }

    @AfterEach
    void stop() {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private boolean tryPut(String key, String value, List<String> failures) {
        try {
            TxnResult r = store.commit(StoreTxn.builder().put(key, utf8(value)).build());
            return r.succeeded();
        } catch (StoreException e) {
            failures.add(e.getMessage());
            return false;
        }
    }

    /**
     * Kills the Raft leader and measures when a put through the store succeeds again. For about an
     * election timeout the followers still forward writes to the dead leader, and such a write waits
     * its full request timeout; a caller retrying one write at a time therefore sees recovery only in
     * steps of the timeout. Puts are started every 50 ms (each bounded by the timeout, as the
     * controller's loops and API requests would retry side by side), so the first success shows when
     * the store can take writes again; the sequential caller's time is printed too.
     */
    @Test
    void writesWorkAgainWithin2sAfterTheLeaderMemberIsKilled() throws Exception {
        startEtcd(LAN_TIMING);
        leaderKilled("LAN timing", RECOVERY_BOUND);
    }

    @Test
    void writesWorkAgainAfterTheLeaderMemberIsKilledWithDefaultTiming() throws Exception {
        startEtcd();
        leaderKilled("default timing", DEFAULT_TIMING_BOUND);
    }

    private void leaderKilled(String timing, Duration bound) throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(tryPut("/failover/warm" + i, "x", new ArrayList<>())).isTrue();
        }
        int leader = etcd.awaitLeader(Duration.ofSeconds(10));

        ExecutorService attempts = Executors.newCachedThreadPool();
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicLong firstSuccessAt = new AtomicLong();
        AtomicLong sequentialSuccessAt = new AtomicLong();
        AtomicInteger started = new AtomicInteger();
        long killedAt;
        try {
            killedAt = System.nanoTime();
            etcd.kill9(leader);
            // one caller that retries a single write at a time
            attempts.execute(() -> {
                while (sequentialSuccessAt.get() == 0 && System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(15)) {
                    if (tryPut("/failover/sequential", "written", new ArrayList<>())) {
                        sequentialSuccessAt.set(System.nanoTime());
                    }
                }
            });
            await().atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        int n = started.incrementAndGet();
                        attempts.execute(() -> {
                            if (tryPut("/failover/after", "attempt " + n, failures)) {
                                firstSuccessAt.compareAndSet(0, System.nanoTime());
                            }
                        });
                        return firstSuccessAt.get() != 0;
                    });
            await().atMost(Duration.ofSeconds(15)).until(() -> sequentialSuccessAt.get() != 0);
        } finally {
            attempts.shutdown();
            assertThat(attempts.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
        long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(firstSuccessAt.get() - killedAt);
        long sequentialMillis = TimeUnit.NANOSECONDS.toMillis(sequentialSuccessAt.get() - killedAt);
        int newLeader = etcd.awaitLeader(Duration.ofSeconds(5));
        System.out.printf("ETCD-FAILOVER (" + timing + ") a put succeeded %d ms after the etcd leader (m%d) was killed (%d puts"
                + " started, %d failed); a caller retrying one put at a time succeeded after %d ms; new leader m%d%n",
                recoveredMillis, leader, started.get(), failures.size(), sequentialMillis, newLeader);

        assertThat(store.get("/failover/after")).isPresent();
        assertThat(newLeader).isNotEqualTo(leader);
        assertThat(recoveredMillis).as("ms until a put succeeded again").isLessThanOrEqualTo(bound.toMillis());
        assertThat(sequentialMillis).as("a sequential caller waits at most one more timeout")
                .isLessThanOrEqualTo(bound.plus(TIMEOUT).toMillis());

        // the killed member comes back on its data and catches up
        etcd.restart(leader);
        assertThat(etcd.member(leader).isHealthy()).isTrue();
    }

    @Test
    void withoutAQuorumCallsFailWithinTheTimeoutAndRecoverByThemselves() {
        startEtcd();
        assertThat(tryPut("/quorum/before", "x", new ArrayList<>())).isTrue();
        int leader = etcd.awaitLeader(Duration.ofSeconds(10));
        int follower = (leader + 1) % 3;
        int survivor = (leader + 2) % 3;
        etcd.kill9(leader);
        etcd.kill9(follower);

        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            int n = i;
            assertThatThrownBy(() -> store.commit(StoreTxn.builder().put("/quorum/lost" + n, utf8("x")).build()))
                    .isInstanceOf(StoreException.class);
            long commitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            t0 = System.nanoTime();
            assertThatThrownBy(() -> store.get("/quorum/before")).as("linearizable reads need the quorum too")
                    .isInstanceOf(StoreException.class);
            long getMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.printf("ETCD-NO-QUORUM commit failed after %d ms, get after %d ms (timeout %d ms)%n",
                    commitMillis, getMillis, TIMEOUT.toMillis());
            // the timeout, and the little it takes to notice it
            assertThat(commitMillis).isLessThanOrEqualTo(TIMEOUT.toMillis() + 250);
            assertThat(getMillis).isLessThanOrEqualTo(TIMEOUT.toMillis() + 250);
        }

        long restartedAt = System.nanoTime();
        etcd.restartNoWait(follower);
        List<String> failures = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> tryPut("/quorum/back", "x", failures));
        System.out.printf("ETCD-QUORUM-BACK the same store wrote again %d ms after m%d restarted (%d failures)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt), follower, failures.size());
        assertThat(store.get("/quorum/before")).isPresent();
        assertThat(store.get("/quorum/lost0")).as("a failed commit wrote nothing").isEmpty();
        etcd.awaitHealthy(survivor, Duration.ofSeconds(10));
        etcd.restart(leader);
        assertThat(store.list("/quorum/").items()).hasSize(2);
    }

    /**
     * Quorum lost (2 of 3 members killed) and back, as in ControllerChaosIT's quorum trials. Without
     * pre-vote the member left alone campaigns at every election timeout and raises its term each time;
     * when the other two return and elect a leader, the survivor's higher term makes that leader step
     * down and the members elect again, several times over while the survivor's log is behind (seen in 9
     * of 20 trials: the controller led again 1.35-2.6 s after the restart instead of 0.1-0.3 s). With pre-vote a
     * member first asks whether it could win and raises its term only then, so the survivor's term stays
     * where it was. Checked directly (the survivor's log), and by when a put succeeds once the two are back.
     */
    @Test
    void withPreVoteALoneSurvivorKeepsItsTermAndTheReturningQuorumWritesAtOnce() {
        startEtcd(RECOMMENDED);
        assertThat(tryPut("/prevote/before", "x", new ArrayList<>())).isTrue();
        for (int round = 0; round < 2; round++) {
            int leader = etcd.awaitLeader(Duration.ofSeconds(10));
            int follower = (leader + 1) % 3;
            int survivor = (leader + 2) % 3;
            long candidaciesBefore = candidacies(survivor);
            etcd.kill9(leader);
            etcd.kill9(follower);
            // alone for four election timeouts: without pre-vote it would have campaigned, and raised its term, each
            // time; watched all along (the assertion below then says how many times, should it have)
            long before = candidaciesBefore;
            try {
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> candidacies(survivor) == before);
            } catch (org.awaitility.core.ConditionTimeoutException campaigned) {
                // reported by the assertion
            }
            assertThat(candidacies(survivor)).as("times the lone survivor raised its term to campaign")
                    .isEqualTo(candidaciesBefore);

            long restartedAt = System.nanoTime();
            etcd.restartNoWait(leader);
            etcd.restartNoWait(follower);
            List<String> failures = new ArrayList<>();
            int n = round;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> tryPut("/prevote/back" + n, "x", failures));
            long backMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
            System.out.printf("ETCD-PRE-VOTE round %d: the store wrote again %d ms after m%d and m%d restarted (%d failures)%n",
                    round, backMillis, leader, follower, failures.size());
            assertThat(backMillis).isLessThanOrEqualTo(RECOVERY_BOUND.toMillis());
            for (int m = 0; m < 3; m++) {
                etcd.awaitHealthy(m, Duration.ofSeconds(10));
            }
        }
    }

    /**
     * How many times member {@code index} has become a candidate, that is raised its term to campaign,
     * from its log (its status reports the term of the last applied entry, which a lone candidate does
     * not change). A pre-vote round logs "became pre-candidate" and raises nothing.
     */
    private long candidacies(int index) {
        try {
            return Files.readAllLines(etcd.member(index).logFile(), StandardCharsets.UTF_8).stream()
                    .filter(line -> line.contains("became candidate at term")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A SIGSTOPped member keeps its TCP connection open and answers nothing: calls that go to it time
     * out until gRPC's keepalive ping (10 s without traffic, 3 s for the answer) drops the connection;
     * after that the client stops picking it.
     */
    @Test
    void aFrozenMemberIsAvoidedOnceTheKeepaliveGivesUpOnIt() {
        startEtcd();
        int follower = (etcd.awaitLeader(Duration.ofSeconds(10)) + 1) % 3;
        long frozenAt = System.nanoTime();
        etcd.sigstop(follower);
        try {
            AtomicInteger inARow = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            List<String> failures = new ArrayList<>();
            // the calls are spread over the members in turn: ten successes in a row means the frozen one is out
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        if (tryPut("/frozen/k", "v", failures)) {
                            return inARow.incrementAndGet() >= 10;
                        }
                        failed.incrementAndGet();
                        inARow.set(0);
                        return false;
                    });
            long stableMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
            System.out.printf("ETCD-FROZEN-MEMBER calls stopped going to the SIGSTOPped m%d after %d ms (%d timed out)%n",
                    follower, stableMillis, failed.get());
            assertThat(failed.get()).as("calls picked the frozen member before it was dropped").isPositive();
            assertThat(stableMillis).isLessThanOrEqualTo(20_000);
        } finally {
            etcd.sigcont(follower);
        }
        etcd.awaitHealthy(follower, Duration.ofSeconds(10));
    }
}
