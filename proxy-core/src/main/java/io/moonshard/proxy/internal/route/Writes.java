package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.command.CommandSpec;
import java.util.Set;

/**
 * Which commands count as writes for {@code write_ack replica} (their replies wait for a replica's
 * confirmation): those the command table flags {@code write}, and the scripts and functions that may
 * write without the flag (EVAL, EVALSHA, FCALL; their {@code _ro} forms cannot write). A transaction
 * counts as one write at EXEC when it queued any of these.
 */
public final class Writes {

    /** Scripts the table does not flag {@code write} although they may write. */
    private static final Set<String> SCRIPTS = Set.of("eval", "evalsha", "fcall");

    private Writes() {
    }

    public static boolean mayWrite(CommandSpec spec) {
        return spec.isWrite() || SCRIPTS.contains(spec.name());
    }
}
