package io.moonshard.proxy.internal;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.route.RouteDecision;
import io.moonshard.cluster.route.Router;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;

/**
 * Routes a data command by its keys with the pure {@link Router} and carries out the decision: the
 * request frame goes unchanged to the local backend that owns the slot, or the client gets the
 * redirect or error a Redis Cluster node would give.
 */
final class Forwarder {

    private final ProxyContext proxy;

    Forwarder(ProxyContext proxy) {
        this.proxy = proxy;
    }

    void forward(ClientSession session, ReplySlot slot, RespCommand command, CommandSpec spec, boolean asking) {
        ClusterSnapshot snapshot = proxy.cluster().snapshot(); // read once: one command, one view
        KeyPositions keys = session.pool.keyPositions;
        int keyCount = spec.findKeys(command, keys);
        RouteDecision decision = Router.route(snapshot, command, keyCount, keys, asking, spec.fanOut());
        switch (decision.kind()) {
            case LOCAL -> send(session, slot, command, decision.backend());
            // An open slot. Keys move only when a migration engine moves them, and this version has
            // none, so every key of a slot being migrated away is still at its backend: serving it
            // there is what Router.afterKeyCheck would decide. The existence check comes with the engine.
            case KEY_CHECK -> send(session, slot, command, decision.backend());
            case NO_KEYS -> forwardKeyless(session, slot, command, snapshot);
            case INVALID_ARGS -> {
                // Redis rejects these arguments itself; any local backend gives its exact error
                if (!sendToAnyBackend(session, slot, command)) {
                    session.replyError(slot, "CLUSTERDOWN The cluster is down");
                }
            }
            case FAN_OUT -> {
                // Splitting across local backends comes with fan-out support; until then the proxy
                // answers like a Redis Cluster node, which never splits a command either.
                session.replyError(slot, "CROSSSLOT Keys in request don't hash to the same slot");
            }
            default -> {
                if (decision.isRedirect()) {
                    proxy.metrics().redirected();
                }
                session.replyError(slot, decision.errorLine());
            }
        }
    }

    /** Sends the frame as it came from the client to {@code backend}. */
    void send(ClientSession session, ReplySlot slot, RespCommand command, String backend) {
        BackendConnection connection = session.pool.connection(backend, session.id);
        connection.send(slot, command.frame().retainedDuplicate());
        connection.pauseIfSaturated(session);
    }

    /**
     * A command without keys (DBSIZE, KEYS, SCAN, FLUSHALL, SCRIPT, CONFIG, ...). A Redis Cluster node
     * runs it on its own data; with exactly one local backend that is what forwarding does. Over
     * several local backends the replies would need merging, which this version does not do.
     */
    private void forwardKeyless(ClientSession session, ReplySlot slot, RespCommand command, ClusterSnapshot snapshot) {
        if (!snapshot.isConfigured()) {
            session.replyError(slot, "CLUSTERDOWN The cluster is down");
            return;
        }
        var backends = snapshot.localBackends();
        if (backends.size() == 1) {
            send(session, slot, command, backends.iterator().next());
        } else if (backends.isEmpty()) {
            session.replyError(slot, "CLUSTERDOWN Hash slot not served");
        } else {
            session.replyError(slot, "ERR '" + command.name() + "' without keys over " + backends.size()
                    + " local backends is not supported by this Moonshard version");
        }
    }

    /** Sends a keyless command to any local backend (COMMAND INFO/DOCS); false when there is none. */
    boolean sendToAnyBackend(ClientSession session, ReplySlot slot, RespCommand command) {
        var backends = proxy.cluster().snapshot().localBackends();
        if (backends.isEmpty()) {
            return false;
        }
        send(session, slot, command, backends.iterator().next());
        return true;
    }
}
