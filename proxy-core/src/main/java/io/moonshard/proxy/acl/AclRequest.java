package io.moonshard.proxy.acl;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.resp.RespCommand;
import java.nio.charset.StandardCharsets;

/**
 * One command as the permission check sees it: its spec, arguments, keys with their read/write access
 * (found once, shared by all selectors, as Redis's {@code aclKeyResultCache}) and Pub/Sub channels.
 */
public final class AclRequest {

    private static final int[] NONE = new int[0];

    private final CommandSpec spec;
    private final RespCommand command;
    private KeyPositions keys;

    /** {@code command} as looked up in the standard table; argument 0 is the command name. */
    public AclRequest(CommandSpec spec, RespCommand command) {
        this.spec = spec;
        this.command = command;
    }

    CommandSpec spec() {
        return spec;
    }

    int argCount() {
        return command.argCount();
    }

    byte[] argBytes(int i) {
        return command.argBytes(i);
    }

    String argString(int i) {
        return new String(argBytes(i), StandardCharsets.ISO_8859_1);
    }

    int keyCount() {
        if (keys == null) {
            keys = new KeyPositions(8);
            spec.findKeys(command, keys);
        }
        return keys.count();
    }

    int keyPosition(int j) {
        return keys.get(j);
    }

    int keyAccess(int j) {
        return keys.access(j);
    }

    /** Arguments Redis checks against channel rules (publish and subscribe flags; not unsubscribes). */
    int[] channelArgs() {
        String name = spec.name();
        switch (name) {
            case "publish", "spublish" -> {
                return argCount() > 1 ? new int[] {1} : NONE;
            }
            case "subscribe", "ssubscribe", "psubscribe" -> {
                int[] all = new int[Math.max(0, argCount() - 1)];
                for (int i = 0; i < all.length; i++) {
                    all[i] = i + 1;
                }
                return all;
            }
            default -> {
                return NONE;
            }
        }
    }

    boolean channelsArePatterns() {
        return spec.name().equals("psubscribe");
    }
}
