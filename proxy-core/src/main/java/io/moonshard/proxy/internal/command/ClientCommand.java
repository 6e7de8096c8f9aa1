package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.internal.route.MultiBackendCommands;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CLIENT. PAUSE and UNPAUSE pause a node's clients: here, every local backend's, so they go to each
 * backend and the proxy remembers the pause ({@link ProxyContext#clientsMayBePaused}). The other
 * subcommands are the proxy's own, with Redis 7's replies and errors: ID, SETNAME, GETNAME, SETINFO,
 * INFO, LIST, KILL, REPLY, UNBLOCK, NO-EVICT and the tracking ones ({@link TrackingCommands}).
 */
final class ClientCommand implements LocalCommand {

    private static final AsciiString PAUSE = AsciiString.cached("PAUSE");
    private static final AsciiString UNPAUSE = AsciiString.cached("UNPAUSE");
    private static final AsciiString SETNAME = AsciiString.cached("SETNAME");
    private static final AsciiString ID = AsciiString.cached("ID");
    private static final AsciiString GETNAME = AsciiString.cached("GETNAME");
    private static final AsciiString SETINFO = AsciiString.cached("SETINFO");
    private static final AsciiString INFO = AsciiString.cached("INFO");
    private static final AsciiString LIST = AsciiString.cached("LIST");
    private static final AsciiString LIB_NAME = AsciiString.cached("LIB-NAME");
    private static final AsciiString LIB_VER = AsciiString.cached("LIB-VER");
    private static final AsciiString UNBLOCK = AsciiString.cached("UNBLOCK");
    private static final AsciiString REPLY = AsciiString.cached("REPLY");
    private static final AsciiString KILL = AsciiString.cached("KILL");
    private static final AsciiString TRACKINGINFO = AsciiString.cached("TRACKINGINFO");
    private static final AsciiString TRACKING = AsciiString.cached("TRACKING");
    private static final AsciiString CACHING = AsciiString.cached("CACHING");
    private static final AsciiString GETREDIR = AsciiString.cached("GETREDIR");
    private static final AsciiString NO_EVICT = AsciiString.cached("NO-EVICT");
    private static final AsciiString TYPE = AsciiString.cached("TYPE");

    /** Redis's client types (CLIENT LIST/KILL TYPE); the proxy has no replication links, so none is a master or replica. */
    enum ClientType { NORMAL, MASTER, REPLICA, PUBSUB }

    private final ProxyContext proxy;

    ClientCommand(ProxyContext proxy) {
        this.proxy = proxy;
    }

    @Override
    public void handle(ClientSession session, ReplySlot slot, RespCommand cmd) {
        Set<String> backends = proxy.cluster().snapshot().localBackends();
        if (cmd.argCount() >= 2 && (cmd.argEqualsIgnoreCase(1, PAUSE) || cmd.argEqualsIgnoreCase(1, UNPAUSE))
                && !backends.isEmpty()) {
            MultiBackendCommands.broadcast(session, slot, cmd, MultiBackendCommands.Merge.FIRST_IF_ALL_OK,
                    List.copyOf(backends));
            notePause(proxy, cmd);
        } else {
            subcommand(session, slot, cmd);
        }
    }

    /** Remembers a CLIENT PAUSE until its end, or forgets it on UNPAUSE; other commands change nothing. */
    static void notePause(ProxyContext proxy, RespCommand cmd) {
        if (cmd.argCount() < 2 || !cmd.argEqualsIgnoreCase(1, PAUSE) && !cmd.argEqualsIgnoreCase(1, UNPAUSE)) {
            return;
        }
        if (cmd.argEqualsIgnoreCase(1, UNPAUSE)) {
            proxy.clientsUnpaused();
        } else if (cmd.argCount() >= 3) {
            try {
                long timeout = cmd.argLong(2);
                if (timeout >= 0) {
                    proxy.clientsPaused(timeout);
                }
            } catch (NumberFormatException e) {
                // the backends answer the bad timeout; nothing is paused
            }
        }
    }

    /** CLIENT ID | SETNAME | GETNAME | SETINFO | INFO | LIST | NO-EVICT; the rest is refused clearly. */
    static void subcommand(ClientSession s, ReplySlot slot, RespCommand cmd) {
        ByteBufAllocator alloc = s.channel().alloc();
        int argc = cmd.argCount();
        if (cmd.argEqualsIgnoreCase(1, ID) && argc == 2) {
            s.reply(slot, Replies.integer(alloc, s.id));
        } else if (cmd.argEqualsIgnoreCase(1, SETNAME) && argc == 3) {
            String name = cmd.argString(2);
            String error = ConnectionCommands.validateClientName(name);
            if (error != null) {
                s.replyError(slot, error);
                return;
            }
            s.state().rename(name);
            s.reply(slot, Replies.simple(alloc, "OK"));
        } else if (cmd.argEqualsIgnoreCase(1, GETNAME) && argc == 2) {
            s.reply(slot, s.state().name().isEmpty() ? Replies.nullBulk(alloc) : Replies.bulk(alloc, s.state().name()));
        } else if (cmd.argEqualsIgnoreCase(1, SETINFO) && argc == 4) {
            String value = cmd.argString(3);
            if (value.indexOf(' ') >= 0 || value.indexOf('\n') >= 0) {
                s.replyError(slot, "ERR " + cmd.argString(2).toUpperCase(Locale.ROOT)
                        + " cannot contain spaces, newlines or special characters.");
            } else if (cmd.argEqualsIgnoreCase(2, LIB_NAME)) {
                s.state().libName(value);
                s.reply(slot, Replies.simple(alloc, "OK"));
            } else if (cmd.argEqualsIgnoreCase(2, LIB_VER)) {
                s.state().libVersion(value);
                s.reply(slot, Replies.simple(alloc, "OK"));
            } else {
                s.replyError(slot, "ERR Unrecognized option '" + cmd.argString(2) + "'");
            }
        } else if (cmd.argEqualsIgnoreCase(1, INFO) && argc == 2) {
            s.reply(slot, Replies.bulk(alloc, describe(s) + "\n"));
        } else if (cmd.argEqualsIgnoreCase(1, LIST)) {
            list(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, NO_EVICT) && argc == 3) {
            s.reply(slot, Replies.simple(alloc, "OK"));
        } else if (cmd.argEqualsIgnoreCase(1, REPLY) && argc == 3) {
            reply(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, KILL) && argc >= 3) {
            kill(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, TRACKINGINFO) && argc == 2) {
            TrackingCommands.trackingInfo(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, TRACKING) && argc >= 3) {
            TrackingCommands.tracking(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, CACHING) && argc >= 3) {
            TrackingCommands.caching(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, GETREDIR) && argc == 2) {
            TrackingCommands.getRedirect(s, slot);
        } else if (cmd.argEqualsIgnoreCase(1, UNBLOCK) && (argc == 3 || argc == 4)) {
            unblock(s, slot, cmd);
        } else {
            s.replyError(slot, "ERR unknown subcommand '" + cmd.argString(1)
                    + "'. Try CLIENT HELP.");
        }
    }

    /** Redis's {@code getClientTypeByName}: the type a TYPE argument names, or null for an unknown one. */
    static ClientType clientType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "normal" -> ClientType.NORMAL;
            case "master" -> ClientType.MASTER;
            case "replica", "slave" -> ClientType.REPLICA;
            case "pubsub" -> ClientType.PUBSUB;
            default -> null;
        };
    }

    /**
     * A client's type as Redis's {@code getClientType} gives it: pubsub while it has a subscription.
     * Read from another client's event loop: informational, like the other CLIENT LIST fields.
     */
    static ClientType typeOf(ClientSession c) {
        return c.inSubscribedMode() ? ClientType.PUBSUB : ClientType.NORMAL;
    }

    /**
     * {@code CLIENT LIST [TYPE normal|master|replica|slave|pubsub]} and {@code CLIENT LIST ID id...}, with
     * Redis 7.0's argument rules and errors ({@code clientCommand}): TYPE takes exactly one type; ID
     * lists the given clients in argument order, skipping unknown ids.
     */
    private static void list(ClientSession s, ReplySlot slot, RespCommand cmd) {
        int argc = cmd.argCount();
        List<ClientSession> sessions;
        if (argc == 4 && cmd.argEqualsIgnoreCase(2, TYPE)) {
            ClientType type = clientType(cmd.argString(3));
            if (type == null) {
                s.replyError(slot, "ERR Unknown client type '" + cmd.argString(3) + "'");
                return;
            }
            sessions = new ArrayList<>();
            for (ClientSession other : s.proxy.clients().all()) {
                if (typeOf(other) == type) {
                    sessions.add(other);
                }
            }
            sessions.sort((a, b) -> Long.compare(a.id, b.id));
        } else if (argc > 3 && cmd.argEqualsIgnoreCase(2, ID)) {
            sessions = new ArrayList<>();
            for (int i = 3; i < argc; i++) {
                long id;
                try {
                    id = cmd.argLong(i);
                } catch (NumberFormatException e) {
                    s.replyError(slot, "ERR Invalid client ID");
                    return;
                }
                ClientSession other = s.proxy.clients().byId(id);
                if (other != null) {
                    sessions.add(other);
                }
            }
        } else if (argc != 2) {
            s.replyError(slot, "ERR syntax error");
            return;
        } else {
            sessions = new ArrayList<>(s.proxy.clients().all());
            sessions.sort((a, b) -> Long.compare(a.id, b.id));
        }
        StringBuilder sb = new StringBuilder();
        for (ClientSession other : sessions) {
            sb.append(describe(other)).append('\n');
        }
        s.reply(slot, Replies.bulk(s.channel().alloc(), sb.toString()));
    }

    /** {@code CLIENT REPLY ON|OFF|SKIP}, as Redis: OFF and SKIP are not answered themselves. */
    private static void reply(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String mode = cmd.argString(2).toUpperCase(Locale.ROOT);
        switch (mode) {
            case "ON" -> {
                s.state().replyOn();
                slot.suppressed = false;
                s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            }
            case "OFF" -> {
                s.state().replyOff();
                slot.suppressed = true;
                s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            }
            case "SKIP" -> {
                s.state().skipNextReply();
                slot.suppressed = true;
                s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            }
            default -> s.replyError(slot, "ERR syntax error");
        }
    }

    /**
     * {@code CLIENT KILL ip:port} and {@code CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port]
     * [SKIPME yes|no] [TYPE type] [USER name] ...}: closes matching connections of this proxy (its clients,
     * as listed by CLIENT LIST; TYPE as in CLIENT LIST TYPE, USER by the ACL user they logged in as).
     */
    private static void kill(ClientSession s, ReplySlot slot, RespCommand cmd) {
        int argc = cmd.argCount();
        if (argc == 3) {
            String addr = cmd.argString(2);
            for (ClientSession other : s.proxy.clients().all()) {
                if (addr.equals(other.remoteAddress())) {
                    closeLater(s, other);
                    s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
                    return;
                }
            }
            s.replyError(slot, "ERR No such client");
            return;
        }
        if ((argc - 2) % 2 != 0) {
            s.replyError(slot, "ERR syntax error");
            return;
        }
        Long id = null;
        String addr = null;
        String laddr = null;
        boolean skipMe = true;
        boolean matchNothing = false;
        ClientType type = null;
        String killUser = null;
        for (int i = 2; i < argc; i += 2) {
            String option = cmd.argString(i).toUpperCase(Locale.ROOT);
            String value = cmd.argString(i + 1);
            switch (option) {
                case "ID" -> {
                    try {
                        id = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        s.replyError(slot, "ERR client-id should be greater than 0");
                        return;
                    }
                    if (id <= 0) {
                        s.replyError(slot, "ERR client-id should be greater than 0");
                        return;
                    }
                }
                case "ADDR" -> addr = value;
                case "LADDR" -> laddr = value;
                case "SKIPME" -> {
                    if (value.equalsIgnoreCase("yes")) {
                        skipMe = true;
                    } else if (value.equalsIgnoreCase("no")) {
                        skipMe = false;
                    } else {
                        s.replyError(slot, "ERR syntax error");
                        return;
                    }
                }
                case "TYPE" -> {
                    type = clientType(value);
                    if (type == null) {
                        s.replyError(slot, "ERR Unknown client type '" + value + "'");
                        return;
                    }
                }
                case "USER" -> {
                    if (s.proxy.acl().user(value) == null) {
                        s.replyError(slot, "ERR No such user '" + value + "'");
                        return;
                    }
                    killUser = value;
                }
                default -> {
                    s.replyError(slot, "ERR syntax error");
                    return;
                }
            }
        }
        int killed = 0;
        if (!matchNothing) {
            for (ClientSession other : s.proxy.clients().all()) {
                if ((id != null && other.id != id) || (addr != null && !addr.equals(other.remoteAddress()))
                        || (laddr != null && !laddr.equals(other.localAddress())) || (skipMe && other == s)
                        || (type != null && typeOf(other) != type)
                        || (killUser != null && !killUser.equals(other.state().user().name()))) {
                    continue;
                }
                closeLater(s, other);
                killed++;
            }
        }
        s.reply(slot, Replies.integer(s.channel().alloc(), killed));
    }

    /** Closes {@code other} after this command's reply is on its way (it may be the caller itself). */
    private static void closeLater(ClientSession s, ClientSession other) {
        s.channel().eventLoop().execute(() -> other.channel().close());
    }

    /**
     * {@code CLIENT UNBLOCK id [TIMEOUT|ERROR]}: the blocked client's command waits on its dedicated
     * backend connection, so the backend unblocks it, addressed by that connection's own client id;
     * the reply (1 or 0) is the backend's.
     */
    private static void unblock(ClientSession s, ReplySlot slot, RespCommand cmd) {
        long id;
        try {
            id = cmd.argLong(2);
        } catch (NumberFormatException e) {
            s.replyError(slot, "ERR value is not an integer or out of range");
            return;
        }
        String reason = cmd.argCount() == 4 ? cmd.argString(3).toUpperCase(Locale.ROOT) : null;
        if (reason != null && !reason.equals("TIMEOUT") && !reason.equals("ERROR")) {
            s.replyError(slot, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
        ClientSession target = s.proxy.clients().byId(id);
        if (target == null || target.channel() == null) {
            s.reply(slot, Replies.integer(s.channel().alloc(), 0));
            return;
        }
        // the target's connections belong to its event loop: ask there, answer here
        target.channel().eventLoop().execute(() -> target.unblockBlockedCommand(reason, reply ->
                s.channel().eventLoop().execute(() -> slot.complete(reply))));
    }

    /** One CLIENT LIST line, in Redis 7's field order (fields a proxy cannot know are 0). */
    static String describe(ClientSession c) {
        long now = System.currentTimeMillis();
        return "id=" + c.id + " addr=" + c.remoteAddress() + " laddr=" + c.localAddress() + " fd=-1"
                + " name=" + c.state().name() + " age=" + (now - c.state().createdAtMillis()) / 1000
                + " idle=" + (now - c.state().lastInteractionMillis()) / 1000 + " flags=" + (typeOf(c) == ClientType.PUBSUB ? "P" : "N")
                + " db=0 sub=0 psub=0 ssub=0"
                + " multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0"
                + " tot-mem=0 events=r cmd=" + c.state().lastCommand() + " user=" + c.state().user().name() + " redir=-1 resp=" + c.state().protocol()
                + " lib-name=" + c.state().libName() + " lib-ver=" + c.state().libVersion();
    }
}
