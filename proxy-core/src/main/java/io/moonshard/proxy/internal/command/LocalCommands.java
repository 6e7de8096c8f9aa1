package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.internal.route.Forwarder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The commands the proxy answers itself, one registration line each, by top-level name (a container
 * command such as CLIENT or CLUSTER handles its own subcommands). Everything not here is routed by its
 * keys ({@link Forwarder}).
 */
final class LocalCommands {

    private final CommandTable table;
    private final Map<String, LocalCommand> byName = new HashMap<>();

    LocalCommands(ProxyContext proxy, CommandTable table, Forwarder forwarder, TransactionCommands transactions,
                  PubSubCommands pubsub) {
        this.table = table;
        register("ping", new PingCommand(proxy, table, forwarder));
        register("echo", ConnectionCommands::echo);
        register("quit", ConnectionCommands::quit);
        register("select", ConnectionCommands::select);
        register("asking", ConnectionCommands::asking);
        register("readonly", ConnectionCommands::readonly);
        register("readwrite", ConnectionCommands::readwrite);
        register("auth", ConnectionCommands::auth);
        register("hello", ConnectionCommands::hello);
        register("client", new ClientCommand(proxy));
        register("info", new InfoCommand(proxy)::handle);
        register("cluster", new ClusterCommands(proxy)::handle);
        register("command", new CommandCommands(table, forwarder)::handle);
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
        byName.put(name, handler);
    }

    Map<String, LocalCommand> byName() {
        return Map.copyOf(byName);
    }
}
