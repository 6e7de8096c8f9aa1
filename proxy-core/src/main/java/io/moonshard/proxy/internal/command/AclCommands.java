package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.proxy.acl.Acl;
import io.moonshard.proxy.acl.AclCheck;
import io.moonshard.proxy.acl.AclRequest;
import io.moonshard.proxy.acl.AclUser;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The proxy's access control: the permission check of every command ({@link #permits}), AUTH against
 * the ACL users ({@link #authenticate}) and the {@code ACL} command, answered as Redis 7.0's
 * {@code aclCommand}. The backends are not involved: their own users stay as configured.
 *
 * <p>Its length is the ACL command's thirteen subcommands, each a few lines of Redis's reply shapes;
 * the rules themselves live in {@code io.moonshard.proxy.acl}.
 */
final class AclCommands {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> HELP = List.of(
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
            "HELP",
            "    Prints this help.");

    private final ProxyContext proxy;
    private final CommandTable table;

    AclCommands(ProxyContext proxy, CommandTable table) {
        this.proxy = proxy;
        this.table = table;
    }

    /**
     * Whether {@code s}'s user may run {@code command} (processCommand's ACL check: after NOAUTH, before
     * routing and before MULTI queues it). If not, answers Redis's NOPERM error, logs the denial for
     * ACL LOG and marks a transaction dirty. A connection whose user was deleted meanwhile (it is being
     * closed) gets an error and is closed.
     */
    static boolean permits(ClientSession s, ReplySlot slot, RespCommand command, CommandSpec spec) {
        AclUser user = s.state().user();
        if (user.deleted()) {
            s.replyAndClose(slot, Replies.error(s.channel().alloc(), "ERR the user of this connection was deleted"));
            return false;
        }
        if (user.unrestricted()) {
            return true;
        }
        AclCheck check = user.check(new AclRequest(spec, command));
        if (check.allowed()) {
            return true;
        }
        String object = check.reason() == AclCheck.DENIED_CMD ? spec.name()
                : new String(command.argBytes(check.argPos()), StandardCharsets.ISO_8859_1);
        s.proxy.acl().log(check.reason(), s.state().inMulti() ? "multi" : "toplevel", object, user.name(),
                ClientCommand.describe(s));
        s.state().markTransactionDirty();
        s.proxy.metrics().errorReply();
        s.replyError(slot, check.error(spec.name()));
        return false;
    }

    /** AUTH / HELLO AUTH: logs in as {@code name}, or logs the failure (reason auth) and returns false. */
    static boolean authenticate(ClientSession s, RespCommand cmd, String name, byte[] password) {
        AclUser user = s.proxy.acl().authenticate(name, password);
        if (user == null) {
            s.proxy.acl().log(AclCheck.DENIED_AUTH, s.state().inMulti() ? "multi" : "toplevel",
                    cmd.argString(0), name, ClientCommand.describe(s));
            return false;
        }
        s.state().logIn(user);
        return true;
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        byte[] rejection = CommandErrors.rejection(table.lookup(cmd), cmd);
        if (rejection != null) {
            s.replyError(slot, new String(rejection, StandardCharsets.UTF_8));
            return;
        }
        Acl acl = proxy.acl();
        String sub = cmd.argString(1).toLowerCase(Locale.ROOT);
        int argc = cmd.argCount();
        ByteBuf out = s.channel().alloc().buffer();
        try {
            switch (sub) {
                case "setuser" -> {
                    List<String> rules = new ArrayList<>();
                    for (int i = 3; i < argc; i++) {
                        rules.add(latin1(cmd, i));
                    }
                    String error = acl.setUser(latin1(cmd, 2), rules);
                    if (error != null) {
                        RespWriter.error(out, error);
                    } else {
                        RespWriter.simple(out, "OK");
                    }
                }
                case "deluser" -> {
                    List<String> names = new ArrayList<>();
                    for (int i = 2; i < argc; i++) {
                        names.add(latin1(cmd, i));
                    }
                    int deleted = acl.delUsers(names);
                    if (deleted < 0) {
                        RespWriter.error(out, "ERR The 'default' user cannot be removed");
                    } else {
                        RespWriter.integer(out, deleted);
                        closeClientsOfDeletedUsers();
                    }
                }
                case "getuser" -> getUser(s, acl.user(latin1(cmd, 2)), out);
                case "list", "users" -> {
                    List<String> lines = sub.equals("list") ? acl.list() : acl.userNames();
                    RespWriter.arrayHeader(out, lines.size());
                    for (String line : lines) {
                        bulk(out, line);
                    }
                }
                case "whoami" -> bulk(out, s.state().user().name());
                case "load", "save" -> loadOrSave(acl, sub, out);
                case "cat" -> cat(cmd, argc, out);
                case "genpass" -> genpass(cmd, argc, out);
                case "log" -> log(s, acl, cmd, argc, out);
                case "dryrun" -> dryrun(acl, cmd, argc, out);
                case "help" -> {
                    RespWriter.arrayHeader(out, HELP.size());
                    for (String line : HELP) {
                        RespWriter.simple(out, line);
                    }
                }
                default -> RespWriter.error(out, "ERR unknown subcommand '" + cmd.argString(1) + "'. Try ACL HELP.");
            }
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        s.reply(slot, out);
    }

    /**
     * As Redis's {@code ACLFreeUserAndKillClients}: the connections of deleted users are closed, the
     * current one after its reply (the close runs after this command on each connection's own loop).
     */
    private void closeClientsOfDeletedUsers() {
        for (ClientSession other : proxy.clients().all()) {
            if (other.state().user().deleted()) {
                other.channel().eventLoop().execute(() -> other.channel().close());
            }
        }
    }

    private static void getUser(ClientSession s, AclUser user, ByteBuf out) {
        if (user == null) {
            if (s.state().protocol() == 3) {
                out.writeBytes("_\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                RespWriter.nullBulk(out);
            }
            return;
        }
        RespWriter.mapHeader(out, 6, s.state().protocol());
        bulk(out, "flags");
        List<String> flags = Acl.flags(user);
        setHeader(out, flags.size(), s.state().protocol());
        for (String f : flags) {
            bulk(out, f);
        }
        bulk(out, "passwords");
        List<String> hashes = Acl.passwordHashes(user);
        RespWriter.arrayHeader(out, hashes.size());
        for (String h : hashes) {
            bulk(out, h);
        }
        selector(out, Acl.describeSelector(user, 0));
        bulk(out, "selectors");
        int count = Acl.selectorCount(user);
        RespWriter.arrayHeader(out, count - 1);
        for (int i = 1; i < count; i++) {
            RespWriter.mapHeader(out, 3, s.state().protocol());
            selector(out, Acl.describeSelector(user, i));
        }
    }

    private static void selector(ByteBuf out, List<String> fields) {
        bulk(out, "commands");
        bulk(out, fields.get(0));
        bulk(out, "keys");
        bulk(out, fields.get(1));
        bulk(out, "channels");
        bulk(out, fields.get(2));
    }

    private void loadOrSave(Acl acl, String sub, ByteBuf out) {
        if (!acl.hasFile()) {
            RespWriter.error(out, "ERR This Redis instance is not configured to use an ACL file. You may want to "
                    + "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have "
                    + "a Redis configuration file set) in order to store users in the Redis configuration.");
            return;
        }
        if (sub.equals("load")) {
            String errors = acl.load();
            if (errors == null) {
                RespWriter.simple(out, "OK");
                closeClientsOfDeletedUsers();
            } else {
                RespWriter.error(out, "ERR " + errors.replace('\r', ' ').replace('\n', ' '));
            }
            return;
        }
        try {
            acl.save();
            RespWriter.simple(out, "OK");
        } catch (IOException e) {
            RespWriter.error(out, "ERR There was an error trying to save the ACLs. Please check the server logs "
                    + "for more information");
        }
    }

    private static void cat(RespCommand cmd, int argc, ByteBuf out) {
        if (argc == 2) {
            List<String> names = Acl.categories();
            RespWriter.arrayHeader(out, names.size());
            names.forEach(n -> bulk(out, n));
            return;
        }
        if (argc != 3) {
            RespWriter.error(out, "ERR unknown subcommand or wrong number of arguments for 'cat'. Try ACL HELP.");
            return;
        }
        List<String> commands = Acl.commandsIn(latin1(cmd, 2));
        if (commands == null) {
            String name = latin1(cmd, 2);
            RespWriter.error(out, "ERR Unknown category '" + (name.length() > 128 ? name.substring(0, 128) : name) + "'");
            return;
        }
        RespWriter.arrayHeader(out, commands.size());
        commands.forEach(n -> bulk(out, n));
    }

    private static void genpass(RespCommand cmd, int argc, ByteBuf out) {
        if (argc > 3) {
            RespWriter.error(out, "ERR unknown subcommand or wrong number of arguments for 'genpass'. Try ACL HELP.");
            return;
        }
        long bits = 256;
        if (argc == 3) {
            try {
                bits = Long.parseLong(cmd.argString(2));
            } catch (NumberFormatException e) {
                RespWriter.error(out, "ERR value is not an integer or out of range");
                return;
            }
        }
        if (bits <= 0 || bits > 4096) {
            RespWriter.error(out, "ERR ACL GENPASS argument must be the number of bits for the output password, "
                    + "a positive number up to 4096");
            return;
        }
        byte[] random = new byte[(int) (bits + 7) / 8 + 1];
        RANDOM.nextBytes(random);
        bulk(out, HexFormat.of().formatHex(random).substring(0, (int) (bits + 3) / 4));
    }

    private static void log(ClientSession s, Acl acl, RespCommand cmd, int argc, ByteBuf out) {
        if (argc > 3) {
            RespWriter.error(out, "ERR unknown subcommand or wrong number of arguments for 'log'. Try ACL HELP.");
            return;
        }
        long count = 10;
        if (argc == 3) {
            String arg = cmd.argString(2);
            if (arg.equalsIgnoreCase("reset")) {
                acl.resetLog();
                RespWriter.simple(out, "OK");
                return;
            }
            try {
                count = Math.max(0, Long.parseLong(arg));
            } catch (NumberFormatException e) {
                RespWriter.error(out, "ERR value is not an integer or out of range");
                return;
            }
        }
        List<Acl.LogEntry> entries = acl.logEntries(count);
        long now = System.currentTimeMillis();
        RespWriter.arrayHeader(out, entries.size());
        for (Acl.LogEntry e : entries) {
            RespWriter.mapHeader(out, 7, s.state().protocol());
            bulk(out, "count");
            RespWriter.integer(out, e.count());
            bulk(out, "reason");
            bulk(out, e.reasonName());
            bulk(out, "context");
            bulk(out, e.context());
            bulk(out, "object");
            bulk(out, e.object());
            bulk(out, "username");
            bulk(out, e.username());
            bulk(out, "age-seconds");
            String age = formatDouble((now - e.millis()) / 1000.0);
            if (s.state().protocol() == 3) {
                out.writeByte(',').writeBytes(age.getBytes(StandardCharsets.US_ASCII)).writeByte('\r').writeByte('\n');
            } else {
                bulk(out, age);
            }
            bulk(out, "client-info");
            bulk(out, e.clientInfo());
        }
    }

    private void dryrun(Acl acl, RespCommand cmd, int argc, ByteBuf out) {
        String name = latin1(cmd, 2);
        AclUser user = acl.user(name);
        if (user == null) {
            RespWriter.error(out, "ERR User '" + name + "' not found");
            return;
        }
        byte[][] args = new byte[argc - 3][];
        for (int i = 3; i < argc; i++) {
            args[i - 3] = cmd.argBytes(i);
        }
        RespCommand checked = RespCommand.of(args);
        try {
            CommandSpec spec = table.lookup(checked);
            if (spec == null || (spec.isContainer() && checked.argCount() > 1)) {
                RespWriter.error(out, "ERR Command '" + latin1(cmd, 3) + "' not found");
                return;
            }
            if (!spec.arityOk(checked.argCount())) {
                RespWriter.error(out, "ERR wrong number of arguments for '" + spec.name() + "' command");
                return;
            }
            AclCheck check = user.check(new AclRequest(spec, checked));
            switch (check.reason()) {
                case AclCheck.OK -> RespWriter.simple(out, "OK");
                case AclCheck.DENIED_CMD -> bulk(out, "This user has no permissions to run the '" + spec.name() + "' command");
                case AclCheck.DENIED_KEY -> bulk(out, "This user has no permissions to access the '"
                        + latin1(checked, check.argPos()) + "' key");
                default -> bulk(out, "This user has no permissions to access the '"
                        + latin1(checked, check.argPos()) + "' channel");
            }
        } finally {
            checked.release();
        }
    }

    /** C's {@code %.17g}, which Redis uses for doubles. */
    static String formatDouble(double d) {
        if (d == 0) {
            return "0";
        }
        BigDecimal rounded = new BigDecimal(d).round(new MathContext(17)).stripTrailingZeros();
        return rounded.scale() <= 0 ? rounded.toBigInteger().toString() : rounded.toPlainString();
    }

    private static void setHeader(ByteBuf out, int count, int protocol) {
        if (protocol == 3) {
            out.writeByte('~').writeBytes(Integer.toString(count).getBytes(StandardCharsets.US_ASCII))
                    .writeByte('\r').writeByte('\n');
        } else {
            RespWriter.arrayHeader(out, count);
        }
    }

    private static void bulk(ByteBuf out, String latin1) {
        RespWriter.bulk(out, latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String latin1(RespCommand cmd, int i) {
        return new String(cmd.argBytes(i), StandardCharsets.ISO_8859_1);
    }
}
