package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandFlag;
import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.FanOut;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.route.RouteDecision;
import io.moonshard.cluster.route.Router;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.metadata.Lease;
import io.moonshard.proxy.internal.route.CommandPolicy;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.moonshard.proxy.internal.route.ScriptUsers;
import io.moonshard.proxy.internal.route.Writes;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.session.Transaction;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespCommands;
import io.moonshard.resp.RespReplies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis Cluster's rules: each command is judged alone
 * while queueing (a slot of another proxy gets {@code MOVED} and makes EXEC answer {@code EXECABORT});
 * EXEC is judged by all the queued keys together ({@code CROSSSLOT} when they span several slots), as
 * a Redis Cluster node does.
 *
 * <p>How it runs: the proxy answers MULTI and each {@code QUEUED} itself, checking each command as it
 * is queued (unknown, wrong arity, slot); EXEC then writes {@code MULTI, the commands, EXEC} in one go
 * to the slot's backend and hands the client only the EXEC reply. The writes are contiguous on the
 * connection (one event loop writes them back to back), so a shared connection serves too. WATCH needs
 * the watched keys to stay watched between round trips, so it moves the client onto a dedicated
 * connection to the keys' backend, where its EXEC then runs.
 */
final class TransactionCommands {

    private static final AsciiString PAUSE = AsciiString.cached("PAUSE");
    private static final AsciiString UNPAUSE = AsciiString.cached("UNPAUSE");

    /** Commands a client in MULTI runs at once instead of queueing, as in Redis's processCommand. */
    static final Set<String> NOT_QUEUED = Set.of("exec", "discard", "multi", "watch", "quit", "reset");

    private static final byte[] MULTI = RespCommands.encode("MULTI");
    private static final byte[] EXEC = RespCommands.encode("EXEC");
    private static final byte[] UNWATCH = RespCommands.encode("UNWATCH");

    private final ProxyContext proxy;
    private final Forwarder forwarder;

    TransactionCommands(ProxyContext proxy, Forwarder forwarder) {
        this.proxy = proxy;
        this.forwarder = forwarder;
    }

    void multi(ClientSession s, ReplySlot slot, RespCommand command) {
        if (s.state().inMulti()) {
            s.replyError(slot, "ERR MULTI calls can not be nested");
            return;
        }
        s.state().enterMulti();
        s.reply(slot, RespReplies.ok());
    }

    /** A command sent while in MULTI (not one of {@link #NOT_QUEUED}): checked, kept, answered QUEUED. */
    /**
     * Commands the proxy answers itself because they act on the client's connection or on the proxy's
     * users (AUTH, HELLO, ACL, CLIENT REPLY/KILL/TRACKING/...): inside MULTI they would run at EXEC on
     * the backend connection, changing its user, protocol or replies for every client sharing it, or
     * the backend's own users. CLIENT PAUSE/UNPAUSE are the exception: they are meant for the backends.
     */
    private static boolean proxyStateInTransaction(String topName, RespCommand command) {
        return switch (topName) {
            case "acl", "auth", "hello" -> true;
            case "client" -> command.argCount() < 2
                    || !(command.argEqualsIgnoreCase(1, PAUSE) || command.argEqualsIgnoreCase(1, UNPAUSE));
            default -> false;
        };
    }

    void queue(ClientSession s, ReplySlot slot, RespCommand command, CommandSpec spec, boolean asking) {
        Transaction tx = s.state().transaction();
        if (spec.has(CommandFlag.NO_MULTI)) {
            tx.markDirty(); // SAVE, SHUTDOWN, SYNC...: Redis refuses them in a transaction before anything else
            s.replyError(slot, "ERR Command not allowed inside a transaction");
            return;
        }
        String topName = spec.containerName() != null ? spec.containerName() : spec.name();
        String refusal = CommandPolicy.refusal(topName, command);
        if (refusal == null && proxyStateInTransaction(topName, command)) {
            refusal = "ERR '" + spec.name() + "' inside MULTI is not supported by this proxy: it acts on the "
                    + "proxy's connection or users, which EXEC would change at the backend instead";
        }
        if (refusal == null && topName.equals("config")) {
            refusal = ProtectedConfig.transactionRefusal(command); // EXEC's reply could not be filtered
        }
        if (refusal != null) {
            tx.markDirty();
            s.replyError(slot, refusal);
            return;
        }
        KeyPositions keys = s.pool.keyPositions();
        int keyCount = spec.findSlotArguments(command, keys);
        ClusterSnapshot snapshot = proxy.cluster().snapshot();
        RouteDecision decision = Router.route(snapshot, command, keyCount, keys, asking, FanOut.NONE);
        if (forwarder.fenced() && Forwarder.servesSlotHere(decision, forwarder.gate().table())) {
            // the lease ran out: refused while queueing, as a Redis Cluster node on the minority side does
            tx.markDirty();
            s.replyError(slot, Lease.FENCED_ERROR);
            return;
        }
        switch (decision.kind()) {
            case LOCAL, KEY_CHECK -> {
                // each command is judged alone while queueing; several slots fail EXEC, as in Redis
                tx.keyedCommandIn(decision.slot());
                noteWrites(tx, command, spec, keys, keyCount);
            }
            case NO_KEYS, INVALID_ARGS -> {
                // runs wherever the transaction runs; Redis itself judges the arguments at EXEC
            }
            default -> {
                if (decision.slot() >= 0
                        && forwarder.gate().table().verdict(decision.slot()) == MigrationGate.Verdict.SERVE_IMPORTED) {
                    // this proxy committed an imported slot before the coordinator's SETCLUSTER said so
                    tx.keyedCommandIn(decision.slot());
                    break;
                }
                tx.markDirty();
                forwarder.replyRouteError(s, slot, decision, "CROSSSLOT Keys in request don't hash to the same slot");
                return;
            }
        }
        tx.queue(command.frame().retainedDuplicate());
        if (Forwarder.SCRIPTS.contains(spec.name())) {
            tx.scriptQueued();
        }
        if (Writes.mayWrite(spec)) {
            tx.writeQueued();
        }
        if (spec.name().startsWith("client")) { // "client", or "client|pause" where the table has subcommands
            tx.clientCommandQueued(command.retain()); // CLIENT PAUSE takes effect at EXEC: noted then
        }
        s.reply(slot, RespReplies.queued());
    }

    /**
     * The keys a queued command may write, kept in case its slot is moving when EXEC runs: the
     * migration must copy them again. Copies only for commands not flagged read-only, inside MULTI.
     */
    private static void noteWrites(Transaction tx, RespCommand command, CommandSpec spec, KeyPositions keys, int keyCount) {
        if (!spec.isReadOnly()) {
            for (int i = 0; i < keyCount; i++) {
                tx.mayWrite(command.argBytes(keys.get(i)));
            }
        }
    }

    void exec(ClientSession s, ReplySlot slot, RespCommand command) {
        Transaction tx = s.state().transaction();
        if (tx == null) {
            s.replyError(slot, "ERR EXEC without MULTI");
            return;
        }
        MigrationGate.Table moving = forwarder.gate().table();
        MigrationGate.Verdict verdict = tx.slot() >= 0 && !tx.isCrossSlot() ? moving.verdict(tx.slot()) : null;
        if (verdict == MigrationGate.Verdict.FOREIGN) {
            verdict = null; // it only hides keys: the snapshot decides, as for a slot without an entry
        }
        if (verdict == MigrationGate.Verdict.HOLD) {
            // the slot is fenced: EXEC waits, with the transaction, until the move is decided
            command.retain();
            forwarder.gate().hold(s, () -> {
                try {
                    exec(s, slot, command);
                } finally {
                    command.release();
                }
            });
            return;
        }
        s.state().exitMulti();
        String watched = s.state().unwatch(); // EXEC unwatches everything, whatever happens
        try {
            // Redis routes EXEC by every queued key first (CROSSSLOT, MOVED), then EXEC itself aborts
            // on queueing errors
            if (tx.isCrossSlot()) {
                unwatch(s, watched);
                s.replyError(slot, "CROSSSLOT Keys in request don't hash to the same slot");
                return;
            }
            ClusterSnapshot snapshot = proxy.cluster().snapshot();
            // the lease ran out: a transaction with keys queued before is refused as a whole, as Redis
            // refuses EXEC by its queued keys; one without keys that writes too (Lease)
            if (forwarder.fenced() && (tx.slot() >= 0 ? Forwarder.servesSlotHere(tx.slot(), snapshot, moving)
                    : tx.hasWrite() && !tx.isDirty())) {
                unwatch(s, watched);
                s.replyError(slot, Lease.FENCED_ERROR);
                return;
            }
            if (tx.isDirty() && (tx.slot() < 0 || snapshot.localOwner(tx.slot()) != null)) {
                unwatch(s, watched);
                s.replyError(slot, "EXECABORT Transaction discarded because of previous errors.");
                return;
            }
            String backend;
            if (verdict == MigrationGate.Verdict.REFUSE) {
                unwatch(s, watched);
                s.replyError(slot, moving.target(tx.slot()));
                return;
            }
            if (verdict == MigrationGate.Verdict.REDIRECT) {
                unwatch(s, watched);
                proxy.metrics().redirected();
                s.replyError(slot, "MOVED " + tx.slot() + " " + moving.target(tx.slot()));
                return;
            }
            if (verdict == MigrationGate.Verdict.SERVE_IMPORTED) {
                backend = moving.target(tx.slot());
            } else if (tx.slot() >= 0) {
                // ownership may have changed since the commands were queued: decide again, like EXEC in Redis
                backend = snapshot.localOwner(tx.slot());
                if (backend == null) {
                    unwatch(s, watched);
                    String peer = snapshot.redirectOwner(tx.slot());
                    s.replyError(slot, peer != null ? "MOVED " + tx.slot() + " " + peer : "CLUSTERDOWN Hash slot not served");
                    return;
                }
            } else if (watched != null) {
                backend = watched;
            } else {
                backend = forwarder.defaultBackend(snapshot);
                if (backend == null) {
                    s.replyError(slot, snapshot.isConfigured() ? "CLUSTERDOWN Hash slot not served"
                            : "CLUSTERDOWN The cluster is down");
                    return;
                }
            }
            if (watched != null && !watched.equals(backend)) {
                // the watched keys live on another backend, which cannot see this transaction's writes
                unwatch(s, watched);
                s.replyError(slot, "CROSSSLOT Keys in request don't hash to the same slot");
                return;
            }
            if (verdict == MigrationGate.Verdict.TRACK) {
                MigrationGate.Watcher watcher = moving.watcher(tx.slot());
                List<byte[]> written = List.copyOf(tx.writtenKeys());
                watcher.sent();
                slot.completion = reply -> {
                    watcher.completed(written);
                    return reply;
                };
            }
            slot.mayWrite = tx.hasWrite(); // write_ack: EXEC is the transaction's one reply
            if (tx.hasScript() && !s.state().user().unrestricted()) {
                BackendConnection own = s.dedicatedConnection(backend);
                if (own == null) {
                    unwatch(s, watched);
                    s.replyError(slot, forwarder.dedicatedLimitError());
                    return;
                }
                // the whole transaction runs as the mirror: every command in it passed the same rules here
                List<ByteBuf> before = new ArrayList<>(tx.queuedCount() + 1);
                before.add(Unpooled.wrappedBuffer(MULTI));
                before.addAll(tx.takeQueued()); // ownership passed to ScriptUsers
                ScriptUsers.send(s, slot, own, before, Unpooled.wrappedBuffer(EXEC));
                tx.clientCommands().forEach(client -> ClientCommand.notePause(proxy, client));
                return;
            }
            BackendConnection connection = s.connectionFor(backend);
            connection.send(ReplyTarget.discard(), Unpooled.wrappedBuffer(MULTI));
            for (ByteBuf frame : tx.takeQueued()) {
                connection.send(ReplyTarget.discard(), frame); // ownership passed to the connection
            }
            connection.send(slot, Unpooled.wrappedBuffer(EXEC));
            tx.clientCommands().forEach(client -> ClientCommand.notePause(proxy, client));
            connection.pauseIfSaturated(s);
        } finally {
            tx.release();
        }
    }

    void discard(ClientSession s, ReplySlot slot, RespCommand command) {
        Transaction tx = s.state().transaction();
        if (tx == null) {
            s.replyError(slot, "ERR DISCARD without MULTI");
            return;
        }
        s.state().exitMulti();
        tx.release();
        unwatch(s, s.state().unwatch());
        s.reply(slot, RespReplies.ok());
    }

    void watch(ClientSession s, ReplySlot slot, RespCommand command, CommandSpec spec) {
        if (s.state().inMulti()) {
            s.replyError(slot, "ERR WATCH inside MULTI is not allowed");
            return;
        }
        KeyPositions keys = s.pool.keyPositions();
        int keyCount = spec.findSlotArguments(command, keys);
        RouteDecision decision = Router.route(proxy.cluster().snapshot(), command, keyCount, keys);
        if (forwarder.fenced() && Forwarder.servesSlotHere(decision, forwarder.gate().table())) {
            s.replyError(slot, Lease.FENCED_ERROR);
            return;
        }
        if (decision.kind() != RouteDecision.Kind.LOCAL && decision.kind() != RouteDecision.Kind.KEY_CHECK) {
            forwarder.replyRouteError(s, slot, decision, decision.errorLine());
            return;
        }
        if (s.state().watchBackend() != null && !s.state().watchBackend().equals(decision.backend())) {
            s.replyError(slot, "CROSSSLOT Keys in request don't hash to the same slot");
            return;
        }
        BackendConnection own = s.dedicatedConnection(decision.backend());
        if (own == null) {
            s.replyError(slot, forwarder.dedicatedLimitError());
            return;
        }
        s.state().watchingAt(decision.backend());
        own.send(slot, command.frame().retainedDuplicate());
        own.pauseIfSaturated(s);
    }

    void unwatch(ClientSession s, ReplySlot slot, RespCommand command) {
        String watched = s.state().unwatch();
        if (watched == null) {
            s.reply(slot, RespReplies.ok());
            return;
        }
        s.connectionFor(watched).send(slot, command.frame().retainedDuplicate());
    }

    /** Forgets WATCHed keys on their backend (EXEC that never reached it, DISCARD); the reply is dropped. */
    private static void unwatch(ClientSession s, String watched) {
        if (watched != null) {
            s.connectionFor(watched).send(ReplyTarget.discard(), Unpooled.wrappedBuffer(UNWATCH));
        }
    }
}
