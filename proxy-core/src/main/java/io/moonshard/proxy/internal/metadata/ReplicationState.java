package io.moonshard.proxy.internal.metadata;

import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetReplParser;
import io.moonshard.cluster.umctl.SetReplRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The replication metadata of {@code UMCTL SETREPL}: stored, with its own epoch, and shown by
 * {@code UMCTL INFOREPL}. The roles are recorded here only; nothing applies them to the local Redis nodes.
 */
public final class ReplicationState {

    private static final SetReplRequest NONE = new SetReplRequest(0, false, List.of());

    private final String announceHost;
    private final AtomicReference<SetReplRequest> current = new AtomicReference<>(NONE);

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
            if (!request.acceptableAfter(previous.epoch())) {
                return "-OLD_EPOCH";
            }
        } while (!current.compareAndSet(previous, request));
        return "+OK";
    }

    public List<SetReplRequest.Node> nodes() {
        return current.get().nodes();
    }
}
