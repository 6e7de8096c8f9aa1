package io.moonshard.proxy.internal;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.route.RouteDecision;
import io.moonshard.cluster.route.Router;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;
import java.util.Set;

/**
 * Pub/Sub with Redis Cluster's semantics over plain Redis backends.
 *
 * <ul>
 *   <li>Classic channels: every proxy keeps its subscribers on one backend, its <em>pub/sub
 *       backend</em> (the first local backend), each subscriber on a dedicated connection whose frames
 *       pass straight through to the client. {@code PUBLISH} goes to this proxy's pub/sub backend (its
 *       receiver count is the reply, as Redis Cluster counts the receivers of the node it was sent to)
 *       and, as {@code UMCTL PUBLISH}, to every peer proxy, which publishes it on its own pub/sub
 *       backend: a message reaches subscribers on every proxy, in order per publisher.</li>
 *   <li>Shard channels ({@code SSUBSCRIBE}, {@code SPUBLISH}): routed by the channel's slot like a key,
 *       {@code MOVED} when another proxy owns it.</li>
 *   <li>RESP2 subscribed mode: while subscribed, other commands get Redis's exact refusal.</li>
 * </ul>
 */
final class PubSubCommands {

    /** What a RESP2 client may send while subscribed (Redis's processCommand). */
    static final Set<String> ALLOWED_WHEN_SUBSCRIBED = Set.of(
            "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe",
            "quit", "reset");

    private static final byte[] UMCTL = "UMCTL".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] PUBLISH = "PUBLISH".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ProxyContext proxy;
    private final Forwarder forwarder;

    PubSubCommands(ProxyContext proxy, Forwarder forwarder) {
        this.proxy = proxy;
        this.forwarder = forwarder;
    }

    static String subscribedModeRefusal(String fullName) {
        return "ERR Can't execute '" + fullName + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                + "are allowed in this context";
    }

    /** SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE: on this client's connection to the pub/sub backend. */
    void classic(ClientSession s, ReplySlot slot, RespCommand command) {
        String backend = pubSubBackend(s, slot);
        if (backend != null) {
            sendOnPushConnection(s, slot, command, backend);
        }
    }

    /** SSUBSCRIBE, SUNSUBSCRIBE: by the channels' slot; SUNSUBSCRIBE alone leaves every shard channel. */
    void shard(ClientSession s, ReplySlot slot, RespCommand command, CommandSpec spec) {
        KeyPositions keys = s.pool.keyPositions;
        int keyCount = spec.findSlotArguments(command, keys);
        ClusterSnapshot snapshot = proxy.cluster().snapshot();
        if (keyCount == 0) {
            String backend = pubSubBackend(s, slot);
            if (backend != null) {
                sendOnPushConnection(s, slot, command, backend);
            }
            return;
        }
        RouteDecision decision = Router.route(snapshot, command, keyCount, keys);
        if (decision.kind() == RouteDecision.Kind.LOCAL || decision.kind() == RouteDecision.Kind.KEY_CHECK) {
            sendOnPushConnection(s, slot, command, decision.backend());
            return;
        }
        forwarder.replyRouteError(s, slot, decision, "CLUSTERDOWN The cluster is down");
    }

    /** PUBLISH: this proxy's pub/sub backend answers; every peer proxy publishes the message too. */
    void publish(ClientSession s, ReplySlot slot, RespCommand command) {
        String backend = pubSubBackend(s, slot);
        if (backend == null) {
            return;
        }
        forwarder.send(s, slot, command, backend);
        var peers = proxy.cluster().snapshot().peers().keySet();
        if (peers.isEmpty()) {
            return;
        }
        RespCommand relay = RespCommand.of(UMCTL, PUBLISH, command.argBytes(1), command.argBytes(2));
        try {
            for (String peer : peers) {
                s.connectionFor(peer).send(ReplyTarget.discard(), relay.frame().retainedDuplicate());
            }
        } finally {
            relay.release();
        }
    }

    /** UMCTL PUBLISH channel message, from a peer proxy: publish here only. */
    void publishLocally(ClientSession s, ReplySlot slot, RespCommand command) {
        if (command.argCount() != 4) {
            s.replyError(slot, "Invalid arguments");
            return;
        }
        String backend = pubSubBackend(s, slot);
        if (backend != null) {
            RespCommand publish = RespCommand.of(PUBLISH, command.argBytes(2), command.argBytes(3));
            try {
                s.connectionFor(backend).send(slot, publish.frame().retainedDuplicate());
            } finally {
                publish.release();
            }
        }
    }

    /** PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB: this proxy's view, like a node's. */
    void introspect(ClientSession s, ReplySlot slot, RespCommand command) {
        String backend = pubSubBackend(s, slot);
        if (backend != null) {
            forwarder.send(s, slot, command, backend);
        }
    }

    private void sendOnPushConnection(ClientSession s, ReplySlot slot, RespCommand command, String backend) {
        BackendConnection push = s.pushConnection(backend);
        if (push == null) {
            s.replyError(slot, forwarder.dedicatedLimitError());
            return;
        }
        push.send(slot, command.frame().retainedDuplicate());
    }

    /** The backend holding this proxy's classic subscriptions; null (and the client answered) when none. */
    private String pubSubBackend(ClientSession s, ReplySlot slot) {
        ClusterSnapshot snapshot = proxy.cluster().snapshot();
        String backend = forwarder.defaultBackend(snapshot);
        if (backend == null) {
            s.replyError(slot, snapshot.isConfigured() ? "CLUSTERDOWN Hash slot not served" : "CLUSTERDOWN The cluster is down");
        }
        return backend;
    }
}
