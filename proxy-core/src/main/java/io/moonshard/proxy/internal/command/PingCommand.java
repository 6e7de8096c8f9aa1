package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;

/**
 * PING reaches the backends when there are some, so a busy backend answers BUSY as a Redis node
 * running a long script does; without metadata, subscribed (RESP2), or with too many arguments, the
 * proxy answers itself.
 */
final class PingCommand implements LocalCommand {

    private final ProxyContext proxy;
    private final CommandTable table;
    private final Forwarder forwarder;

    PingCommand(ProxyContext proxy, CommandTable table, Forwarder forwarder) {
        this.proxy = proxy;
        this.table = table;
        this.forwarder = forwarder;
    }

    @Override
    public void handle(ClientSession session, ReplySlot slot, RespCommand cmd) {
        if ((session.state().protocol() == 2 && session.state().isSubscribed()) || cmd.argCount() > 2
                || proxy.cluster().snapshot().localBackends().isEmpty()) {
            ConnectionCommands.ping(session, slot, cmd);
        } else {
            forwarder.forward(session, slot, cmd, table.lookup(cmd), false);
        }
    }
}
