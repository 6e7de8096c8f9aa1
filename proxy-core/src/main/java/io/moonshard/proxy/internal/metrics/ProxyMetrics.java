package io.moonshard.proxy.internal.metrics;

import java.util.concurrent.atomic.LongAdder;

/** Counters behind INFO stats; cheap enough for the hot path (striped adders, no locks). */
public final class ProxyMetrics {

    private final LongAdder commandsProcessed = new LongAdder();
    private final LongAdder backendRequests = new LongAdder();
    private final LongAdder backendErrors = new LongAdder();
    private final LongAdder redirections = new LongAdder();
    private final LongAdder rejectedClients = new LongAdder();
    private final LongAdder errorReplies = new LongAdder();
    /** write_ack replica: WAITs sent (one per batch holding a write), writes a replica confirmed, writes it did not. */
    private final LongAdder writeAckWaits = new LongAdder();
    private final LongAdder writesConfirmed = new LongAdder();
    private final LongAdder writesNotConfirmed = new LongAdder();

    public void commandProcessed() { commandsProcessed.increment(); }
    public void backendRequestSent() { backendRequests.increment(); }
    public void backendError() { backendErrors.increment(); }
    public void redirected() { redirections.increment(); }
    public void clientRejected() { rejectedClients.increment(); }
    public void errorReply() { errorReplies.increment(); }
    public void writeAckWaitSent() { writeAckWaits.increment(); }
    public void writesConfirmed(int n) { writesConfirmed.add(n); }
    public void writesNotConfirmed(int n) { writesNotConfirmed.add(n); }

    public long commandsProcessed() { return commandsProcessed.sum(); }
    public long backendRequests() { return backendRequests.sum(); }
    public long backendErrors() { return backendErrors.sum(); }
    public long redirections() { return redirections.sum(); }
    public long rejectedClients() { return rejectedClients.sum(); }
    public long errorReplies() { return errorReplies.sum(); }
    public long writeAckWaits() { return writeAckWaits.sum(); }
    public long writesConfirmed() { return writesConfirmed.sum(); }
    public long writesNotConfirmed() { return writesNotConfirmed.sum(); }
}
