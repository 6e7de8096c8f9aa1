package io.moonshard.controller.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.proxyclient.ProxyProbe;
import io.moonshard.controller.proxyclient.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProberFoldTest {

    private static InfoReplEntry master(String node, String state) {
        return new InfoReplEntry(true, "c", node, List.of(), state, 100, null);
    }

    private static ProxyProbe answered(long sent, Reply lease, InfoReplEntry... entries) {
        return new ProxyProbe("p:1", true, 7, List.of(entries), lease, lease != null, sent, sent + 5, null);
    }

    @Test
    void aRenewalCountsFromWhenItsAnswerCameBack() {
        Observation o = Prober.fold(null, answered(1_000, new Reply(Reply.Outcome.OK, "OK")));
        assertThat(o.leaseAckNanos()).isEqualTo(1_005);
        Observation refused = Prober.fold(o, answered(2_000, new Reply(Reply.Outcome.REFUSED, "ERR stale lease token")));
        assertThat(refused.leaseAckNanos()).as("a refused renewal extends nothing").isEqualTo(1_005);
        Observation none = Prober.fold(refused, answered(3_000, null));
        assertThat(none.leaseAckNanos()).isEqualTo(1_005);
    }

    @Test
    void aMasterReportedDownKeepsTheTimeItWasFirstSeenDown() {
        Observation first = Prober.fold(null, answered(1_000, null, master("n1", "down"), master("n2", "master")));
        Observation second = Prober.fold(first, answered(2_000, null, master("n1", "down"), master("n2", "master")));
        assertThat(second.masterDownNanos("n1", 2_500)).isEqualTo(1_500);
        assertThat(second.masterDownNanos("n2", 2_500)).isZero();
        Observation back = Prober.fold(second, answered(3_000, null, master("n1", "master")));
        assertThat(back.masterDownNanos("n1", 3_500)).isZero();
    }

    @Test
    void silenceIsTimedFromTheFirstUnansweredProbeAndForgetsNothingSeen() {
        Observation seen = Prober.fold(null, answered(1_000, new Reply(Reply.Outcome.OK, "OK"), master("n1", "down")));
        Observation silent = Prober.fold(seen, new ProxyProbe("p:1", false, -1, List.of(), null, true, 2_000, 2_300, "timeout"));
        Observation still = Prober.fold(silent, new ProxyProbe("p:1", false, -1, List.of(), null, false, 3_000, 3_300, "timeout"));
        assertThat(still.reachable()).isFalse();
        assertThat(still.unreachableSinceNanos()).isEqualTo(2_000);
        assertThat(still.leaseAckNanos()).isEqualTo(1_005);
        assertThat(still.leaseSentNanos()).as("the unanswered renewal sent at 2000 may still be read").isEqualTo(2_000);
        assertThat(still.masterDownSinceNanos()).containsKey("n1");
        assertThat(still.replicaOffset("n1")).isEqualTo(-1);
    }

    @Test
    void refusedConnectionsAreTimedSeparatelyAndATimeoutEndsTheStreak() {
        Observation seen = Prober.fold(null, answered(1_000, null));
        Observation refused = Prober.fold(seen, new ProxyProbe("p:1", false, -1, List.of(), null, false, 2_000, 2_001,
                "Connection refused"));
        Observation again = Prober.fold(refused, new ProxyProbe("p:1", false, -1, List.of(), null, false, 2_100, 2_101,
                "Connection refused"));
        assertThat(again.refusedSinceNanos()).isEqualTo(2_000);
        Observation timedOut = Prober.fold(again, new ProxyProbe("p:1", false, -1, List.of(), null, false, 2_200, 2_700,
                "Read timed out"));
        assertThat(timedOut.refusedSinceNanos()).as("a process that answers the handshake may be alive").isZero();
        assertThat(timedOut.unreachableSinceNanos()).isEqualTo(2_000);
    }
}
