package io.moonshard.controller.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.etcd.EtcdStore;
import io.moonshard.testkit.EtcdCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LeaderElection} on a real 3-member etcd, with candidates in this JVM and in child JVMs that the
 * test kills with SIGKILL, as a crashed controller would die. TTL 2 s, etcd's smallest with its default
 * election timeout.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ElectionIT {

    private static final Duration TTL = Duration.ofSeconds(2);
    /**
     * A standby without a probe ({@link LeaderProbe#NEVER}) waits for the dead leader's lease: it leads
     * within 2.5 s of the kill -9 (TTL + etcd's 0.5 s expiry tick). With the probe it is about 0.4 s
     * (LeaderDeathIT).
     */
    private static final Duration TAKEOVER_BOUND = Duration.ofMillis(2500);
    private static final Duration CHILD_START = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static EtcdCluster etcd;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(3, dir);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        // elections before their stores, children last; in reverse order of creation
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private EtcdStore store() {
        EtcdStore s = closing(EtcdStore.connect(etcd.clientEndpoints()));
        long t0 = System.nanoTime();
        // a cold client's first call can exceed the 1 s timeout on a busy machine (it then fails, as any may)
        await().atMost(Duration.ofSeconds(30)).ignoreException(StoreException.class).until(() -> s.revision() > 0);
        System.out.printf("ETCD-CONNECT first answer after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return s;
    }

    private static String key(TestInfo test) {
        return "/moonshard-it/" + test.getTestMethod().orElseThrow().getName() + "/leader";
    }

    private ChildCandidate child(String key, String id) {
        return closing(ChildCandidate.start(etcd.endpointsFlag(), key, id, TTL, dir.resolve(id + ".log")));
    }

    /** An in-JVM candidate whose terms are recorded with the nanoTime they started. */
    private static final class Recorder {
        final List<Leadership> terms = new CopyOnWriteArrayList<>();
        final List<Long> electedAt = new CopyOnWriteArrayList<>();

        void elected(Leadership term) {
            electedAt.add(System.nanoTime());
            terms.add(term);
        }
    }

    @Test
    void aStandbyLeadsWithinTheBoundAfterTheLeaderIsKilled(TestInfo test) {
        String key = key(test);
        EtcdStore store = store();
        ChildCandidate a = child(key, "a");
        long tokenA = a.awaitElected(0, CHILD_START);
        assertThat(LeaderElection.currentLeader(store, key)).hasValueSatisfying(info -> {
            assertThat(info.candidate().id()).isEqualTo("a");
            assertThat(info.candidate().address()).isEqualTo("http://a.invalid:8080");
            assertThat(info.token()).isEqualTo(tokenA);
        });

        Recorder b = new Recorder();
        LeaderElection electionB = closing(new LeaderElection(store, key, new Candidate("b", "http://b:1"), TTL));
        electionB.start(b::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> electionB.state() == LeaderElection.State.STANDBY);
        assertThat(electionB.leadership()).as("one leader at a time").isEmpty();
        assertThat(electionB.currentLeader().orElseThrow().candidate().id()).isEqualTo("a");

        long killedAt = System.nanoTime();
        a.kill9();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !b.terms.isEmpty());
        long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(b.electedAt.get(0) - killedAt);
        System.out.printf("ELECTION-TAKEOVER standby led %d ms after the leader's kill -9 (TTL %d ms, bound %d ms)%n",
                takeoverMillis, TTL.toMillis(), TAKEOVER_BOUND.toMillis());

        Leadership termB = b.terms.get(0);
        assertThat(termB.isLeader()).isTrue();
        assertThat(termB.token()).as("fencing tokens grow").isGreaterThan(tokenA);
        assertThat(electionB.currentLeader().orElseThrow()).isEqualTo(new LeaderInfo(new Candidate("b", "http://b:1"),
                termB.token()));
        assertThat(takeoverMillis).as("takeover after kill -9, ms").isLessThanOrEqualTo(TAKEOVER_BOUND.toMillis());
        // nothing left of the dead leader's term: it was not even a candidate any more
        assertThat(a.lines()).noneMatch(l -> l.startsWith("LOST"));
    }

    @Test
    void tokensStrictlyIncreaseFromTermToTerm(TestInfo test) throws Exception {
        String key = key(test);
        EtcdStore store = store();
        Recorder b = new Recorder();
        LeaderElection electionB = closing(new LeaderElection(store, key, new Candidate("b", ""), TTL));
        electionB.start(b::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> b.terms.size() == 1);
        long t1 = b.terms.get(0).token();

        ChildCandidate c = child(key, "c");
        c.awaitLine("STATE STANDBY", 0, CHILD_START);

        Leadership first = b.terms.get(0);
        first.resign().get(10, TimeUnit.SECONDS);
        assertThat(first.isLeader()).isFalse();
        assertThat(first.lost()).isCompletedWithValue("resigned");
        long t2 = c.awaitElected(0, Duration.ofSeconds(10));

        // c resigns as it exits; b, a standby again after its pause, takes the next term
        await().atMost(Duration.ofSeconds(10)).until(() -> electionB.state() == LeaderElection.State.STANDBY);
        c.stopGracefully(Duration.ofSeconds(15));
        assertThat(c.lines()).contains("LOST " + t2 + " resigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> b.terms.size() == 2);
        long t3 = b.terms.get(1).token();

        System.out.printf("ELECTION-TOKENS %d < %d < %d%n", t1, t2, t3);
        assertThat(t2).isGreaterThan(t1);
        assertThat(t3).isGreaterThan(t2);
        assertThat(b.terms.get(1).isLeader()).isTrue();
    }

    @Test
    void theOldLeaderStopsBeforeTheNewOneStarts(TestInfo test) {
        String key = key(test);
        EtcdStore storeA = store();
        EtcdStore storeB = store();
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        LeaderElection electionA = closing(new LeaderElection(storeA, key, new Candidate("a", ""), TTL));
        electionA.start(a::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.terms.size() == 1);
        LeaderElection electionB = closing(new LeaderElection(storeB, key, new Candidate("b", ""), TTL));
        electionB.start(b::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> electionB.state() == LeaderElection.State.STANDBY);

        Leadership termA = a.terms.get(0);
        AtomicLong lostAt = new AtomicLong();
        AtomicReference<String> lostWhy = new AtomicReference<>();
        termA.lost().thenAccept(why -> {
            lostAt.set(System.nanoTime());
            lostWhy.set(why);
            electionA.close(); // a dead process does not campaign again (on A's thread: returns at once)
        });
        long halted = System.nanoTime();
        storeA.abandonLeases(); // A's keepalives stop without a revoke: its process is as good as dead

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !b.terms.isEmpty());
        long validUntilA = termA.validUntilNanos();
        long electedB = b.electedAt.get(0);
        System.out.printf("ELECTION-HANDOVER A's validity ended %d ms after its keepalives stopped, B led %d ms"
                + " after that (A lost: %s)%n", TimeUnit.NANOSECONDS.toMillis(validUntilA - halted),
                TimeUnit.NANOSECONDS.toMillis(electedB - validUntilA), lostWhy.get());
        assertThat(electedB - validUntilA).as("B's term starts after A's validity ended").isGreaterThan(0);
        assertThat(termA.isLeader()).isFalse();
        assertThat(lostAt.get()).as("A was told it lost").isNotZero();
        assertThat(b.terms.get(0).token()).isGreaterThan(termA.token());
    }

    @Test
    void aDeletedLeaderKeyEndsTheTermAndTheCandidateRunsAgain(TestInfo test) {
        String key = key(test);
        EtcdStore store = store();
        Recorder a = new Recorder();
        LeaderElection election = closing(new LeaderElection(store, key, new Candidate("a", ""), TTL));
        election.start(a::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.terms.size() == 1);
        Leadership first = a.terms.get(0);
        assertThat(election.leadership()).containsSame(first);

        // an operator removes the key by hand
        assertThat(store.commit(StoreTxn.builder().delete(key).build()).succeeded()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> first.lost().isDone());
        assertThat(first.lost().join()).isEqualTo("the leader key was deleted");
        assertThat(first.isLeader()).isFalse();

        await().atMost(Duration.ofSeconds(10)).until(() -> a.terms.size() == 2);
        assertThat(a.terms.get(1).token()).isGreaterThan(first.token());
        assertThat(election.leadership()).containsSame(a.terms.get(1));
    }

    @Test
    void aTermSurvivesTheLossOfAnEtcdFollower(TestInfo test) {
        String key = key(test);
        EtcdStore store = store();
        Recorder a = new Recorder();
        LeaderElection election = closing(new LeaderElection(store, key, new Candidate("a", ""), TTL));
        election.start(a::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.terms.size() == 1);
        Leadership term = a.terms.get(0);

        int follower = (etcd.awaitLeader(Duration.ofSeconds(10)) + 1) % 3;
        etcd.kill9(follower);
        try {
            // keepalives that went to the dead member fail at once and the next ones go elsewhere
            await().during(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(3)).until(term::isLeader);
        } finally {
            etcd.restart(follower);
        }
        assertThat(a.terms).containsExactly(term);
        assertThat(term.lost()).isNotDone();
    }

    @Test
    void closingTheLeaderReleasesTheKeyAtOnce(TestInfo test) {
        String key = key(test);
        EtcdStore store = store();
        Recorder a = new Recorder();
        LeaderElection election = new LeaderElection(store, key, new Candidate("a", ""), TTL);
        election.start(a::elected);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.terms.size() == 1);
        election.close();
        assertThat(a.terms.get(0).isLeader()).isFalse();
        assertThat(election.state()).isEqualTo(LeaderElection.State.CLOSED);
        assertThat(election.currentLeader()).as("resigned on close, not left to the TTL").isEmpty();
    }
}
