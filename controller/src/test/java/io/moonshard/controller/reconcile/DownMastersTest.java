package io.moonshard.controller.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.proxyclient.ProxyProbe;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DownMastersTest {

    private static final String A = "127.0.0.1:6001";
    private static final String C = "127.0.0.3:6001";
    private static final NodeRef SERVING = new NodeRef(A, "127.0.0.1:7001");
    /** The master of a shard a scale-out just added: it owns nothing until its move commits. */
    private static final NodeRef SEEDING = new NodeRef(C, "127.0.0.3:7001");
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private static ClusterRecord grown() {
        return new ClusterRecord(new ClusterSpec("grow", 2, 0, null), List.of(
                new Shard(0, SERVING, List.of(), List.of("0-16383")),
                new Shard(1, SEEDING, List.of(), List.of())), List.of(), List.of(), List.of(A, C));
    }

    /** Both proxies answer, and each reports its master node down since {@code since}. */
    private static Map<String, Observation> bothDownSince(long since) {
        return Map.of(A, downAt(A, SERVING.node(), since), C, downAt(C, SEEDING.node(), since));
    }

    private static Observation downAt(String proxy, String node, long since) {
        InfoReplEntry down = new InfoReplEntry(true, "grow", node, List.of(), "down", 0, null);
        ProxyProbe probe = new ProxyProbe(proxy, true, 7, List.of(down), null, false, since, since + 1, null);
        return new Observation(probe, 0, 0, 0, 0, Map.of(node, since));
    }

    @Test
    void aMasterServingSlotsIsDownAfterRedisDownMs_oneOwningNoneOnlyAfterTheLongerGrace() {
        ControllerSettings settings = ControllerSettings.defaults();
        assertThat(settings.redisDownAfter()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.slotlessMasterDownAfter()).isEqualTo(Duration.ofSeconds(30));
        long since = 1_000 * SECOND;

        assertThat(Reconciler.downMasters(grown(), bothDownSince(since), since + SECOND / 4, settings)).isEmpty();
        assertThat(Reconciler.downMasters(grown(), bothDownSince(since), since + SECOND, settings))
                .as("1 s down: the serving master is failed over, the seeding one is left to load")
                .containsExactly(SERVING);
        assertThat(Reconciler.downMasters(grown(), bothDownSince(since), since + 29 * SECOND, settings))
                .containsExactly(SERVING);
        assertThat(Reconciler.downMasters(grown(), bothDownSince(since), since + 30 * SECOND, settings))
                .as("a slotless master that stays down is failed over in the end")
                .containsExactly(SERVING, SEEDING);
    }

    @Test
    void onceTheNewShardOwnsSlots_itsMasterGetsTheShortDeadline() {
        ClusterRecord committed = grown().withShards(List.of(
                new Shard(0, SERVING, List.of(), List.of("0-8191")),
                new Shard(1, SEEDING, List.of(), List.of("8192-16383"))));
        long since = 1_000 * SECOND;
        assertThat(Reconciler.downMasters(committed, bothDownSince(since), since + SECOND, ControllerSettings.defaults()))
                .containsExactly(SERVING, SEEDING);
    }

    @Test
    void anUnreachableProxysReportIsNotEvidence() {
        Observation silent = new Observation(new ProxyProbe(A, false, -1, List.of(), null, false, 1, 2, "timeout"),
                0, 0, 1, 0, Map.of(SERVING.node(), 0L));
        assertThat(Reconciler.downMasters(grown(), Map.of(A, silent), 100 * SECOND, ControllerSettings.defaults())).isEmpty();
    }
}
