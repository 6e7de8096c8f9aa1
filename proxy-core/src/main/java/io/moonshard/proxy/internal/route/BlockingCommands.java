package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;

/** Which requests may block their connection in Redis, and so need a connection of their own. */
final class BlockingCommands {

    private static final AsciiString BLOCK = AsciiString.cached("BLOCK");
    private static final AsciiString STREAMS = AsciiString.cached("STREAMS");

    private BlockingCommands() {
    }

    /**
     * True for the commands Redis flags {@code blocking} (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, ...),
     * except XREAD and XREADGROUP without a {@code BLOCK} option, which never block; and for WAIT.
     */
    static boolean mayBlock(CommandSpec spec, RespCommand command) {
        if (spec.name().equals("wait")) {
            return true;
        }
        if (!spec.isBlocking()) {
            return false;
        }
        if (spec.name().equals("xread") || spec.name().equals("xreadgroup")) {
            return hasBlockOption(command);
        }
        return true;
    }

    /** XREAD / XREADGROUP: a BLOCK option before STREAMS (after it everything is keys and IDs). */
    static boolean hasBlockOption(RespCommand command) {
        for (int i = 1; i < command.argCount(); i++) {
            if (command.argEqualsIgnoreCase(i, STREAMS)) {
                return false;
            }
            if (command.argEqualsIgnoreCase(i, BLOCK)) {
                return true;
            }
        }
        return false;
    }
}
