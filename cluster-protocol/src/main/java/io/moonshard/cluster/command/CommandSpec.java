package io.moonshard.cluster.command;

import io.moonshard.resp.RespCommand;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What Redis 7.0 knows about one command or subcommand ({@code COMMAND INFO}): name, arity, flags,
 * ACL categories, tips, key specs, subcommands, plus how to find its keys in a request. Instances come
 * from a {@link CommandTable}; they are immutable and safe to share between threads.
 */
public final class CommandSpec {

    private final String name;
    private final String containerName;
    private final int arity;
    private final Set<CommandFlag> flags;
    private final Set<String> aclCategories;
    private final int legacyFirstKey;
    private final int legacyLastKey;
    private final int legacyKeyStep;
    private final String group;
    private final List<String> tips;
    private final List<KeySpec> keySpecs;
    private final List<CommandSpec> subcommandList;
    private final NameIndex subcommands;
    private final FanOut fanOut;
    // precomputed for KeyLocator, following getKeysFromCommandWithSpecs and doesCommandHaveKeys
    final KeyLocator.Proc proc;
    final boolean useKeySpecs;
    final boolean hasKeys;
    /** Set once by the {@link CommandTable} that holds this spec, before the table is published. */
    int topLevelIndex = -1;

    CommandSpec(String name, int arity, Set<CommandFlag> flags, Set<String> aclCategories,
                int[] legacyRange, String group, List<String> tips, List<KeySpec> keySpecs,
                List<CommandSpec> subcommands) {
        this.name = name;
        int bar = name.indexOf('|');
        this.containerName = bar < 0 ? null : name.substring(0, bar);
        this.arity = arity;
        this.flags = flags.isEmpty() ? Collections.emptySet() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
        this.aclCategories = Set.copyOf(aclCategories);
        this.legacyFirstKey = legacyRange[0];
        this.legacyLastKey = legacyRange[1];
        this.legacyKeyStep = legacyRange[2];
        this.group = group;
        this.tips = List.copyOf(tips);
        this.keySpecs = List.copyOf(keySpecs);
        this.subcommandList = List.copyOf(subcommands);
        List<String> subNames = new ArrayList<>();
        for (CommandSpec sub : subcommands) {
            if (!name.equals(sub.containerName)) {
                throw new IllegalArgumentException(sub.name + " is not a subcommand of " + name);
            }
            subNames.add(sub.subcommandName());
        }
        this.subcommands = subcommands.isEmpty() ? null : new NameIndex(subNames, subcommands);
        this.proc = KeyLocator.procFor(name);
        boolean anyRealKey = false;
        boolean variableFlags = false;
        for (KeySpec ks : keySpecs) {
            anyRealKey |= !ks.has(KeyFlag.NOT_KEY);
            variableFlags |= ks.has(KeyFlag.VARIABLE_FLAGS);
        }
        this.useKeySpecs = anyRealKey && !variableFlags;
        this.hasKeys = anyRealKey || proc != KeyLocator.Proc.NONE;
        this.fanOut = FanOut.of(name, this.keySpecs);
    }

    /** Lower-case name; {@code "container|sub"} for a subcommand, e.g. {@code "config|get"}. */
    public String name() {
        return name;
    }

    /** For a subcommand, its container's name ({@code "config"}); {@code null} otherwise. */
    public String containerName() {
        return containerName;
    }

    /** For a subcommand, the part after {@code |} ({@code "get"}); otherwise the whole name. */
    public String subcommandName() {
        return containerName == null ? name : name.substring(containerName.length() + 1);
    }

    /**
     * Redis arity: positive means exactly that many arguments, negative means at least {@code -arity};
     * the command name (and for a subcommand, the subcommand name) counts.
     */
    public int arity() {
        return arity;
    }

    /** Whether {@code argc} arguments (name included) pass Redis's arity check ({@code commandCheckArity}). */
    public boolean arityOk(int argc) {
        return arity > 0 ? argc == arity : argc >= -arity;
    }

    /** Flags, unmodifiable. */
    public Set<CommandFlag> flags() {
        return flags;
    }

    /** Whether this command carries {@code flag}. */
    public boolean has(CommandFlag flag) {
        return flags.contains(flag);
    }

    /** Shorthand for {@code has(CommandFlag.WRITE)}. */
    public boolean isWrite() {
        return flags.contains(CommandFlag.WRITE);
    }

    /** Shorthand for {@code has(CommandFlag.READONLY)}. */
    public boolean isReadOnly() {
        return flags.contains(CommandFlag.READONLY);
    }

    /** Shorthand for {@code has(CommandFlag.BLOCKING)}. */
    public boolean isBlocking() {
        return flags.contains(CommandFlag.BLOCKING);
    }

    /** Shorthand for {@code has(CommandFlag.PUBSUB)}. */
    public boolean isPubSub() {
        return flags.contains(CommandFlag.PUBSUB);
    }

    /** Shorthand for {@code has(CommandFlag.ADMIN)}. */
    public boolean isAdmin() {
        return flags.contains(CommandFlag.ADMIN);
    }

    /** Shorthand for {@code has(CommandFlag.MOVABLEKEYS)}. */
    public boolean hasMovableKeys() {
        return flags.contains(CommandFlag.MOVABLEKEYS);
    }

    /** ACL categories without the {@code @}, e.g. {@code "read"}, {@code "string"}, {@code "fast"}. */
    public Set<String> aclCategories() {
        return aclCategories;
    }

    /** The legacy first key index from COMMAND INFO (0 when the command has none). */
    public int legacyFirstKey() {
        return legacyFirstKey;
    }

    /** The legacy last key index from COMMAND INFO (negative counts from the end). */
    public int legacyLastKey() {
        return legacyLastKey;
    }

    /** The legacy key step from COMMAND INFO. */
    public int legacyKeyStep() {
        return legacyKeyStep;
    }

    /** The COMMAND DOCS group, e.g. {@code "string"}, {@code "cluster"}, {@code "server"}. */
    public String group() {
        return group;
    }

    /** Command tips, e.g. {@code "request_policy:all_shards"}, {@code "nondeterministic_output"}. */
    public List<String> tips() {
        return tips;
    }

    /** The {@code request_policy} tip value ({@code "all_shards"}, {@code "multi_shard"}, ...), or null. */
    public String requestPolicy() {
        return tipValue("request_policy:");
    }

    /** The {@code response_policy} tip value ({@code "agg_sum"}, {@code "all_succeeded"}, ...), or null. */
    public String responsePolicy() {
        return tipValue("response_policy:");
    }

    private String tipValue(String prefix) {
        for (String tip : tips) {
            if (tip.startsWith(prefix)) {
                return tip.substring(prefix.length());
            }
        }
        return null;
    }

    /** Key specs in COMMAND INFO order. */
    public List<KeySpec> keySpecs() {
        return keySpecs;
    }

    /**
     * Whether the command can have key arguments at all (Redis's {@code doesCommandHaveKeys}: a key
     * spec that is not {@code not_key}, or its own key finder). {@code COMMAND GETKEYS} answers
     * "The command has no key arguments" for the others.
     */
    public boolean hasKeys() {
        return hasKeys;
    }

    /**
     * Position of this command in its table's {@link CommandTable#commands()} (name order), of its
     * container for a subcommand: a dense index from 0, e.g. for per-command counters kept in an array.
     * -1 for a spec outside any table.
     */
    public int topLevelIndex() {
        return topLevelIndex;
    }

    /** Whether this is a container command (CONFIG, CLIENT, OBJECT, ...) with subcommands. */
    public boolean isContainer() {
        return subcommands != null;
    }

    /** Subcommands in name order; empty unless {@link #isContainer()}. */
    public List<CommandSpec> subcommands() {
        return subcommandList;
    }

    /** The subcommand called {@code name} (ASCII case ignored, e.g. {@code "get"}), or null. */
    public CommandSpec subcommand(String name) {
        if (subcommands == null) {
            return null;
        }
        byte[] bytes = name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
        return subcommands.find(bytes, 0, bytes.length);
    }

    /** Subcommand named by argument {@code i} of {@code cmd}, or null; allocation-free. */
    CommandSpec subcommand(RespCommand cmd, int i) {
        return subcommands == null ? null : subcommands.find(cmd.frame(), cmd.argOffset(i), cmd.argLength(i));
    }

    /** Whether (and how) the proxy may split this multi-key command by slot. */
    public FanOut fanOut() {
        return fanOut;
    }

    /**
     * Finds the key arguments of {@code cmd} exactly as Redis 7.0's {@code COMMAND GETKEYS} does
     * ({@code getKeysFromCommandWithSpecs}: key specs first, then the command's own key finder for
     * EVAL/FCALL numkeys, XREAD STREAMS, SORT STORE, MIGRATE KEYS, GEORADIUS STORE, ...), and writes
     * their indexes into {@code out} in Redis's order. Allocation-free unless {@code out} must grow.
     *
     * <p>{@code cmd} must be a request for this spec (as returned by {@link CommandTable#lookup}).
     * Nothing is thrown for malformed arguments (bad numkeys, missing STREAMS IDs, wrong arity):
     *
     * @return the number of keys (0 for keyless commands, and for {@link CommandFlag#NO_MANDATORY_KEYS}
     *         commands such as {@code EVAL s 0}); or {@link KeyPositions#INVALID} when Redis would
     *         reject these arguments: the arity is wrong, or the command has keys but none can be
     *         located (non-integer, negative or too large numkeys, XREAD without a full STREAMS
     *         section, ...). Redis's {@code COMMAND GETKEYS} answers an error then; the proxy can
     *         forward such a request to any backend to get Redis's exact error reply.
     */
    public int findKeys(RespCommand cmd, KeyPositions out) {
        return KeyLocator.locate(this, cmd, out);
    }

    /**
     * The arguments Redis Cluster hashes to route {@code cmd}: the keys of {@link #findKeys}, or for
     * sharded Pub/Sub ({@code SPUBLISH}, {@code SSUBSCRIBE}, {@code SUNSUBSCRIBE}, whose key specs are
     * {@code not_key}) the shard channels. Same return contract as {@link #findKeys}.
     */
    public int findSlotArguments(RespCommand cmd, KeyPositions out) {
        if (hasKeys || keySpecs.isEmpty()) {
            return KeyLocator.locate(this, cmd, out);
        }
        return KeyLocator.locateNotKeys(this, cmd, out);
    }

    @Override
    public String toString() {
        return "CommandSpec[" + name + " arity=" + arity + " flags=" + flags + " keySpecs=" + keySpecs.size() + "]";
    }
}
