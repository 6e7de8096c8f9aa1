package io.moonshard.proxy.internal.runtime;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.moonshard.proxy.internal.command.ProxyContext;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.proxy.internal.metrics.LoopStats;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Publishes the proxy's counters to a Micrometer registry of the embedder's choice. Every meter is a
 * function counter, a function timer or a gauge that reads, at scrape time, a value the proxy keeps
 * anyway (the {@link ProxyMetrics} adders, the per-loop {@link LoopStats} summed by {@link ProxyMeters},
 * the client registry, the cluster snapshot), so binding adds no work to the command path. Before
 * {@link ProxyRuntime#start()} every meter reads 0; after {@code close()} the last values stay.
 *
 * <p>Tags are bounded: {@code moonshard.commands} has {@code command} (a top-level command of the
 * table, {@code umctl} or {@code unknown}) and {@code outcome} (7 values); the backend meters have the
 * backend {@code address} (and {@code state}, 3 values). Those series appear once first used (see
 * {@link ProxyMeters}). Names follow Prometheus conventions once a Prometheus registry renders them:
 * {@code moonshard.commands} becomes {@code moonshard_commands_total}.
 *
 * <p>The latency histograms are bound as function timers (count and total time, portable to every
 * registry). Their buckets are kept per loop and read with {@link ProxyRuntime#latencyHistograms()}:
 * Micrometer can render a Prometheus histogram only from its own timers, which record every duration
 * into shared atomic bucket counters (and a time-windowed max), a contended write per command on every
 * loop; and a hand-made {@code _bucket} series is not possible either, as Micrometer's Prometheus naming
 * strips that suffix. So a Prometheus exporter renders the snapshots itself (proxy-server's admin endpoint
 * does, in place of these two timers).
 */
final class ProxyMeterBinder implements MeterBinder {

    private final ProxyRuntime runtime;

    ProxyMeterBinder(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "moonshard.backend.requests",
                "Commands forwarded to a backend Redis",
                c -> c.metrics().backendRequests());
        counter(registry, "moonshard.backend.errors",
                "Backend failures that failed a command (connect errors, timeouts, closed connections)",
                c -> c.metrics().backendErrors());
        counter(registry, "moonshard.redirections",
                "MOVED and ASK redirections answered to clients",
                c -> c.metrics().redirections());
        counter(registry, "moonshard.error.replies",
                "Commands the proxy itself refused with an error reply (unknown command, wrong arity, ...)",
                c -> c.metrics().errorReplies());
        counter(registry, "moonshard.write.ack.waits",
                "WAITs sent after batches holding a write (write_ack replica), one per batch",
                c -> c.metrics().writeAckWaits());
        counter(registry, "moonshard.write.ack.confirmed",
                "Writes answered after a replica confirmed them (write_ack replica)",
                c -> c.metrics().writesConfirmed());
        counter(registry, "moonshard.write.ack.unconfirmed",
                "Writes answered NOTREPLICATED: applied on the master, not confirmed by a replica in time",
                c -> c.metrics().writesNotConfirmed());
        counter(registry, "moonshard.client.connections.accepted",
                "Client connections accepted",
                c -> c.clients().totalConnections());
        counter(registry, "moonshard.client.connections.rejected",
                "Client connections refused because max_clients were connected",
                c -> c.metrics().rejectedClients());
        counter(registry, "moonshard.setcluster.applied",
                "UMCTL SETCLUSTER commands applied (initial_setcluster included)",
                c -> c.cluster().appliedCount());
        gauge(registry, "moonshard.client.connections",
                "Client connections open now",
                c -> c.clients().connected());
        gauge(registry, "moonshard.cluster.epoch",
                "Epoch of the cluster metadata the proxy holds (0 before the first SETCLUSTER)",
                ProxyContext::clusterEpoch);
        gauge(registry, "moonshard.backend.dedicated.connections",
                "Backend connections a client holds for itself (blocking commands, WATCH, pub/sub)",
                ProxyContext::dedicatedConnectionCount);
        gauge(registry, "moonshard.migration.tasks.migrating",
                "Slot migration tasks this proxy runs as the source (copying, fenced, flipped or trimming)",
                c -> c.migration().taskCounts()[0]);
        gauge(registry, "moonshard.migration.tasks.importing",
                "Slot migration tasks this proxy runs as the destination",
                c -> c.migration().taskCounts()[1]);
        counter(registry, "moonshard.migration.keys.copied",
                "Keys this proxy copied to a destination (dirty keys copied again count again)",
                c -> c.migration().totals().keysCopied());
        counter(registry, "moonshard.migration.bytes.copied",
                "Value bytes this proxy copied to a destination",
                c -> c.migration().totals().bytesCopied());
        counter(registry, "moonshard.migration.keys.trimmed",
                "Moved keys deleted at this proxy's Redis after the flip",
                c -> c.migration().totals().keysTrimmed());
        counter(registry, "moonshard.migration.flips",
                "Moves whose ownership flipped to the destination",
                c -> c.migration().totals().flips());
        counter(registry, "moonshard.migration.fences.refused",
                "Fence attempts the destination refused (timeouts included); the source served again",
                c -> c.migration().totals().refusedFences());
        counter(registry, "moonshard.migration.aborted",
                "Migration tasks aborted (ownership unchanged)",
                c -> c.migration().totals().aborted());
        gauge(registry, "moonshard.migration.last.fence.microseconds",
                "How long the last fence held the moving slots, in microseconds",
                c -> c.migration().totals().lastFenceMicros());
        gauge(registry, "moonshard.blocked.clients",
                "Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT, ...)",
                c -> c.blockedClients().get());
        gauge(registry, "moonshard.lease.fenced",
                "1 while the controller's lease (UMCTL LEASE) has run out and no slot is served, else 0",
                c -> c.cluster().lease().isFenced() ? 1 : 0);
        gauge(registry, "moonshard.lease.remaining.ms",
                "Milliseconds until the controller's lease runs out: 0 once fenced, -1 while no lease is held",
                c -> c.cluster().lease().remainingMillis());
        counter(registry, "moonshard.lease.renewals",
                "UMCTL LEASE commands that granted time (answered +OK with a ttl above 0)",
                c -> c.cluster().lease().renewals());
        Gauge.builder("moonshard.ready", runtime, r -> r.isReady() ? 1 : 0)
                .description("1 while the proxy is ready by UMCTL READY's rule (holds metadata, serves some slots, lease not run out), else 0")
                .strongReference(true)
                .register(registry);

        ProxyMeters meters = runtime.meters();
        bytes(registry, meters, "moonshard.client.received", "Bytes of requests received from clients",
                LoopStats.CLIENT_RECEIVED_BYTES);
        bytes(registry, meters, "moonshard.client.sent", "Bytes of replies sent to clients",
                LoopStats.CLIENT_SENT_BYTES);
        bytes(registry, meters, "moonshard.backend.received", "Bytes of replies received from backends",
                LoopStats.BACKEND_RECEIVED_BYTES);
        bytes(registry, meters, "moonshard.backend.sent", "Bytes of requests sent to backends",
                LoopStats.BACKEND_SENT_BYTES);
        Gauge.builder("moonshard.pending.commands", meters, m -> m.total(LoopStats.PENDING))
                .description("Commands received and not yet answered, over every client")
                .strongReference(true)
                .register(registry);
        timer(registry, meters, ProxyMeters.COMMAND_DURATION, ProxyMeters.COMMAND_DURATION_HELP,
                LoopStats.COMMAND_LATENCY);
        timer(registry, meters, ProxyMeters.BACKEND_DURATION, ProxyMeters.BACKEND_DURATION_HELP,
                LoopStats.BACKEND_LATENCY);
        counter(registry, "moonshard.replication.promotions",
                "Local replicas promoted (UMCTL PROMOTE, or the new side of a switchover)",
                c -> c.replication().promotions());
        counter(registry, "moonshard.replication.switchovers",
                "Local masters handed over to their replica with FAILOVER (UMCTL SWITCHOVER)",
                c -> c.replication().switchovers());
        gauge(registry, "moonshard.replication.last.switchover.pause.microseconds",
                "How long the last switchover held its shard's commands, in microseconds (-1 before any)",
                c -> c.replication().lastSwitchoverPauseMicros());
        String[] steps = {"barrier", "catchup", "failover", "peer"};
        String[] stepHelp = {"the event loops' barrier before FAILOVER",
                "waiting for the replica to have applied all of the master's stream before FAILOVER",
                "Redis's FAILOVER TO, to the replica's promotion", "telling the new master's proxy (UMCTL PROMOTED)"};
        for (int i = 0; i < steps.length; i++) {
            int step = i;
            gauge(registry, "moonshard.replication.last.switchover." + steps[i] + ".microseconds",
                    "The last switchover's time in " + stepHelp[i] + ", in microseconds (-1 before any)",
                    c -> c.replication().lastSwitchoverSteps()[step]);
        }
        gauge(registry, "moonshard.replication.last.switchover.caught.up",
                "1 when the last switchover found the replica caught up and forced FAILOVER at once, 0 when FAILOVER "
                        + "waited for the replica's acknowledgement (-1 before any)",
                c -> c.replication().lastSwitchoverSteps()[4]);
        meters.addListener(new SeriesRegistration(registry, meters, runtime));
    }

    /** Registers the series that appear with use: a (command, outcome) pair, a backend address. */
    private record SeriesRegistration(MeterRegistry registry, ProxyMeters meters, ProxyRuntime runtime)
            implements ProxyMeters.Listener {
        @Override
        public void replicationNodeSeen(String address) {
            Gauge.builder("moonshard.replication.role", runtime, r -> status(r, address, s -> s.entry().master() ? 1 : 0))
                    .description("The role SETREPL gives a local Redis node: 1 master, 0 replica (-1 no longer listed)")
                    .tag("node", address)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("moonshard.replication.link.up", runtime, r -> status(r, address, s -> s.linkUp() ? 1 : 0))
                    .description("1 while a local replica's link to its master is up, else 0 (-1 no longer listed)")
                    .tag("node", address)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("moonshard.replication.lag.bytes", runtime, r -> status(r, address, s -> s.lag()))
                    .description("How many bytes of its master's replication stream a local replica has yet to apply (-1 unknown)")
                    .tag("node", address)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("moonshard.replication.offset", runtime, r -> status(r, address, s -> s.offset()))
                    .description("A local node's replication offset (-1 unknown)")
                    .tag("node", address)
                    .strongReference(true)
                    .register(registry);
        }

        private static double status(ProxyRuntime runtime, String address,
                                     java.util.function.ToLongFunction<io.moonshard.proxy.internal.replication.ReplicationEngine.Status> read) {
            ProxyContext context = runtime.context();
            if (context == null) {
                return -1;
            }
            for (var s : context.replication().statuses()) {
                if (s.entry().address().equals(address)) {
                    return read.applyAsLong(s);
                }
            }
            return -1;
        }

        @Override
        public void commandSeen(int command, int outcome) {
            FunctionCounter.builder("moonshard.commands", meters, m -> m.commands(command, outcome))
                    .description("Commands answered, by command (top-level name) and outcome of the reply: ok, "
                            + "error, moved, ask, crossslot, clusterdown, timeout (a backend timed out)")
                    .tag("command", CommandOutcome.commandName(command))
                    .tag("outcome", CommandOutcome.outcomeName(outcome))
                    .register(registry);
        }

        @Override
        public void backendSeen(String address) {
            ProxyMeters.BackendStats stats = meters.backendStats(address);
            for (int state = 0; state < ProxyMeters.BackendStats.STATE_NAMES.length; state++) {
                int s = state;
                Gauge.builder("moonshard.backend.connections", stats, b -> b.connections(s))
                        .description("Backend connections by backend address and state: connected, connecting, "
                                + "broken (the last attempt failed or the connection was lost)")
                        .tag("address", address)
                        .tag("state", ProxyMeters.BackendStats.STATE_NAMES[s])
                        .strongReference(true)
                        .register(registry);
            }
            FunctionCounter.builder("moonshard.backend.reconnects", stats, ProxyMeters.BackendStats::reconnects)
                    .description("Connection attempts to a backend after a failed attempt or a lost connection")
                    .tag("address", address)
                    .register(registry);
        }
    }

    private static void bytes(MeterRegistry registry, ProxyMeters meters, String name, String description, int slot) {
        FunctionCounter.builder(name, meters, m -> m.total(slot))
                .description(description)
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
    }

    private static void timer(MeterRegistry registry, ProxyMeters meters, String name, String description, int base) {
        FunctionTimer.builder(name, meters, m -> m.histogramCount(base), m -> m.histogramSumNanos(base),
                        TimeUnit.NANOSECONDS)
                .description(description)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToLongFunction<ProxyContext> read) {
        // function counters hold the runtime weakly; the gauges below hold it strongly, so it stays
        FunctionCounter.builder(name, runtime, r -> read(r, read))
                .description(description)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToLongFunction<ProxyContext> read) {
        Gauge.builder(name, runtime, r -> read(r, read))
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    private static double read(ProxyRuntime runtime, ToLongFunction<ProxyContext> read) {
        ProxyContext context = runtime.context();
        return context == null ? 0 : read.applyAsLong(context);
    }
}
