package io.moonshard.proxy.internal.metrics;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code command} and {@code outcome} tags of {@code moonshard_commands_total}, both bounded: a
 * command is named by its top-level name in the command table (subcommands count under their container,
 * {@code config}, {@code client}, ...), plus {@code umctl} and {@code unknown}; the outcome is read from
 * the first bytes of the reply.
 */
public final class CommandOutcome {

    public static final int OK = 0;
    static final int ERROR = 1;
    static final int MOVED = 2;
    static final int ASK = 3;
    static final int CROSSSLOT = 4;
    static final int CLUSTERDOWN = 5;
    static final int TIMEOUT = 6;
    public static final int COUNT = 7;
    private static final String[] OUTCOME_NAMES = {"ok", "error", "moved", "ask", "crossslot", "clusterdown", "timeout"};

    /** A reply slot that does not answer a command (a pushed pub/sub frame, a protocol error): not counted. */
    public static final int NOT_A_COMMAND = -1;

    private static final List<String> COMMAND_NAMES;
    /** The proxy's own {@code UMCTL} commands, which the Redis table does not know. */
    public static final int UMCTL;
    /** A command the table does not know. */
    static final int UNKNOWN;

    static {
        List<String> names = new ArrayList<>();
        for (CommandSpec spec : CommandTable.standard().commands()) {
            names.add(spec.name());
        }
        UMCTL = names.size();
        names.add("umctl");
        UNKNOWN = names.size();
        names.add("unknown");
        COMMAND_NAMES = List.copyOf(names);
    }

    private static final byte[] MOVED_PREFIX = ascii("-MOVED ");
    private static final byte[] ASK_PREFIX = ascii("-ASK ");
    private static final byte[] CROSSSLOT_PREFIX = ascii("-CROSSSLOT");
    private static final byte[] CLUSTERDOWN_PREFIX = ascii("-CLUSTERDOWN");
    private static final byte[] BACKEND_ERROR_PREFIX = ascii("-ERR backend ");
    private static final byte[] TIMED_OUT = ascii(" timed out");

    private CommandOutcome() {
    }

    /** How many command indexes there are: the table's top-level commands, {@link #UMCTL}, {@link #UNKNOWN}. */
    public static int commandCount() {
        return COMMAND_NAMES.size();
    }

    /** The {@code command} tag of a command index. */
    public static String commandName(int command) {
        return COMMAND_NAMES.get(command);
    }

    /** The {@code outcome} tag of an outcome. */
    public static String outcomeName(int outcome) {
        return OUTCOME_NAMES[outcome];
    }

    /** The command index of a (looked up, possibly null) spec of the standard table. */
    public static int indexOf(CommandSpec spec) {
        int index = spec == null ? -1 : spec.topLevelIndex();
        return index < 0 || index >= UMCTL ? UNKNOWN : index;
    }

    /**
     * The outcome of a complete reply, from its first bytes only: a simple error ({@code -}) is a
     * redirection ({@code MOVED}, {@code ASK}), {@code CROSSSLOT}, {@code CLUSTERDOWN}, a backend timeout
     * ({@code ERR backend <address> timed out after ...}, the proxy's own error) or another error; a RESP3
     * blob error ({@code !}) is an error; anything else, an array holding errors (EXEC) included, is ok.
     * Reads nothing past the first line, allocates nothing.
     */
    public static int of(ByteBuf reply) {
        if (!reply.isReadable()) {
            return OK; // pub/sub requests on a client's push connection: the real reply comes as a pushed frame
        }
        int start = reply.readerIndex();
        byte first = reply.getByte(start);
        if (first == '!') {
            return ERROR;
        }
        if (first != '-') {
            return OK;
        }
        if (startsWith(reply, start, MOVED_PREFIX)) {
            return MOVED;
        }
        if (startsWith(reply, start, ASK_PREFIX)) {
            return ASK;
        }
        if (startsWith(reply, start, CROSSSLOT_PREFIX)) {
            return CROSSSLOT;
        }
        if (startsWith(reply, start, CLUSTERDOWN_PREFIX)) {
            return CLUSTERDOWN;
        }
        if (startsWith(reply, start, BACKEND_ERROR_PREFIX) && lineContains(reply, start, TIMED_OUT)) {
            return TIMEOUT;
        }
        return ERROR;
    }

    private static boolean startsWith(ByteBuf buf, int at, byte[] prefix) {
        if (buf.writerIndex() - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the first line (up to CR) of {@code buf} from {@code at} contains {@code part}. */
    private static boolean lineContains(ByteBuf buf, int at, byte[] part) {
        int end = buf.indexOf(at, buf.writerIndex(), (byte) '\r');
        if (end < 0) {
            end = buf.writerIndex();
        }
        for (int i = at; i + part.length <= end; i++) {
            if (startsWith(buf, i, part)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
