package io.moonshard.proxy.internal;

import io.moonshard.cluster.render.ClusterView;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.NodeIdStyle;
import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetClusterRequest;
import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.ProxyConfig;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's cluster metadata: one immutable {@link ClusterSnapshot} (with its rendered
 * {@link ClusterView}) behind one reference. {@code UMCTL SETCLUSTER} swaps it whole with a
 * compare-and-set on the epoch; every command reads it once.
 */
final class ClusterState {

    private static final Logger log = LoggerFactory.getLogger(ClusterState.class);

    /**
     * A snapshot and the CLUSTER replies derived from it, published together: {@code view} for plain
     * clients, {@code tlsView} (TLS ports shown, see {@link TransportAddresses}) for TLS clients.
     */
    record Current(ClusterSnapshot snapshot, ClusterView view, ClusterView tlsView) {
    }

    private final AtomicReference<Current> current;
    private final String announce;
    private final String announceHost;
    private final NodeIdStyle style;
    private final boolean busPort;
    private final int tlsPortOffset;
    private final Consumer<Set<String>> onBackendsChanged;
    private final ReplicationState replication;
    /** Snapshots published (UMCTL SETCLUSTER and initial_setcluster answered +OK); read by the metrics. */
    private final LongAdder applied = new LongAdder();

    ClusterState(ProxyConfig config, Consumer<Set<String>> onBackendsChanged) {
        this.announce = config.announceAddress();
        this.announceHost = HostPort.parse(announce).host();
        this.style = NodeIdStyle.valueOf(config.nodeIdFormat().name());
        this.busPort = config.clusterBusPort();
        this.tlsPortOffset = config.tlsPortOffset();
        this.onBackendsChanged = onBackendsChanged;
        this.current = new AtomicReference<>(current(ClusterSnapshot.empty()));
        this.replication = new ReplicationState(announceHost);
    }

    private Current current(ClusterSnapshot snapshot) {
        ClusterView view = new ClusterView(snapshot, announce, style, busPort);
        return new Current(snapshot, view,
                tlsPortOffset == 0 ? view : new ClusterView(snapshot, announce, style, busPort, tlsPortOffset));
    }

    ClusterSnapshot snapshot() {
        return current.get().snapshot();
    }

    ClusterView view() {
        return current.get().view();
    }

    /** {@code tls_port} minus the port of {@code address} (0 without TLS): added to ports shown to TLS clients. */
    int tlsPortOffset() {
        return tlsPortOffset;
    }

    /** The CLUSTER replies for a client on the TLS listener ({@code tls}) or the plain one. */
    ClusterView view(boolean tls) {
        Current c = current.get();
        return tls ? c.tlsView() : c.view();
    }

    ReplicationState replication() {
        return replication;
    }

    /** How many SETCLUSTER commands were applied (answered {@code +OK}) since start. */
    long appliedCount() {
        return applied.sum();
    }

    /** {@code UMCTL SETCLUSTER <args>}: returns the whole reply line ({@code +OK}, {@code -OLD_EPOCH}, ...). */
    String applySetCluster(List<String> args) {
        return apply(SetClusterParser.parse(args));
    }

    /** A whole {@code UMCTL SETCLUSTER ...} line, as in the {@code initial_setcluster} option. */
    String applySetClusterLine(String line) {
        return apply(SetClusterParser.parseLine(line));
    }

    private String apply(ParseResult<SetClusterRequest> parsed) {
        if (!parsed.isOk()) {
            return "-" + parsed.error();
        }
        SetClusterRequest request = parsed.value();
        String notMine = request.notMyMetaError(announceHost);
        if (notMine != null) {
            return "-" + notMine;
        }
        Current next = current(request.snapshot());
        Current previous;
        do {
            previous = current.get();
            if (!request.acceptableAfter(previous.snapshot().epoch())) {
                return "-OLD_EPOCH";
            }
        } while (!current.compareAndSet(previous, next));
        applied.increment();
        ClusterSnapshot snapshot = request.snapshot();
        log.info("event=setcluster cluster={} epoch={} force={} local={} peers={}", snapshot.name(), snapshot.epoch(),
                request.force(), snapshot.localBackends(), snapshot.peers().keySet());
        if (!previous.snapshot().localBackends().equals(snapshot.localBackends())) {
            onBackendsChanged.accept(snapshot.localBackends());
        }
        return "+" + request.okReply();
    }
}
