package io.moonshard.proxy.internal.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.runtime.ProxyRuntime;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-loop counts summed at read time, and the series registered once first seen: in registries
 * bound before and after.
 */
class ProxyMetersTest {

    private static final int GET = CommandOutcome.indexOf(CommandTable.standard().lookup("get"));
    private static final int SET = CommandOutcome.indexOf(CommandTable.standard().lookup("set"));

    private final ProxyRuntime runtime = new ProxyRuntime(ProxyConfig.builder().address("127.0.0.1:0").build());
    private final ProxyMeters meters = runtime.meters();

    @Test
    void commandSeries_appearOnFirstUse_inEveryRegistry_withTheSumOverLoops() {
        MeterRegistry early = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(early);
        assertThat(early.find("moonshard.commands").meters()).isEmpty();

        LoopStats a = meters.newLoop();
        LoopStats b = meters.newLoop();
        for (int i = 0; i < 3; i++) {
            a.command(GET, CommandOutcome.OK);
        }
        b.command(GET, CommandOutcome.OK);
        b.command(GET, CommandOutcome.MOVED);
        b.command(SET, CommandOutcome.TIMEOUT);

        assertThat(count(early, "get", "ok")).isEqualTo(4);
        assertThat(count(early, "get", "moved")).isEqualTo(1);
        assertThat(count(early, "set", "timeout")).isEqualTo(1);
        assertThat(early.find("moonshard.commands").meters()).hasSize(3);

        // a registry bound later gets the series seen so far, then follows
        MeterRegistry late = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(late);
        assertThat(count(late, "get", "ok")).isEqualTo(4);
        a.command(SET, CommandOutcome.ERROR);
        assertThat(count(late, "set", "error")).isEqualTo(1);
        assertThat(count(early, "set", "error")).isEqualTo(1);
        assertThat(late.find("moonshard.commands").meters()).hasSize(4);

        assertThat(meters.outcomes(CommandOutcome.OK)).isEqualTo(4);
        assertThat(meters.outcomes(CommandOutcome.ERROR)).isEqualTo(1);
    }

    @Test
    void countsFromManyLoopThreads_addUp() throws InterruptedException {
        MeterRegistry registry = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(registry);
        int loops = 4;
        int perLoop = 100_000;
        CountDownLatch done = new CountDownLatch(loops);
        for (int t = 0; t < loops; t++) {
            LoopStats stats = meters.newLoop(); // one per thread, as one per event loop
            new Thread(() -> {
                for (int i = 0; i < perLoop; i++) {
                    stats.command(GET, CommandOutcome.OK);
                    stats.add(LoopStats.CLIENT_RECEIVED_BYTES, 10);
                    stats.commandLatency(100_000);
                }
                done.countDown();
            }).start();
        }
        done.await();
        assertThat(count(registry, "get", "ok")).isEqualTo(loops * perLoop);
        assertThat(registry.get("moonshard.client.received").functionCounter().count()).isEqualTo(loops * perLoop * 10.0);
        assertThat(registry.get("moonshard.command.duration").functionTimer().count()).isEqualTo(loops * perLoop);
    }

    @Test
    void backendConnections_byAddressAndState() {
        MeterRegistry registry = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(registry);
        ProxyMeters.BackendStats stats = meters.backend("10.0.0.1:6379");
        assertThat(meters.backend("10.0.0.1:6379")).isSameAs(stats);
        assertThat(connections(registry, "10.0.0.1:6379", "connected")).isZero();

        stats.transition(-1, ProxyMeters.BackendStats.CONNECTING);
        stats.transition(-1, ProxyMeters.BackendStats.CONNECTING);
        assertThat(connections(registry, "10.0.0.1:6379", "connecting")).isEqualTo(2);
        stats.transition(ProxyMeters.BackendStats.CONNECTING, ProxyMeters.BackendStats.CONNECTED);
        stats.transition(ProxyMeters.BackendStats.CONNECTING, ProxyMeters.BackendStats.BROKEN);
        stats.reconnect();
        assertThat(connections(registry, "10.0.0.1:6379", "connecting")).isZero();
        assertThat(connections(registry, "10.0.0.1:6379", "connected")).isEqualTo(1);
        assertThat(connections(registry, "10.0.0.1:6379", "broken")).isEqualTo(1);
        FunctionCounter reconnects = registry.get("moonshard.backend.reconnects").tag("address", "10.0.0.1:6379")
                .functionCounter();
        assertThat(reconnects.count()).isEqualTo(1);
        stats.transition(ProxyMeters.BackendStats.CONNECTED, -1); // closed
        assertThat(connections(registry, "10.0.0.1:6379", "connected")).isZero();

        MeterRegistry late = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(late);
        assertThat(connections(late, "10.0.0.1:6379", "broken")).isEqualTo(1);
        assertThat(meters.backendConnections(ProxyMeters.BackendStats.BROKEN)).isEqualTo(1);
        assertThat(meters.reconnects()).isEqualTo(1);
    }

    @Test
    void pendingAndBytes_sumOverLoops() {
        MeterRegistry registry = new SimpleMeterRegistry();
        runtime.meterBinder().bindTo(registry);
        LoopStats a = meters.newLoop();
        LoopStats b = meters.newLoop();
        a.add(LoopStats.PENDING, 3);
        b.add(LoopStats.PENDING, 2);
        a.add(LoopStats.PENDING, -1);
        b.add(LoopStats.BACKEND_SENT_BYTES, 100);
        a.add(LoopStats.BACKEND_SENT_BYTES, 20);
        assertThat(registry.get("moonshard.pending.commands").gauge().value()).isEqualTo(4);
        assertThat(registry.get("moonshard.backend.sent").functionCounter().count()).isEqualTo(120);
        assertThat(registry.get("moonshard.backend.sent").functionCounter().getId().getBaseUnit()).isEqualTo("bytes");
    }

    private static double count(MeterRegistry registry, String command, String outcome) {
        return registry.get("moonshard.commands").tag("command", command).tag("outcome", outcome)
                .functionCounter().count();
    }

    private static double connections(MeterRegistry registry, String address, String state) {
        Gauge gauge = registry.get("moonshard.backend.connections").tag("address", address).tag("state", state).gauge();
        return gauge.value();
    }
}
