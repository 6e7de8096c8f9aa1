package io.moonshard.proxy.internal.route;

import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.util.Locale;
import java.util.Set;

/**
 * Commands the proxy refuses instead of forwarding: they change a connection's mode in ways the proxy
 * does not support (MONITOR), reach beyond database 0 (MOVE, SWAPDB), or act on the backend as
 * a server the proxy manages (SHUTDOWN, REPLICAOF, DEBUG SEGFAULT). Refusals name the command.
 */
public final class CommandPolicy {

    /**
     * Not forwarded: MONITOR and RESET (connection modes the proxy does not carry), replication and
     * server-management commands that act on a backend the proxy manages.
     */
    private static final Set<String> NOT_SUPPORTED = Set.of(
            "monitor", "sync", "psync", "replconf", "reset",
            "shutdown", "failover", "replicaof", "slaveof", "module", "lolwut");

    /** Refused unless {@code allow_dangerous_commands}: stops the backend. */
    private static final String SHUTDOWN = "shutdown";

    /** DEBUG subcommands that crash, stop or exhaust the backend: never passed on. */
    private static final Set<String> DANGEROUS_DEBUG = Set.of(
            "segfault", "panic", "assert", "restart", "crash-and-recover", "oom", "mallctl", "mallctl-str");

    private static final AsciiString DB = AsciiString.cached("DB");

    private CommandPolicy() {
    }

    /** Null when the command may be routed, else the error reply text; {@code name} is the top-level command. */
    public static String refusal(String name, RespCommand command) {
        return refusal(name, command, false);
    }

    /**
     * As {@link #refusal(String, RespCommand)}; with {@code allowDangerous} (the admin setting
     * {@code allow_dangerous_commands}) DEBUG's crashing subcommands and SHUTDOWN go to a backend.
     */
    public static String refusal(String name, RespCommand command, boolean allowDangerous) {
        if (allowDangerous && (name.equals(SHUTDOWN) || name.equals("debug"))) {
            return null;
        }
        switch (name) {
            case "move":
                return "ERR MOVE is not allowed in cluster mode";
            case "swapdb":
                return "ERR SWAPDB is not allowed in cluster mode";
            case "copy":
                return copiesToAnotherDb(command) ? "ERR Copying to another database is not allowed in cluster mode" : null;
            case "debug":
                return command.argCount() > 1 && DANGEROUS_DEBUG.contains(command.argString(1).toLowerCase(Locale.ROOT))
                        ? "ERR DEBUG " + command.argString(1) + " is not allowed through the proxy "
                                + "(allow_dangerous_commands)" : null;
            default:
                return NOT_SUPPORTED.contains(name) ? notSupported(name) : null;
        }
    }

    private static String notSupported(String what) {
        return "ERR '" + what + "' is not supported by this Moonshard version";
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
