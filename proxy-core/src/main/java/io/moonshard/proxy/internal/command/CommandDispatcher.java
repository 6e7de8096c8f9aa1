package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.proxy.internal.route.CommandPolicy;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.route.KillCommands;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.CommandHandler;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * Decides what happens to every client command. In order:
 * <ol>
 *   <li>{@code UMCTL}: undermoon's control commands ({@link UmctlCommands}, which applies their own
 *       authentication rules: {@code NOAUTH} before AUTH, the admin password, the cluster secret);</li>
 *   <li>look the command up in the table generated from Redis 7 (unknown command or subcommand, wrong
 *       arity: Redis's exact errors);</li>
 *   <li>authentication ({@code NOAUTH}), then the user's ACL permissions ({@link AclCommands#permits}); a
 *       connection that sent {@code UMCTL AUTH <admin_password>} passes both for a CONFIG GET or SET of
 *       the proxy's own settings only ({@link ConfigCommands#onlyProxySettings});</li>
 *   <li>inside MULTI: the command is checked and queued ({@link TransactionCommands});</li>
 *   <li>proxy-local commands ({@link LocalCommands}, one line each): CLUSTER, PING, HELLO, CLIENT, MULTI, CONFIG
 *       (the proxy's own {@code moonshard-*} settings, the rest forwarded), ...;</li>
 *   <li>commands refused until the proxy supports them safely ({@link CommandPolicy});</li>
 *   <li>everything else is routed by its keys ({@link Forwarder}): forwarded unchanged to a local
 *       backend, or answered with MOVED / ASK / CROSSSLOT / CLUSTERDOWN.</li>
 * </ol>
 */
public final class CommandDispatcher implements CommandHandler {

    /** Commands a client may send before AUTH, as in Redis. */
    private static final Set<String> NO_AUTH = Set.of("auth", "hello", "quit");
    private static final AsciiString UMCTL = AsciiString.cached("UMCTL");

    private final ProxyContext proxy;
    private final CommandTable table = CommandTable.standard();
    /** Keyed by top-level command name; a local container command handles its own subcommands. */
    private final Map<String, LocalCommand> local;
    private final Forwarder forwarder;
    private final UmctlCommands umctl;
    private final TransactionCommands transactions;
    private final PubSubCommands pubsub;

    CommandDispatcher(ProxyContext proxy) {
        this.proxy = proxy;
        this.forwarder = new Forwarder(proxy, proxy.migrationGate());
        this.transactions = new TransactionCommands(proxy, forwarder);
        this.pubsub = new PubSubCommands(proxy, forwarder);
        this.umctl = new UmctlCommands(proxy, pubsub);
        this.local = new LocalCommands(proxy, table, forwarder, transactions, pubsub).byName();
    }

    /** Handles one command. The caller keeps ownership of {@code command} and releases it after this returns. */
    public void dispatch(ClientSession session, ReplySlot slot, RespCommand command) {
        proxy.metrics().commandProcessed();
        if (command.argEqualsIgnoreCase(0, UMCTL)) {
            // undermoon's control commands are not Redis commands, so they are not in the table
            session.state().commandStarted("umctl");
            slot.command = CommandOutcome.UMCTL; // moonshard_commands_total{command="umctl"}
            // NOAUTH before AUTH, the admin password, the cluster secret: UmctlCommands.refusal
            umctl.handle(session, slot, command);
            return;
        }
        CommandSpec spec = table.lookup(command);
        slot.command = CommandOutcome.indexOf(spec); // counted by name and outcome when its reply completes
        String topName = spec == null ? null : spec.containerName() != null ? spec.containerName() : spec.name();
        LocalCommand handler = topName == null ? null : local.get(topName);
        // A local container (CLIENT, CLUSTER) answers subcommands newer than the table (CLIENT SETINFO,
        // CLUSTER MYSHARDID) itself, so only the table's arity check applies to it.
        boolean localSubcommand = handler != null && spec.isContainer() && command.argCount() > 1;
        byte[] rejection = localSubcommand ? null : CommandErrors.rejection(spec, command);
        if (rejection != null) {
            session.state().markTransactionDirty(); // as Redis's rejectCommand: EXEC will abort
            proxy.metrics().errorReply();
            session.replyError(slot, new String(rejection, StandardCharsets.UTF_8));
            return;
        }
        session.state().commandStarted(spec.name());
        boolean asking = session.state().takeAsking();
        // the password may have been removed since this client connected (CONFIG SET moonshard-password ""):
        // then, as in Redis, it needs no AUTH any more (read only for clients that have not authenticated)
        // the admin password may change the proxy's own settings, the client password among them, without
        // that password: the controller sets, rotates and clears a cluster's password on connections that
        // proved only the admin password (UMCTL AUTH), as it changes the metadata
        boolean adminSettings = session.state().isAdmin() && ConfigCommands.onlyProxySettings(command);
        if (!session.state().isAuthenticated() && !NO_AUTH.contains(topName) && !proxy.credentials().openByDefault()
                && !adminSettings) {
            session.state().markTransactionDirty();
            session.replyError(slot, "NOAUTH Authentication required.");
            return;
        }
        if (!adminSettings && !AclCommands.permits(session, slot, command, spec)) {
            return;
        }
        if (session.state().protocol() == 2 && session.inSubscribedMode()
                && !PubSubCommands.ALLOWED_WHEN_SUBSCRIBED.contains(topName)) {
            session.replyError(slot, PubSubCommands.subscribedModeRefusal(spec.name()));
            return;
        }
        if (session.state().inMulti() && !TransactionCommands.NOT_QUEUED.contains(topName)) {
            transactions.queue(session, slot, command, spec, asking);
            return;
        }
        if (handler != null) {
            handler.handle(session, slot, command);
            return;
        }
        String refusal = CommandPolicy.refusal(topName, command, proxy.config().allowDangerousCommands());
        if (refusal != null) {
            session.replyError(slot, refusal);
            return;
        }
        if (KillCommands.isKill(spec)) {
            // SCRIPT KILL / FUNCTION KILL must reach Redis while it runs the script, which may be
            // holding this client's shared connection: they go on a connection of their own
            forwarder.sendOnFreshConnection(session, slot, command);
            return;
        }
        forwarder.forward(session, slot, command, spec, asking);
    }
}
