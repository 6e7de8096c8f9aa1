package io.moonshard.proxy.internal;

import java.util.concurrent.atomic.LongAdder;

/** Counters behind INFO stats; cheap enough for the hot path (striped adders, no locks). */
final class ProxyMetrics {

    private final LongAdder commandsProcessed = new LongAdder();
    private final LongAdder backendRequests = new LongAdder();
    private final LongAdder backendErrors = new LongAdder();
    private final LongAdder redirections = new LongAdder();
    private final LongAdder rejectedClients = new LongAdder();
    private final LongAdder errorReplies = new LongAdder();

    void commandProcessed() { commandsProcessed.increment(); }
    void backendRequestSent() { backendRequests.increment(); }
    void backendError() { backendErrors.increment(); }
    void redirected() { redirections.increment(); }
    void clientRejected() { rejectedClients.increment(); }
    void errorReply() { errorReplies.increment(); }

    long commandsProcessed() { return commandsProcessed.sum(); }
    long backendRequests() { return backendRequests.sum(); }
    long backendErrors() { return backendErrors.sum(); }
    long redirections() { return redirections.sum(); }
    long rejectedClients() { return rejectedClients.sum(); }
    long errorReplies() { return errorReplies.sum(); }
}
