package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;

/**
 * Connection-level commands the proxy answers itself, with Redis 7's replies: PING, ECHO, QUIT,
 * SELECT, ASKING, READONLY, READWRITE, AUTH, HELLO (CLIENT is {@link ClientCommand}). Arity was checked by the
 * dispatcher.
 */
final class ConnectionCommands {

    private static final AsciiString AUTH = AsciiString.cached("AUTH");
    private static final AsciiString SETNAME = AsciiString.cached("SETNAME");

    private ConnectionCommands() {
    }

    static void ping(ClientSession s, ReplySlot slot, RespCommand cmd) {
        ByteBufAllocator alloc = s.channel().alloc();
        if (cmd.argCount() > 2) {
            s.replyError(slot, "ERR wrong number of arguments for 'ping' command"); // pingCommand's own check
        } else if (s.state().protocol() == 2 && s.inSubscribedMode()) {
            // a subscribed RESP2 client gets PING's answer in the shape of a message: [pong, <arg or "">]
            ByteBuf out = alloc.buffer(32);
            RespWriter.arrayHeader(out, 2);
            RespWriter.bulk(out, "pong");
            if (cmd.argCount() == 1) {
                RespWriter.bulk(out, new byte[0]);
            } else {
                RespWriter.bulk(out, cmd.arg(1));
            }
            s.reply(slot, out);
        } else if (cmd.argCount() == 1) {
            s.reply(slot, Replies.simple(alloc, "PONG"));
        } else {
            s.reply(slot, Replies.bulk(alloc, cmd.arg(1)));
        }
    }

    static void echo(ClientSession s, ReplySlot slot, RespCommand cmd) {
        s.reply(slot, Replies.bulk(s.channel().alloc(), cmd.arg(1)));
    }

    static void quit(ClientSession s, ReplySlot slot, RespCommand cmd) {
        s.closeIdleDedicatedConnections();
        s.replyAndClose(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    /** Redis Cluster only has database 0. */
    static void select(ClientSession s, ReplySlot slot, RespCommand cmd) {
        long db;
        try {
            db = cmd.argLong(1);
        } catch (NumberFormatException e) {
            s.replyError(slot, "ERR value is not an integer or out of range");
            return;
        }
        if (db != 0) {
            s.replyError(slot, "ERR SELECT is not allowed in cluster mode");
            return;
        }
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    static void asking(ClientSession s, ReplySlot slot, RespCommand cmd) {
        s.state().askNext();
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    static void readonly(ClientSession s, ReplySlot slot, RespCommand cmd) {
        s.state().readOnly(true);
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    static void readwrite(ClientSession s, ReplySlot slot, RespCommand cmd) {
        s.state().readOnly(false);
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    /** {@code AUTH [user] password}: the proxy's own password (the "default" user). */
    static void auth(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (cmd.argCount() > 3) {
            s.replyError(slot, "ERR syntax error");
            return;
        }
        if (cmd.argCount() == 2 && s.proxy.acl().defaultUser().nopass()) {
            s.replyError(slot, "ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?");
            return;
        }
        String user = cmd.argCount() == 3 ? cmd.argString(1) : "default";
        if (!AclCommands.authenticate(s, cmd, user, cmd.argBytes(cmd.argCount() - 1))) {
            s.replyError(slot, WRONGPASS);
            return;
        }
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
    }

    private static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

    /**
     * {@code HELLO [protover [AUTH user pass] [SETNAME name]]}: version 2 or 3; with 3 the client's
     * commands go on backend connections that speak RESP3 (see {@link ClientSession#connectionFor}).
     */
    static void hello(ClientSession s, ReplySlot slot, RespCommand cmd) {
        int argc = cmd.argCount();
        long version = s.state().protocol(); // HELLO without a version keeps the connection's protocol
        int next = 1;
        if (argc >= 2) {
            try {
                version = cmd.argLong(1);
            } catch (NumberFormatException e) {
                s.replyError(slot, "ERR Protocol version is not an integer or out of range");
                return;
            }
            next = 2;
            if (version < 2 || version > 3) {
                s.replyError(slot, "NOPROTO unsupported protocol version");
                return;
            }
        }
        String authUser = null;
        byte[] authPass = null;
        String setName = null;
        for (int i = next; i < argc; i++) {
            if (cmd.argEqualsIgnoreCase(i, AUTH) && argc - i - 1 >= 2) {
                authUser = cmd.argString(i + 1);
                authPass = cmd.argBytes(i + 2);
                i += 2;
            } else if (cmd.argEqualsIgnoreCase(i, SETNAME) && argc - i - 1 >= 1) {
                setName = cmd.argString(i + 1);
                i += 1;
            } else {
                s.replyError(slot, "ERR Syntax error in HELLO option '" + cmd.argString(i) + "'");
                return;
            }
        }
        if (authUser != null) {
            if (!AclCommands.authenticate(s, cmd, authUser, authPass)) {
                s.replyError(slot, WRONGPASS);
                return;
            }
        }
        if (!s.state().isAuthenticated() && !s.proxy.credentials().openByDefault()) {
            s.replyError(slot, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                    + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select "
                    + "the RESP protocol version at the same time");
            return;
        }
        if (setName != null) {
            String error = validateClientName(setName);
            if (error != null) {
                s.replyError(slot, error);
                return;
            }
            s.state().rename(setName);
        }
        if (s.state().protocol() != version) {
            s.switchProtocol((int) version);
        }
        ByteBuf out = s.channel().alloc().buffer(160);
        RespWriter.mapHeader(out, 7, s.state().protocol());
        RespWriter.bulk(out, "server");
        RespWriter.bulk(out, "redis");
        RespWriter.bulk(out, "version");
        RespWriter.bulk(out, ServerInfo.REDIS_VERSION);
        RespWriter.bulk(out, "proto");
        RespWriter.integer(out, version);
        RespWriter.bulk(out, "id");
        RespWriter.integer(out, s.id);
        RespWriter.bulk(out, "mode");
        RespWriter.bulk(out, "cluster");
        RespWriter.bulk(out, "role");
        RespWriter.bulk(out, "master");
        RespWriter.bulk(out, "modules");
        RespWriter.arrayHeader(out, 0);
        s.reply(slot, out);
    }

    static String validateClientName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '!' || c > '~') {
                return "ERR Client names cannot contain spaces, newlines or special characters.";
            }
        }
        return null;
    }
}
