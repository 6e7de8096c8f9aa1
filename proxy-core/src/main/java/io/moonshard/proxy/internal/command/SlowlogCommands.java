package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code SLOWLOG GET [count] | LEN | RESET | HELP} answered from the proxy's own {@link SlowLog} (not
 * forwarded to the backends), with Redis 7.0's replies and errors byte for byte; and
 * {@code UMCTL SLOWLOG [GET [n] | LEN | RESET]}, undermoon's variant, whose entries add the split of each
 * command's time between the proxy and the backend.
 */
public final class SlowlogCommands {

    private static final String[] HELP = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
    };
    private static final Set<String> SUBCOMMANDS = Set.of("get", "len", "reset", "help");
    private static final String COUNT_ERROR = "ERR count should be greater than or equal to -1";

    private final ProxyContext proxy;

    SlowlogCommands(ProxyContext proxy) {
        this.proxy = proxy;
    }

    /**
     * {@code SLOWLOG ...}, as Redis's {@code slowlogCommand}. The dispatcher already checked the arity of
     * the known subcommands; an unknown one arrives here and gets Redis's unknown-subcommand error.
     */
    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        SlowLog log = proxy.slowlog();
        int argc = cmd.argCount();
        String sub = cmd.argString(1).toLowerCase(Locale.ROOT);
        if (!SUBCOMMANDS.contains(sub)) {
            s.replyError(slot, new String(CommandErrors.unknownSubcommand(cmd), StandardCharsets.UTF_8));
        } else if (argc == 2 && sub.equals("help")) {
            ByteBuf out = s.channel().alloc().buffer(512);
            writeHelp(out, cmd.argString(0));
            s.reply(slot, out);
        } else if (argc == 2 && sub.equals("reset")) {
            log.reset();
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        } else if (argc == 2 && sub.equals("len")) {
            s.reply(slot, Replies.integer(s.channel().alloc(), log.size()));
        } else if ((argc == 2 || argc == 3) && sub.equals("get")) {
            long count = 10;
            if (argc == 3) {
                try {
                    count = cmd.argLong(2);
                } catch (NumberFormatException e) {
                    s.replyError(slot, COUNT_ERROR);
                    return;
                }
                if (count < -1) {
                    s.replyError(slot, COUNT_ERROR);
                    return;
                }
            }
            ByteBuf out = s.channel().alloc().buffer();
            writeRedisEntries(out, log.newest(count));
            s.reply(slot, out);
        } else {
            s.replyError(slot, subcommandSyntaxError(cmd));
        }
    }

    /**
     * {@code UMCTL SLOWLOG [GET [n] | LEN | RESET]}: undermoon's subcommands (GET without a valid
     * {@code n} returns every entry, like undermoon); a bare {@code UMCTL SLOWLOG} is GET. Unknown
     * subcommands get undermoon's {@code invalid slowlog sub-command}.
     */
    void umctl(ClientSession s, ReplySlot slot, RespCommand cmd) {
        SlowLog log = proxy.slowlog();
        String sub = cmd.argCount() > 2 ? cmd.argString(2).toUpperCase(Locale.ROOT) : "GET";
        switch (sub) {
            case "GET" -> {
                long count = -1;
                if (cmd.argCount() > 3) {
                    try {
                        count = cmd.argLong(3);
                    } catch (NumberFormatException e) {
                        count = -1;
                    }
                }
                ByteBuf out = s.channel().alloc().buffer();
                writeUmctlEntries(out, log.newest(count));
                s.reply(slot, out);
            }
            case "LEN" -> s.reply(slot, Replies.integer(s.channel().alloc(), log.size()));
            case "RESET" -> {
                log.reset();
                s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            }
            default -> s.replyError(slot, "invalid slowlog sub-command");
        }
    }

    /** Redis's {@code addReplyHelp} for SLOWLOG: status lines, headed with the command name as typed, upper-cased. */
    public static void writeHelp(ByteBuf out, String commandName) {
        RespWriter.arrayHeader(out, HELP.length + 3);
        RespWriter.simple(out, commandName.toUpperCase(Locale.ROOT)
                + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        for (String line : HELP) {
            RespWriter.simple(out, line);
        }
        RespWriter.simple(out, "HELP");
        RespWriter.simple(out, "    Prints this help.");
    }

    /** {@code SLOWLOG GET}'s reply: per entry Redis's six elements, id, unix time, microseconds, args, client, name. */
    public static void writeRedisEntries(ByteBuf out, List<SlowLog.Entry> entries) {
        RespWriter.arrayHeader(out, entries.size());
        for (SlowLog.Entry e : entries) {
            RespWriter.arrayHeader(out, 6);
            RespWriter.integer(out, e.id());
            RespWriter.integer(out, e.unixTimeSeconds());
            RespWriter.integer(out, e.durationMicros());
            RespWriter.arrayHeader(out, e.args().length);
            for (byte[] arg : e.args()) {
                RespWriter.bulk(out, arg);
            }
            RespWriter.bulk(out, e.client());
            RespWriter.bulk(out, e.clientName());
        }
    }

    /**
     * {@code UMCTL SLOWLOG GET}'s reply, in undermoon's style (an array of {@code "field: value"} bulk
     * strings per entry) with Moonshard's fields: id, session_id, created (when the request was read, RFC
     * 3339 UTC), duration_us, proxy_us, backend_us, client, client_name, command (the arguments as
     * SLOWLOG GET shows them, joined by spaces).
     */
    public static void writeUmctlEntries(ByteBuf out, List<SlowLog.Entry> entries) {
        RespWriter.arrayHeader(out, entries.size());
        for (SlowLog.Entry e : entries) {
            RespWriter.arrayHeader(out, 9);
            RespWriter.bulk(out, "id: " + e.id());
            RespWriter.bulk(out, "session_id: " + e.clientId());
            Instant created = Instant.ofEpochMilli(e.loggedAtMillis()).minusNanos(e.durationMicros() * 1000);
            RespWriter.bulk(out, "created: " + created);
            RespWriter.bulk(out, "duration_us: " + e.durationMicros());
            RespWriter.bulk(out, "proxy_us: " + e.proxyMicros());
            RespWriter.bulk(out, "backend_us: " + e.backendMicros());
            RespWriter.bulk(out, "client: " + e.client());
            RespWriter.bulk(out, "client_name: " + e.clientName());
            int length = "command:".length();
            for (byte[] arg : e.args()) {
                length += 1 + arg.length;
            }
            byte[] command = new byte[length];
            System.arraycopy("command:".getBytes(StandardCharsets.US_ASCII), 0, command, 0, "command:".length());
            int at = "command:".length();
            for (byte[] arg : e.args()) {
                command[at++] = ' ';
                System.arraycopy(arg, 0, command, at, arg.length);
                at += arg.length;
            }
            RespWriter.bulk(out, command);
        }
    }

    /**
     * Redis's {@code addReplySubcommandSyntaxError}: {@code ERR unknown subcommand or wrong number of
     * arguments for '<sub>'. Try <COMMAND> HELP.}, the subcommand as typed ({@code %.128s}: cut at 128
     * bytes and at a NUL).
     */
    static String subcommandSyntaxError(RespCommand cmd) {
        byte[] sub = cmd.argBytes(1);
        int len = 0;
        while (len < sub.length && len < 128 && sub[len] != 0) {
            len++;
        }
        return "ERR unknown subcommand or wrong number of arguments for '"
                + new String(sub, 0, len, StandardCharsets.UTF_8) + "'. Try "
                + cmd.argString(0).toUpperCase(Locale.ROOT) + " HELP.";
    }
}
