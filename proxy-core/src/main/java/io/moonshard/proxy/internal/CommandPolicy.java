package io.moonshard.proxy.internal;

import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.util.Set;

/**
 * Commands the proxy refuses instead of forwarding, because forwarding them over a shared,
 * pipelined backend connection would be wrong: they block it (BLPOP, WAIT), change its mode
 * (SUBSCRIBE, MULTI, MONITOR), reach beyond database 0 (MOVE, SWAPDB), or act on the backend as a
 * server the proxy manages (SHUTDOWN, REPLICAOF). Refusals name the command so the reason is clear.
 */
final class CommandPolicy {

    /** Not safe on a shared connection; each gets its own support later (dedicated connections). */
    private static final Set<String> NOT_SUPPORTED = Set.of(
            "multi", "exec", "discard", "watch", "unwatch",
            "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
            "publish", "spublish", "pubsub",
            "blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait",
            "monitor", "sync", "psync", "replconf", "reset",
            "shutdown", "debug", "failover", "replicaof", "slaveof", "acl", "module", "lolwut");

    private static final AsciiString BLOCK = AsciiString.cached("BLOCK");
    private static final AsciiString STREAMS = AsciiString.cached("STREAMS");
    private static final AsciiString DB = AsciiString.cached("DB");

    private CommandPolicy() {
    }

    /** Null when the command may be routed, else the error reply text; {@code name} is the top-level command. */
    static String refusal(String name, RespCommand command) {
        switch (name) {
            case "move":
                return "ERR MOVE is not allowed in cluster mode";
            case "swapdb":
                return "ERR SWAPDB is not allowed in cluster mode";
            case "copy":
                return copiesToAnotherDb(command) ? "ERR Copying to another database is not allowed in cluster mode" : null;
            case "xread":
            case "xreadgroup":
                return blocksOnStreams(command) ? notSupported(name + " with BLOCK") : null;
            default:
                return NOT_SUPPORTED.contains(name) ? notSupported(name) : null;
        }
    }

    private static String notSupported(String what) {
        return "ERR '" + what + "' is not supported by this Moonshard version";
    }

    private static boolean blocksOnStreams(RespCommand command) {
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

    private static boolean copiesToAnotherDb(RespCommand command) {
        for (int i = 3; i + 1 < command.argCount(); i++) {
            if (command.argEqualsIgnoreCase(i, DB)) {
                try {
                    return command.argLong(i + 1) != 0;
                } catch (NumberFormatException e) {
                    return false; // Redis itself will reply with its parse error
                }
            }
        }
        return false;
    }
}
