package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.FanOut;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.route.ReplicaReads;
import io.moonshard.cluster.route.RouteDecision;
import io.moonshard.cluster.route.Router;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.metadata.Lease;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.session.SessionEnvironment;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Routes a data command by its keys with the pure {@link Router} and carries out the decision: the
 * request frame goes unchanged to the local backend that owns the slot, or the client gets the
 * redirect or error a Redis Cluster node would give.
 *
 * <p>The lease fence ({@link Lease}, {@code UMCTL LEASE}) is decided here too: once the controller's
 * lease has run out, every command a decision would serve from a local Redis for a slot
 * ({@link #servesSlotHere}), and every keyless write, gets Redis Cluster's minority-side
 * {@code -CLUSTERDOWN The cluster is down}. The commands that route themselves (queueing in MULTI,
 * EXEC, WATCH, SSUBSCRIBE) ask the same two questions ({@link #fenced()}, {@link #servesSlotHere}).
 */
public final class Forwarder {

    private final SessionEnvironment proxy;
    private final MigrationGate gate;

    public Forwarder(SessionEnvironment proxy) {
        this(proxy, new MigrationGate());
    }

    /** @param gate what the slot migration engine says about the slots it is moving */
    public Forwarder(SessionEnvironment proxy, MigrationGate gate) {
        this.proxy = proxy;
        this.gate = gate;
    }

    /** The migration engine's verdicts, consulted for every keyed command. */
    public MigrationGate gate() {
        return gate;
    }

    public void forward(ClientSession session, ReplySlot slot, RespCommand command, CommandSpec spec, boolean asking) {
        ClusterSnapshot snapshot = proxy.cluster().snapshot(); // read once: one command, one view
        // under write_ack replica its reply waits for the WAIT after its batch (the backend connection's part)
        slot.mayWrite = Writes.mayWrite(spec);
        KeyPositions keys = session.pool.keyPositions();
        int keyCount = spec.findSlotArguments(command, keys);
        // Redis Cluster's rule unless the operator opted in to splitting keys over the local backends
        FanOut fanOut = proxy.config().allowCrossSlotLocal() ? spec.fanOut() : FanOut.NONE;
        // after READONLY, a read of a peer's slot may be served by a local replica of that peer's master
        ReplicaReads reads = session.state().isReadOnly() && spec.isReadOnly()
                ? proxy.cluster().replicas().reads() : ReplicaReads.NONE;
        RouteDecision decision = Router.route(snapshot, command, keyCount, keys, asking, fanOut, reads);
        MigrationGate.Table moving = gate.table();
        // held commands come back here when released, so a lease that ran out meanwhile fences them too
        if (fenced() && (servesSlotHere(decision, moving)
                || (decision.kind() == RouteDecision.Kind.NO_KEYS && slot.mayWrite))) {
            session.replyError(slot, Lease.FENCED_ERROR);
            return;
        }
        if (moving != MigrationGate.Table.NONE
                && gated(moving, session, slot, command, spec, asking, decision, keys, keyCount)) {
            return;
        }
        switch (decision.kind()) {
            case LOCAL -> sendOrBlock(session, slot, command, spec, decision.backend(), decision.slot());
            // a read a replica here serves, as a Redis replica serves its master's slots after READONLY
            case REPLICA -> sendOrBlock(session, slot, command, spec, decision.backend(), decision.slot());
            // An open slot (migrating away). The proxy moves no keys itself, so every key of such a slot
            // is still at its backend: serving it there is what Router.afterKeyCheck decides for a key
            // that exists here, and no existence check is made.
            case KEY_CHECK -> sendOrBlock(session, slot, command, spec, decision.backend(), decision.slot());
            case NO_KEYS -> {
                if (DEBUG_KEY_SUBCOMMANDS.contains(debugSubcommand(spec, command))) {
                    forwardByArgument(session, slot, command, snapshot, 2);
                } else {
                    forwardKeyless(session, slot, command, spec, snapshot);
                }
            }
            case INVALID_ARGS -> {
                // Redis rejects these arguments itself; any local backend gives its exact error
                if (!sendToAnyBackend(session, slot, command)) {
                    session.replyError(slot, "CLUSTERDOWN The cluster is down");
                }
            }
            case FAN_OUT -> MultiBackendCommands.split(session, slot, command, decision.fanOutPlan());
            default -> replyRouteError(session, slot, decision, decision.errorLine());
        }
    }

    /**
     * Whether this proxy's lease has run out (one volatile read, and a clock read while a lease is
     * held): a command it would serve from a local Redis for a slot must get {@link Lease#FENCED_ERROR}.
     */
    public boolean fenced() {
        return proxy.cluster().lease().isFenced();
    }

    /**
     * Whether {@code decision} serves a slot from a local Redis: the snapshot gives the slot to a local
     * node (or a local replica serves a READONLY read) and no migration redirects or refuses it, or the
     * migration serves it here before the snapshot says so ({@code SERVE_IMPORTED}). Redirects, CROSSSLOT
     * and keyless decisions do not.
     */
    public static boolean servesSlotHere(RouteDecision decision, MigrationGate.Table moving) {
        return switch (decision.kind()) {
            case LOCAL, REPLICA, KEY_CHECK -> {
                MigrationGate.Verdict verdict = decision.slot() < 0 ? null : moving.verdict(decision.slot());
                yield verdict != MigrationGate.Verdict.REDIRECT && verdict != MigrationGate.Verdict.REFUSE;
            }
            case FAN_OUT -> true; // every key is in a local slot
            default -> decision.slot() >= 0 && moving.verdict(decision.slot()) == MigrationGate.Verdict.SERVE_IMPORTED;
        };
    }

    /** As {@link #servesSlotHere(RouteDecision, MigrationGate.Table)}, for a slot EXEC routes by the snapshot itself. */
    public static boolean servesSlotHere(int keySlot, ClusterSnapshot snapshot, MigrationGate.Table moving) {
        MigrationGate.Verdict verdict = moving.verdict(keySlot);
        if (verdict == MigrationGate.Verdict.SERVE_IMPORTED) {
            return true;
        }
        return verdict != MigrationGate.Verdict.REDIRECT && verdict != MigrationGate.Verdict.REFUSE
                && snapshot.localOwner(keySlot) != null;
    }

    /**
     * Where a slot migration decides instead of the snapshot (the one place a move changes routing):
     * true when the command was handled here. A tracked command is served as usual, counted in flight
     * until its reply, and its keys are noted as written when it may write, so the mover copies them
     * again; a held one waits in the gate and is routed again once the task decided.
     */
    private boolean gated(MigrationGate.Table moving, ClientSession session, ReplySlot slot, RespCommand command,
                          CommandSpec spec, boolean asking, RouteDecision decision, KeyPositions keys, int keyCount) {
        if (decision.kind() == RouteDecision.Kind.FAN_OUT) {
            return gatedFanOut(moving, session, slot, command, spec, asking, decision, keys, keyCount);
        }
        int keySlot = decision.slot();
        MigrationGate.Verdict verdict = keySlot < 0 ? null : moving.verdict(keySlot);
        if (verdict == null) {
            return false;
        }
        switch (verdict) {
            case TRACK -> {
                if (decision.kind() != RouteDecision.Kind.LOCAL && decision.kind() != RouteDecision.Kind.KEY_CHECK) {
                    return false;
                }
                track(moving.watcher(keySlot), slot, command, spec, keys, keyCount);
                sendOrBlock(session, slot, command, spec, decision.backend(), keySlot);
            }
            case HOLD -> hold(session, slot, command, spec, asking);
            case REDIRECT -> {
                proxy.metrics().redirected();
                session.replyError(slot, "MOVED " + keySlot + " " + moving.target(keySlot));
            }
            case SERVE_IMPORTED -> sendOrBlock(session, slot, command, spec, moving.target(keySlot), keySlot);
            case REFUSE -> session.replyError(slot, moving.target(keySlot));
            case FOREIGN -> {
                return false; // hidden keys only: routed by the snapshot (another proxy owns the slot)
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * A command split over local backends (allow_cross_slot_local) with a key in a moving slot: held
     * while any of its slots is held, tracked as one command while they are all tracked, and refused
     * with Redis Cluster's CROSSSLOT once some of its keys live on another proxy.
     */
    private boolean gatedFanOut(MigrationGate.Table moving, ClientSession session, ReplySlot slot, RespCommand command,
                                CommandSpec spec, boolean asking, RouteDecision decision, KeyPositions keys,
                                int keyCount) {
        MigrationGate.Watcher watcher = null;
        boolean anyGated = false;
        for (int i = 0; i < keyCount; i++) {
            int keySlot = SlotHash.slot(command.frame(), command.argOffset(keys.get(i)), command.argLength(keys.get(i)));
            MigrationGate.Verdict verdict = moving.verdict(keySlot);
            if (verdict == null || verdict == MigrationGate.Verdict.FOREIGN) {
                continue; // FOREIGN only hides keys; the snapshot routes the slot
            }
            anyGated = true;
            if (verdict == MigrationGate.Verdict.HOLD) {
                hold(session, slot, command, spec, asking);
                return true;
            }
            if (verdict == MigrationGate.Verdict.REFUSE) {
                session.replyError(slot, moving.target(keySlot));
                return true;
            }
            if (verdict != MigrationGate.Verdict.TRACK || (watcher != null && watcher != moving.watcher(keySlot))) {
                session.replyError(slot, "CROSSSLOT Keys in request don't hash to the same slot");
                return true;
            }
            watcher = moving.watcher(keySlot);
        }
        if (!anyGated) {
            return false;
        }
        track(watcher, slot, command, spec, keys, keyCount);
        MultiBackendCommands.split(session, slot, command, decision.fanOutPlan());
        return true;
    }

    private static void track(MigrationGate.Watcher watcher, ReplySlot slot, RespCommand command, CommandSpec spec,
                              KeyPositions keys, int keyCount) {
        List<byte[]> written;
        if (spec.isReadOnly()) {
            written = List.of();
        } else {
            byte[][] copies = new byte[keyCount][];
            for (int i = 0; i < keyCount; i++) {
                copies[i] = command.argBytes(keys.get(i));
            }
            written = Arrays.asList(copies);
        }
        if (BlockingCommands.mayBlock(spec, command)) {
            // not counted in flight: a fence cannot wait for a client blocked for minutes; the flip
            // answers it MOVED instead (ClientSession.blockingCommandOn)
            slot.completion = reply -> {
                watcher.blockingCompleted(written);
                return reply;
            };
        } else {
            watcher.sent();
            slot.completion = reply -> {
                watcher.completed(written);
                return reply;
            };
        }
    }

    private void hold(ClientSession session, ReplySlot slot, RespCommand command, CommandSpec spec, boolean asking) {
        command.retain(); // kept until it is routed again
        gate.hold(session, () -> {
            try {
                forward(session, slot, command, spec, asking);
            } finally {
                command.release();
            }
        });
    }

    /** Scripts and functions: run on the client's dedicated connection when one is available. */
    public static final Set<String> SCRIPTS =
            Set.of("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro");

    /** DEBUG subcommands whose argument 2 is a key (Redis's table declares no keys for DEBUG). */
    private static final Set<String> DEBUG_KEY_SUBCOMMANDS =
            Set.of("object", "digest-value", "listpack", "ziplist", "sdslen", "quicklist-packed-threshold");

    private static String debugSubcommand(CommandSpec spec, RespCommand command) {
        return spec.name().equals("debug") && command.argCount() >= 3
                ? command.argString(1).toLowerCase(Locale.ROOT) : "";
    }

    /** Routes by the slot of argument {@code index} as if it were the command's key. */
    private void forwardByArgument(ClientSession session, ReplySlot slot, RespCommand command, ClusterSnapshot snapshot,
                                   int index) {
        int keySlot = SlotHash.slot(command.frame(), command.argOffset(index),
                command.argLength(index));
        String backend = snapshot.localOwner(keySlot);
        if (backend != null) {
            send(session, slot, command, backend);
            return;
        }
        String peer = snapshot.redirectOwner(keySlot);
        session.replyError(slot, peer != null ? "MOVED " + keySlot + " " + peer : "CLUSTERDOWN Hash slot not served");
    }

    /**
     * Answers a decision that is not served here (MOVED, ASK, CROSSSLOT, CLUSTERDOWN, TRYAGAIN) with
     * its error line, or {@code fallback} when it has none; redirects are counted.
     */
    public void replyRouteError(ClientSession session, ReplySlot slot, RouteDecision decision, String fallback) {
        if (decision.isRedirect()) {
            proxy.metrics().redirected();
        }
        session.replyError(slot, decision.errorLine() != null ? decision.errorLine() : fallback);
    }

    /** Sends the frame as it came from the client to {@code backend}. */
    public void send(ClientSession session, ReplySlot slot, RespCommand command, String backend) {
        BackendConnection connection = session.connectionFor(backend);
        connection.send(slot, command.frame().retainedDuplicate());
        connection.pauseIfSaturated(session);
    }

    /**
     * As {@link #send}, except that a command which may block (BLPOP, XREAD ... BLOCK, WAIT, ...) goes
     * on the client's dedicated connection to {@code backend}: blocking a shared connection would stall
     * every other client on it. It waits there as long as Redis makes it wait (the backend timeout does
     * not apply), and ends when the client disconnects, which closes that connection.
     */
    private void sendOrBlock(ClientSession session, ReplySlot slot, RespCommand command, CommandSpec spec,
                             String backend, int keySlot) {
        if (!BlockingCommands.mayBlock(spec, command)) {
            if (SCRIPTS.contains(spec.name())) {
                // a script may run for seconds; on the client's own connection it does not hold up the
                // other clients sharing a connection (they get BUSY from Redis, as from a node)
                BackendConnection own = session.dedicatedConnection(backend);
                if (!session.state().user().unrestricted()) {
                    // the commands it calls are checked by Redis against the user it runs as
                    if (own == null) {
                        session.replyError(slot, dedicatedLimitError());
                    } else {
                        ScriptUsers.send(session, slot, own, List.of(), command.frame().retainedDuplicate());
                    }
                    return;
                }
                if (own != null) {
                    own.send(slot, command.frame().retainedDuplicate());
                    own.pauseIfSaturated(session);
                    return;
                }
            }
            send(session, slot, command, backend);
            return;
        }
        BackendConnection own = session.dedicatedConnection(backend);
        if (own == null) {
            session.replyError(slot, dedicatedLimitError());
            return;
        }
        slot.mayBlock = true;
        session.blockingCommandStarted();
        if (keySlot >= 0) {
            session.blockingCommandOn(slot, backend, keySlot);
        }
        own.send(slot, command.frame().retainedDuplicate());
        own.pauseIfSaturated(session);
    }

    public String dedicatedLimitError() {
        return dedicatedLimitError(proxy);
    }

    public static String dedicatedLimitError(SessionEnvironment proxy) {
        return "ERR max number of dedicated backend connections reached (max_dedicated_connections "
                + proxy.limits().maxDedicatedConnections() + "); blocking commands, WATCH and pub/sub need one";
    }

    /**
     * Where a command that touches no key runs when one backend must be picked (zero-key scripts,
     * transactions without keys, WAIT): the first local backend in SETCLUSTER order. Null when none.
     */
    public String defaultBackend(ClusterSnapshot snapshot) {
        var backends = snapshot.localBackends();
        return backends.isEmpty() ? null : backends.iterator().next();
    }

    /**
     * A command without keys (DBSIZE, KEYS, SCAN, FLUSHALL, SCRIPT, CONFIG, ...). A Redis Cluster node
     * runs it on its own data; with one local backend that is what forwarding does. Over several,
     * the commands Redis tags as all-shards go to each and their replies merge
     * ({@link MultiBackendCommands}); the rest (CONFIG GET, TIME, zero-key EVAL, ...) run on the first.
     * The keys hidden while slots move ({@link HiddenKeys}) stay out of SCAN and KEYS (their replies
     * are filtered), RANDOMKEY ({@link VisibleRandomKey}, always: a bookkeeping key may exist outside a
     * move) and DBSIZE ({@link VisibleDbSize}, only while some slot is hidden: otherwise it is the
     * backends' O(1) DBSIZE).
     */
    private void forwardKeyless(ClientSession session, ReplySlot slot, RespCommand command, CommandSpec spec,
                                ClusterSnapshot snapshot) {
        if (gate.table() != MigrationGate.Table.NONE && (spec.name().equals("scan") || spec.name().equals("keys"))) {
            boolean scan = spec.name().equals("scan");
            slot.completion = reply -> HiddenKeys.filter(reply, gate.table(), scan, session.channel().alloc());
        }
        if (!snapshot.isConfigured()) {
            session.replyError(slot, "CLUSTERDOWN The cluster is down");
            return;
        }
        var backends = snapshot.localBackends();
        if (backends.isEmpty()) {
            session.replyError(slot, "CLUSTERDOWN Hash slot not served");
            return;
        }
        MigrationGate.Table moving = gate.table(); // read once: the keys hidden now
        if (spec.name().equals("randomkey")) {
            VisibleRandomKey.reply(session, slot, List.copyOf(backends), moving);
            return;
        }
        if (moving.hidesAny() && spec.name().equals("dbsize")) {
            VisibleDbSize.reply(session, slot, List.copyOf(backends), moving);
            return;
        }
        if (backends.size() > 1) {
            if (spec.name().equals("scan")) {
                MultiBackendCommands.scan(session, slot, command, List.copyOf(backends));
                return;
            }
            MultiBackendCommands.Merge merge = MultiBackendCommands.broadcastMerge(spec);
            if (merge != null) {
                MultiBackendCommands.broadcast(session, slot, command, merge, List.copyOf(backends));
                return;
            }
        }
        sendOrBlock(session, slot, command, spec, backends.iterator().next(), -1);
    }

    /**
     * The connection for a request the proxy makes on a client's behalf and reads itself (the steps of
     * DBSIZE and RANDOMKEY while keys are hidden): the client's own connection to {@code backend} when
     * it has one that answers in replies (after its WATCH or blocking command, so its order holds; and
     * while CLIENT PAUSE may be in force), else its pooled one, as {@link ClientSession#connectionFor}
     * picks it. Never a pub/sub connection, whose replies come back as pushed frames.
     */
    static BackendConnection requestConnection(ClientSession session, String backend) {
        BackendConnection own = session.dedicatedConnectionIfAny(backend);
        if (own == null && session.proxy.clientsMayBePaused()) {
            own = session.dedicatedConnection(backend); // a paused request must not hold a shared connection
        }
        if (own != null && !own.isPush()) {
            return own;
        }
        return session.pool.connection(backend, session.id, session.state().protocol());
    }

    /** Sends a keyless command to any local backend (COMMAND INFO/DOCS); false when there is none. */
    public boolean sendToAnyBackend(ClientSession session, ReplySlot slot, RespCommand command) {
        var backends = proxy.cluster().snapshot().localBackends();
        if (backends.isEmpty()) {
            return false;
        }
        send(session, slot, command, backends.iterator().next());
        return true;
    }

    /**
     * SCRIPT KILL / FUNCTION KILL: sent to every local backend, each on a new connection closed after
     * its reply (the busy backend may be running the script on this client's shared connection, behind
     * which a KILL would wait forever). The client gets OK when some backend stopped a script, else
     * the error of a backend running one (BUSY, UNKILLABLE), else NOTBUSY ({@link AnyOkMerge}).
     */
    public void sendOnFreshConnection(ClientSession session, ReplySlot slot, RespCommand command) {
        var backends = proxy.cluster().snapshot().localBackends();
        if (backends.isEmpty()) {
            session.replyError(slot, "CLUSTERDOWN Hash slot not served");
            return;
        }
        AnyOkMerge merge = new AnyOkMerge(slot, backends.size());
        for (String backend : backends) {
            BackendConnection fresh = session.pool.dedicatedConnection(backend, session.state().protocol());
            fresh.send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    fresh.drain();
                    merge.part(reply);
                }
            }, command.frame().retainedDuplicate());
        }
    }

    /**
     * Merges replies of several backends into one, as the one node that runs the script would answer:
     * {@code +OK} (a backend stopped a script) over any other error (BUSY, UNKILLABLE: a backend runs
     * a script that cannot be stopped this way) over NOTBUSY (nothing runs there), whatever order they
     * arrive in.
     */
    private static final class AnyOkMerge {
        private final ReplySlot slot;
        private int remaining;
        private ByteBuf chosen;
        private int chosenRank = -1;

        AnyOkMerge(ReplySlot slot, int parts) {
            this.slot = slot;
            this.remaining = parts;
        }

        private static int rank(ByteBuf reply) {
            if (!reply.isReadable()) {
                return 0;
            }
            byte type = reply.getByte(reply.readerIndex());
            if (type == '+') {
                return 3;
            }
            boolean notBusy = reply.readableBytes() >= 8
                    && reply.toString(reply.readerIndex(), 8, StandardCharsets.US_ASCII).equals("-NOTBUSY");
            return notBusy ? 1 : 2;
        }

        void part(ByteBuf reply) {
            int rank = rank(reply);
            if (rank > chosenRank) {
                if (chosen != null) {
                    chosen.release();
                }
                chosen = reply;
                chosenRank = rank;
            } else {
                reply.release();
            }
            if (--remaining == 0) {
                slot.complete(chosen);
            }
        }
    }
}
