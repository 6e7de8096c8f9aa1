package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.internal.route.MultiBackendCommands;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Set;

/**
 * CLIENT. PAUSE and UNPAUSE pause a node's clients: here, every local backend's, so they go to each
 * backend and the proxy remembers the pause ({@link ProxyContext#clientsMayBePaused}). The other
 * subcommands are the proxy's own ({@link ConnectionCommands#client}).
 */
final class ClientCommand implements LocalCommand {

    private static final AsciiString PAUSE = AsciiString.cached("PAUSE");
    private static final AsciiString UNPAUSE = AsciiString.cached("UNPAUSE");

    private final ProxyContext proxy;

    ClientCommand(ProxyContext proxy) {
        this.proxy = proxy;
    }

    @Override
    public void handle(ClientSession session, ReplySlot slot, RespCommand cmd) {
        Set<String> backends = proxy.cluster().snapshot().localBackends();
        if (cmd.argCount() >= 2 && (cmd.argEqualsIgnoreCase(1, PAUSE) || cmd.argEqualsIgnoreCase(1, UNPAUSE))
                && !backends.isEmpty()) {
            MultiBackendCommands.broadcast(session, slot, cmd, MultiBackendCommands.Merge.FIRST_IF_ALL_OK,
                    List.copyOf(backends));
            notePause(proxy, cmd);
        } else {
            ConnectionCommands.client(session, slot, cmd);
        }
    }

    /** Remembers a CLIENT PAUSE until its end, or forgets it on UNPAUSE; other commands change nothing. */
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
