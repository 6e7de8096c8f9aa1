package io.moonshard.cluster.command;

import io.moonshard.resp.RespCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Every Redis command the proxy knows, with its {@link CommandSpec}: generated from a real
 * {@code redis-server}'s {@code COMMAND INFO}/{@code COMMAND DOCS} into the resource {@link #RESOURCE}
 * by {@code scripts/generate-command-table.sh}. Immutable and safe to share between threads; lookups
 * allocate nothing.
 *
 * <pre>{@code
 * CommandSpec spec = CommandTable.standard().lookup(cmd);
 * byte[] error = CommandErrors.rejection(spec, cmd);      // unknown command/subcommand, wrong arity
 * if (error == null) {
 *     int n = spec.findKeys(cmd, keys);                    // keys: a KeyPositions reused per event loop
 * }
 * }</pre>
 */
public final class CommandTable {

    /** Classpath location of the generated table of the standard Redis version. */
    public static final String RESOURCE = "/io/moonshard/cluster/command/commands.txt";

    private final String redisVersion;
    private final List<CommandSpec> commands;
    private final List<CommandSpec> allCommands;
    private final NameIndex index;

    CommandTable(String redisVersion, List<CommandSpec> commands) {
        this.redisVersion = redisVersion;
        List<CommandSpec> sorted = new ArrayList<>(commands);
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        this.commands = List.copyOf(sorted);
        List<CommandSpec> all = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (CommandSpec c : this.commands) {
            c.topLevelIndex = names.size();
            for (CommandSpec sub : c.subcommands()) {
                sub.topLevelIndex = names.size();
            }
            names.add(c.name());
            all.add(c);
            all.addAll(c.subcommands());
        }
        this.allCommands = Collections.unmodifiableList(all);
        this.index = new NameIndex(names, this.commands);
    }

    /** The table generated from Redis 7.0.15, loaded from {@link #RESOURCE} once per class loader. */
    public static CommandTable standard() {
        return Standard.TABLE;
    }

    /** Parses a table in the generator's text format (see {@link #RESOURCE}); for other Redis versions and tests. */
    public static CommandTable parse(String text) {
        return CommandTableParser.parse(text);
    }

    /** The {@code redis_version} the table was generated from. */
    public String redisVersion() {
        return redisVersion;
    }

    /**
     * The spec for request {@code cmd}, as Redis's {@code lookupCommand} finds it: argument 0 names the
     * command, ignoring ASCII case; for a container command with more than one argument, argument 1
     * names the subcommand. Allocation-free.
     *
     * @return the command or subcommand; the container itself when the subcommand is unknown (so that
     *         {@link CommandErrors#rejection} gives Redis's "unknown subcommand" error) or missing (its
     *         arity then fails); {@code null} for an unknown command
     */
    public CommandSpec lookup(RespCommand cmd) {
        CommandSpec spec = index.find(cmd.frame(), cmd.argOffset(0), cmd.argLength(0));
        if (spec == null || !spec.isContainer() || cmd.argCount() < 2) {
            return spec;
        }
        CommandSpec sub = spec.subcommand(cmd, 1);
        return sub != null ? sub : spec;
    }

    /**
     * The command called {@code name}, ignoring ASCII case; {@code "container|sub"} names a subcommand
     * ({@code "CONFIG|GET"}). Returns {@code null} when there is none.
     */
    public CommandSpec lookup(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        int bar = lower.indexOf('|');
        byte[] top = (bar < 0 ? lower : lower.substring(0, bar)).getBytes(StandardCharsets.UTF_8);
        CommandSpec spec = index.find(top, 0, top.length);
        if (spec == null || bar < 0) {
            return spec;
        }
        return spec.subcommand(lower.substring(bar + 1));
    }

    /** Top-level commands (containers included), in name order. */
    public List<CommandSpec> commands() {
        return commands;
    }

    /** Every command and subcommand, each container followed by its subcommands. */
    public List<CommandSpec> allCommands() {
        return allCommands;
    }

    /** Loads the standard table on first use. */
    private static final class Standard {
        static final CommandTable TABLE = load();

        private static CommandTable load() {
            try (InputStream in = CommandTable.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("command table resource " + RESOURCE + " is missing");
                }
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + RESOURCE, e);
            }
        }
    }
}
