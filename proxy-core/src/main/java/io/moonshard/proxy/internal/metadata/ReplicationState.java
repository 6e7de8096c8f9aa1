package io.moonshard.proxy.internal.metadata;

import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetReplParser;
import io.moonshard.cluster.umctl.SetReplRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The replication metadata of {@code UMCTL SETREPL}: stored, with its own epoch, and shown by
 * {@code UMCTL INFOREPL}. Each accepted request is handed to the listeners (the replication engine,
 * which applies the roles to the local Redis nodes) on the thread that applied it.
 */
public final class ReplicationState {

    private static final SetReplRequest NONE = new SetReplRequest(0, false, List.of());

    private final String announceHost;
    private final AtomicReference<SetReplRequest> current = new AtomicReference<>(NONE);
    private final List<Consumer<SetReplRequest>> listeners = new CopyOnWriteArrayList<>();
    /** The epoch of the last promotion or switchover: a SETREPL must be newer than it too. */
    private volatile long promotionEpoch;
    /** The request the last {@link #wipe} applied (null before any), compared by identity. */
    private volatile SetReplRequest wiped;

    public ReplicationState(String announceHost) {
        this.announceHost = announceHost;
    }

    /** Applies {@code UMCTL SETREPL <args>}; returns the whole reply line. */
    public String apply(List<String> args) {
        ParseResult<SetReplRequest> parsed = SetReplParser.parse(args);
        if (!parsed.isOk()) {
            return "-" + parsed.error();
        }
        SetReplRequest request = parsed.value();
        String notMine = request.notMyMetaError(announceHost);
        if (notMine != null) {
            return "-" + notMine;
        }
        SetReplRequest previous;
        do {
            previous = current.get();
            if (!request.acceptableAfter(Math.max(previous.epoch(), promotionEpoch))) {
                return "-OLD_EPOCH";
            }
        } while (!current.compareAndSet(previous, request));
        for (Consumer<SetReplRequest> listener : listeners) {
            listener.accept(request);
        }
        return "+OK";
    }

    /**
     * {@code UMCTL WIPE}'s replication step: every one of {@code nodes} becomes a master of no cluster
     * (it stops replicating, and the replication engine keeps it so), at {@code epoch}, which must be
     * newer than {@link #floor()}; the same epoch again is accepted while this wipe's request is in force.
     *
     * @return {@code +OK}, {@code -OLD_EPOCH}, or {@code -ERR_NOT_MY_META} for a node on another host
     */
    public String wipe(long epoch, List<String> nodes) {
        SetReplRequest request = new SetReplRequest(epoch, false,
                nodes.stream().map(n -> new SetReplRequest.Node(true, "", n, List.of())).toList());
        String notMine = request.notMyMetaError(announceHost);
        if (notMine != null) {
            return "-" + notMine;
        }
        SetReplRequest previous;
        do {
            previous = current.get();
            boolean again = previous == wiped && previous.epoch() == epoch && promotionEpoch <= epoch;
            if (again && previous.nodes().equals(request.nodes())) {
                return "+OK";
            }
            if (!again && epoch <= Math.max(previous.epoch(), promotionEpoch)) {
                return "-OLD_EPOCH";
            }
            wiped = request;
        } while (!current.compareAndSet(previous, request));
        for (Consumer<SetReplRequest> listener : listeners) {
            listener.accept(request);
        }
        return "+OK";
    }

    /** Whether the request in force is the one a wipe at {@code epoch} applied, and no promotion came since. */
    public boolean wipedAt(long epoch) {
        SetReplRequest now = current.get();
        return now == wiped && now.epoch() == epoch && promotionEpoch <= epoch;
    }

    /**
     * The newest epoch this proxy has acted on: the last SETREPL's, or a later promotion's. A promotion
     * or a SETREPL must carry a greater one (so a decision made on older metadata cannot undo it).
     */
    public long floor() {
        return Math.max(current.get().epoch(), promotionEpoch);
    }

    /** A promotion or switchover at {@code epoch} happened. */
    public synchronized void raiseFloor(long epoch) {
        promotionEpoch = Math.max(promotionEpoch, epoch);
    }

    /** The request in force (epoch 0 and no nodes before any SETREPL). */
    public SetReplRequest current() {
        return current.get();
    }

    /** {@code listener} hears of every request accepted from now on. */
    public void onApplied(Consumer<SetReplRequest> listener) {
        listeners.add(listener);
    }

    public List<SetReplRequest.Node> nodes() {
        return current.get().nodes();
    }
}
