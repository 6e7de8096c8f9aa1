package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.proxy.internal.route.CommandPolicy;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.route.KillCommands;
import io.moonshard.proxy.internal.route.MultiBackendCommands;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides what happens to every client command. In order:
 * <ol>
 *   <li>{@code UMCTL}: undermoon's control commands ({@link UmctlCommands}, which applies their own
 *       authentication rules: {@code NOAUTH} before AUTH, the admin password, the cluster secret);</li>
 *   <li>look the command up in the table generated from Redis 7 (unknown command or subcommand, wrong
 *       arity: Redis's exact errors);</li>
 *   <li>authentication ({@code NOAUTH}), then the user's ACL permissions ({@link AclCommands#permits});</li>
 *   <li>inside MULTI: the command is checked and queued ({@link TransactionCommands});</li>
 *   <li>proxy-local commands ({@link #registerLocalCommands()}): CLUSTER, PING, HELLO, CLIENT, MULTI, CONFIG
 *       (the proxy's own {@code moonshard-*} settings, the rest forwarded), ...;</li>
 *   <li>commands refused until the proxy supports them safely ({@link CommandPolicy});</li>
 *   <li>everything else is routed by its keys ({@link Forwarder}): forwarded unchanged to a local
 *       backend, or answered with MOVED / ASK / CROSSSLOT / CLUSTERDOWN.</li>
 * </ol>
 */
public final class CommandDispatcher {

    /** Commands a client may send before AUTH, as in Redis. */
    private static final Set<String> NO_AUTH = Set.of("auth", "hello", "quit");
    private static final AsciiString UMCTL = AsciiString.cached("UMCTL");
    private static final AsciiString PAUSE = AsciiString.cached("PAUSE");
    private static final AsciiString UNPAUSE = AsciiString.cached("UNPAUSE");

    /** A command the proxy answers itself. */
    @FunctionalInterface
    interface LocalCommand {
        void handle(ClientSession session, ReplySlot slot, RespCommand command);
    }

    private final ProxyContext proxy;
    private final CommandTable table = CommandTable.standard();
    /** Keyed by top-level command name; a local container command handles its own subcommands. */
    private final Map<String, LocalCommand> local = new HashMap<>();
    private final Forwarder forwarder;
    private final UmctlCommands umctl;
    private final TransactionCommands transactions;
    private final PubSubCommands pubsub;

    CommandDispatcher(ProxyContext proxy) {
        this.proxy = proxy;
        this.forwarder = new Forwarder(proxy);
        this.transactions = new TransactionCommands(proxy, forwarder);
        this.pubsub = new PubSubCommands(proxy, forwarder);
        this.umctl = new UmctlCommands(proxy, pubsub);
        registerLocalCommands();
    }

    private void registerLocalCommands() {
        ClusterCommands cluster = new ClusterCommands(proxy);
        CommandCommands command = new CommandCommands(table, forwarder);
        // PING reaches the backends when there are some, so a busy backend answers BUSY as a Redis
        // node running a long script does; without metadata, or subscribed, the proxy answers
        register("ping", (session, slot, cmd) -> {
            if ((session.protocol == 2 && session.inSubscribedMode()) || cmd.argCount() > 2
                    || proxy.cluster().snapshot().localBackends().isEmpty()) {
                ConnectionCommands.ping(session, slot, cmd);
            } else {
                forwarder.forward(session, slot, cmd, table.lookup(cmd), false);
            }
        });
        register("echo", ConnectionCommands::echo);
        register("quit", ConnectionCommands::quit);
        register("select", ConnectionCommands::select);
        register("asking", ConnectionCommands::asking);
        register("readonly", ConnectionCommands::readonly);
        register("readwrite", ConnectionCommands::readwrite);
        register("auth", ConnectionCommands::auth);
        register("hello", ConnectionCommands::hello);
        register("client", (session, slot, cmd) -> {
            // CLIENT PAUSE/UNPAUSE pause the node's clients: here, every local backend's
            var backends = proxy.cluster().snapshot().localBackends();
            if (cmd.argCount() >= 2 && (cmd.argEqualsIgnoreCase(1, PAUSE) || cmd.argEqualsIgnoreCase(1, UNPAUSE))
                    && !backends.isEmpty()) {
                MultiBackendCommands.broadcast(session, slot, cmd, MultiBackendCommands.Merge.FIRST_IF_ALL_OK,
                        List.copyOf(backends));
                notePause(proxy, cmd);
            } else {
                ConnectionCommands.client(session, slot, cmd);
            }
        });
        register("info", InfoCommand::handle);
        register("cluster", cluster::handle);
        register("command", command::handle);
        register("multi", transactions::multi);
        register("exec", transactions::exec);
        register("discard", transactions::discard);
        register("watch", (session, slot, cmd) -> transactions.watch(session, slot, cmd, table.lookup(cmd)));
        register("unwatch", transactions::unwatch);
        for (String name : List.of("subscribe", "psubscribe", "unsubscribe", "punsubscribe")) {
            register(name, pubsub::classic);
        }
        for (String name : List.of("ssubscribe", "sunsubscribe")) {
            register(name, (session, slot, cmd) -> pubsub.shard(session, slot, cmd, table.lookup(cmd)));
        }
        register("publish", pubsub::publish);
        register("pubsub", pubsub::introspect);
        register("acl", new AclCommands(proxy, table)::handle); // the proxy's own users, not the backends'
        register("slowlog", new SlowlogCommands(proxy)::handle); // the proxy's own slow log, not the backends'
        // the proxy's own moonshard-* settings; Redis's parameters still go to the backends
        ConfigCommands config = new ConfigCommands(proxy, forwarder);
        register("config", (session, slot, cmd) -> config.handle(session, slot, cmd, table.lookup(cmd)));
    }

    private void register(String name, LocalCommand handler) {
        if (table.lookup(name) == null) {
            throw new IllegalStateException("command table lacks " + name);
        }
        local.put(name, handler);
    }

    /** Handles one command. The caller keeps ownership of {@code command} and releases it after this returns. */
    public void dispatch(ClientSession session, ReplySlot slot, RespCommand command) {
        proxy.metrics().commandProcessed();
        if (command.argEqualsIgnoreCase(0, UMCTL)) {
            // undermoon's control commands are not Redis commands, so they are not in the table
            session.lastCommand = "umctl";
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
            if (session.transaction != null) {
                session.transaction.dirty = true; // as Redis's rejectCommand: EXEC will abort
            }
            proxy.metrics().errorReply();
            session.replyError(slot, new String(rejection, java.nio.charset.StandardCharsets.UTF_8));
            return;
        }
        session.lastCommand = spec.name();
        boolean asking = session.asking;
        session.asking = false;
        // the password may have been removed since this client connected (CONFIG SET moonshard-password ""):
        // then, as in Redis, it needs no AUTH any more (read only for clients that have not authenticated)
        if (!session.authenticated && !NO_AUTH.contains(topName) && !proxy.credentials().openByDefault()) {
            if (session.transaction != null) {
                session.transaction.dirty = true;
            }
            session.replyError(slot, "NOAUTH Authentication required.");
            return;
        }
        if (!AclCommands.permits(session, slot, command, spec)) {
            return;
        }
        if (session.protocol == 2 && session.inSubscribedMode()
                && !PubSubCommands.ALLOWED_WHEN_SUBSCRIBED.contains(topName)) {
            session.replyError(slot, PubSubCommands.subscribedModeRefusal(spec.name()));
            return;
        }
        if (session.transaction != null && !TransactionCommands.NOT_QUEUED.contains(topName)) {
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

    /** Remembers a CLIENT PAUSE until its end, or forgets it on UNPAUSE ({@link ProxyContext#clientsMayBePaused}). */
    static void notePause(ProxyContext proxy, RespCommand cmd) {
        if (cmd.argCount() < 2 || !cmd.argEqualsIgnoreCase(1, PAUSE) && !cmd.argEqualsIgnoreCase(1, UNPAUSE)) {
            return;
        }
        if (cmd.argEqualsIgnoreCase(1, UNPAUSE)) {
            proxy.clientsUnpaused();
        } else if (cmd.argCount() >= 3) {
            try {
                long timeout = cmd.argLong(2);
                if (timeout >= 0) {
                    proxy.clientsPaused(timeout);
                }
            } catch (NumberFormatException e) {
                // the backends answer the bad timeout; nothing is paused
            }
        }
    }
}
