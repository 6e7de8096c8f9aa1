package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.command.CommandSpec;

/** SCRIPT KILL and FUNCTION KILL: they stop a script another client's request is running. */
public final class KillCommands {

    private KillCommands() {
    }

    public static boolean isKill(CommandSpec spec) {
        return "kill".equals(spec.subcommandName())
                && ("script".equals(spec.containerName()) || "function".equals(spec.containerName()));
    }
}
