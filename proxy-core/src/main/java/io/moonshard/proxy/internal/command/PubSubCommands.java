package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.route.RouteDecision;
import io.moonshard.cluster.route.Router;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.metadata.Lease;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pub/Sub with Redis Cluster's semantics over plain Redis backends.
 *
 * <ul>
 *   <li>Classic channels: every proxy keeps its subscribers on one backend, its <em>pub/sub
 *       backend</em> (the first local backend), each subscriber on a dedicated connection whose frames
 *       pass straight through to the client. {@code PUBLISH} goes to this proxy's pub/sub backend (its
 *       receiver count is the reply, as Redis Cluster counts the receivers of the node it was sent to)
 *       and, as {@code UMCTL PUBLISH}, to every peer proxy, which publishes it on its own pub/sub
 *       backend: a message reaches subscribers on every proxy, in order per publisher. A peer runs
 *       the relay only from a connection that proved the cluster secret ({@link UmctlCommands#PEER}).</li>
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

    private static final Logger log = LoggerFactory.getLogger(PubSubCommands.class);
    private static final byte[] UMCTL = "UMCTL".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUBLISH = "PUBLISH".getBytes(StandardCharsets.US_ASCII);
    private static final long RELAY_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** When a refused relay was last logged, over every loop; 0 = never. */
    private static final AtomicLong lastRelayWarningNanos = new AtomicLong();

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
        KeyPositions keys = s.pool.keyPositions();
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
        MigrationGate.Verdict moving = decision.slot() < 0 ? null : forwarder.gate().table().verdict(decision.slot());
        if (moving == MigrationGate.Verdict.FOREIGN) {
            moving = null; // it only hides keys: the snapshot decides, as for a slot without an entry
        }
        if (moving == MigrationGate.Verdict.HOLD) {
            // the slot is fenced: subscribe once the move is decided, so no subscription stays behind
            command.retain();
            forwarder.gate().hold(s, () -> {
                try {
                    shard(s, slot, command, spec);
                } finally {
                    command.release();
                }
            });
            return;
        }
        if (moving == MigrationGate.Verdict.REDIRECT) {
            proxy.metrics().redirected();
            s.replyError(slot, "MOVED " + decision.slot() + " " + forwarder.gate().table().target(decision.slot()));
            return;
        }
        if (moving == MigrationGate.Verdict.REFUSE) {
            s.replyError(slot, forwarder.gate().table().target(decision.slot()));
            return;
        }
        if (forwarder.fenced() && Forwarder.servesSlotHere(decision, forwarder.gate().table())) {
            // the lease ran out: shard channels are refused like keys, as by Redis Cluster when it is down
            s.replyError(slot, Lease.FENCED_ERROR);
            return;
        }
        if (moving == MigrationGate.Verdict.SERVE_IMPORTED) {
            sendOnPushConnection(s, slot, command, forwarder.gate().table().target(decision.slot()));
            return;
        }
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
                // the connection proved the cluster secret first (BackendConnection's handshake)
                s.connectionFor(peer).send(relayTarget(peer), relay.frame().retainedDuplicate());
            }
        } finally {
            relay.release();
        }
    }

    /**
     * Drops the peer's answer to a relay, but says why when the peer refused it (no or another cluster
     * secret), at most once per {@link #RELAY_WARNING_INTERVAL_NANOS}: a refused relay reaches no subscriber.
     */
    private static ReplyTarget relayTarget(String peer) {
        return new ReplyTarget() {
            @Override
            public void complete(ByteBuf reply) {
                try {
                    if (FlatArrays.isError(reply)) {
                        long now = System.nanoTime();
                        long last = lastRelayWarningNanos.get();
                        if ((last == 0 || now - last >= RELAY_WARNING_INTERVAL_NANOS)
                                && lastRelayWarningNanos.compareAndSet(last, now)) {
                            log.warn("event=publish_relay_refused peer={} reply=\"{}\"", peer,
                                    reply.toString(StandardCharsets.UTF_8).trim());
                        }
                    }
                } finally {
                    reply.release();
                }
            }
        };
    }

    /** UMCTL PUBLISH channel message, from a peer proxy (that proved the cluster secret): publish here only. */
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
