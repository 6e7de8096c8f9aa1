package io.moonshard.proxy.acl;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** A dense id for every command and subcommand of the generated table: bit positions of a selector. */
final class CommandIds {

    static final CommandTable TABLE = CommandTable.standard();
    private static final List<CommandSpec> ALL = TABLE.allCommands();
    private static final Map<CommandSpec, Integer> IDS = new IdentityHashMap<>();

    static {
        for (int i = 0; i < ALL.size(); i++) {
            IDS.put(ALL.get(i), i);
        }
    }

    private CommandIds() {
    }

    static int id(CommandSpec spec) {
        Integer id = IDS.get(spec);
        if (id == null) {
            throw new IllegalArgumentException(spec.name() + " is not in the standard command table");
        }
        return id;
    }

    /** The command for an {@code ACL SETUSER} rule, as Redis's {@code ACLLookupCommand}; null when unknown. */
    static CommandSpec lookup(String name) {
        if (name.isEmpty() || name.indexOf('|') != name.lastIndexOf('|')) {
            return null;
        }
        return TABLE.lookup(name);
    }
}
