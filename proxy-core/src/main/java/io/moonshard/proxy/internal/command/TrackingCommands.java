package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ClientTracking;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespCommands;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * Client-side caching ({@code CLIENT TRACKING | CACHING | GETREDIR | TRACKINGINFO}) through the proxy.
 *
 * <p>Redis tracks the keys a <em>connection</em> reads, so a tracking client gets a connection of its
 * own to every local backend (its dedicated connections, which all its commands then use), and
 * {@code CLIENT TRACKING} runs on each of them: Redis itself keeps the tracking table, and its
 * invalidations come back on those connections. In RESP3 they are {@code >} push frames, which
 * {@link BackendConnection} hands to the client in stream order ({@link ClientSession#deliverOutOfBand}):
 * before the reply Redis wrote them before, else as soon as they come. With {@code REDIRECT <id>} the
 * id is a proxy client id; each backend gets the id of that client's own connection there (opened for
 * it when it has none), so a client subscribed to {@code __redis__:invalidate} through the proxy, or a
 * RESP3 client, receives the messages exactly as from Redis, including {@code tracking-redir-broken}
 * when it goes away.
 *
 * <p>The reply the client sees is the first local backend's (every backend answers alike, the state
 * being the same on each); TRACKINGINFO shows broken_redirect when any backend does. {@code CLIENT
 * CACHING} is held and sent with the client's next command, on that command's backend connection.
 * {@code GETREDIR} and the redirect of
 * {@code TRACKINGINFO} show the proxy id the client gave.
 */
final class TrackingCommands {

    private static final byte[] CLIENT = "CLIENT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRACKING = "TRACKING".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REDIRECT = "REDIRECT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REDIRECT_FIELD = "redirect\r\n:".getBytes(StandardCharsets.US_ASCII);

    private TrackingCommands() {
    }

    /** {@code CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP]}. */
    static void tracking(ClientSession s, ReplySlot slot, RespCommand cmd) {
        int argc = cmd.argCount();
        long redirect = 0;
        ClientSession target = null;
        boolean optIn = false;
        boolean optOut = false;
        List<byte[]> forwarded = new ArrayList<>(argc);
        forwarded.add(CLIENT);
        forwarded.add(TRACKING);
        forwarded.add(cmd.argBytes(2));
        // the options are checked in Redis's order, so the first bad one gives Redis's error; only
        // REDIRECT is the proxy's to judge (its id names a proxy client), the rest the backends check
        for (int j = 3; j < argc; j++) {
            boolean moreArgs = argc - 1 - j > 0;
            String option = cmd.argString(j).toLowerCase(Locale.ROOT);
            if (option.equals("redirect") && moreArgs) {
                j++;
                if (redirect != 0) {
                    s.replyError(slot, "ERR A client can only redirect to a single other client");
                    return;
                }
                try {
                    redirect = cmd.argLong(j);
                } catch (NumberFormatException e) {
                    s.replyError(slot, "ERR value is not an integer or out of range");
                    return;
                }
                target = s.proxy.clients().byId(redirect);
                if (target == null) {
                    s.replyError(slot, "ERR The client ID you want redirect to does not exist");
                    return;
                }
            } else if (option.equals("prefix") && moreArgs) {
                forwarded.add(cmd.argBytes(j));
                forwarded.add(cmd.argBytes(++j));
            } else if (option.equals("bcast") || option.equals("optin") || option.equals("optout")
                    || option.equals("noloop")) {
                optIn |= option.equals("optin");
                optOut |= option.equals("optout");
                forwarded.add(cmd.argBytes(j));
            } else {
                s.replyError(slot, "ERR syntax error");
                return;
            }
        }
        List<BackendConnection> connections = trackingConnections(s, slot);
        if (connections == null) {
            return;
        }
        boolean on = cmd.argString(2).equalsIgnoreCase("on");
        boolean off = cmd.argString(2).equalsIgnoreCase("off");
        long redirectId = redirect;
        boolean in = optIn;
        boolean out = optOut;
        for (int i = 0; i < connections.size(); i++) {
            BackendConnection own = connections.get(i);
            ReplyTarget replyTarget = i == 0 ? new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    if (isOk(reply)) {
                        s.state().trackingChanged(on ? new ClientTracking(redirectId, in, out) : off ? null : s.state().tracking());
                    }
                    slot.complete(reply);
                }
            } : ReplyTarget.discard();
            if (target == null) {
                own.send(replyTarget, encode(forwarded, -1));
                continue;
            }
            // the backend knows the redirect client by its own connection's id there, which may still
            // be unknown (its connection may be opening): requests sent meanwhile wait behind this one
            own.hold();
            String backend = own.address;
            lookUpBackendId(s, target, backend, backendId -> {
                if (backendId < 0) {
                    own.release(null, null);
                    replyTarget.complete(Replies.error(s.channel().alloc(),
                            "ERR The client ID you want redirect to does not exist"));
                } else {
                    own.release(replyTarget, encode(forwarded, backendId));
                }
            });
        }
    }

    /** Finds {@code target}'s backend id for {@code backend} on its loop, then continues on {@code s}'s. */
    private static void lookUpBackendId(ClientSession s, ClientSession target, String backend,
                                        LongConsumer then) {
        if (target.channel() == null) {
            then.accept(-1);
            return;
        }
        var here = s.channel().eventLoop();
        var there = target.channel().eventLoop();
        if (there.inEventLoop()) {
            target.backendIdFor(backend, then);
        } else {
            there.execute(() -> target.backendIdFor(backend, id -> here.execute(() -> then.accept(id))));
        }
    }

    /**
     * {@code CLIENT CACHING YES|NO}: judged here with Redis's errors (the proxy knows the mode), then
     * held until the client's next command to a backend, and sent just before it on that connection
     * ({@link ClientSession#connectionFor}): Redis applies it to the next command only, and with several
     * backends only the proxy knows which backend that command goes to.
     */
    static void caching(ClientSession s, ReplySlot slot, RespCommand cmd) {
        ClientTracking tracking = s.state().tracking();
        if (tracking == null) {
            s.replyError(slot, "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
                    + "OPTIN or OPTOUT mode enabled");
            return;
        }
        String option = cmd.argString(2).toLowerCase(Locale.ROOT);
        if (option.equals("yes") && !tracking.optIn()) {
            s.replyError(slot, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
        } else if (option.equals("no") && !tracking.optOut()) {
            s.replyError(slot, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
        } else if (!option.equals("yes") && !option.equals("no")) {
            s.replyError(slot, "ERR syntax error");
        } else {
            s.state().holdCaching(option.equals("yes") ? CACHING_YES : CACHING_NO);
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        }
    }

    private static final byte[] CACHING_YES = RespCommands.encode("CLIENT", "CACHING", "yes");
    private static final byte[] CACHING_NO = RespCommands.encode("CLIENT", "CACHING", "no");

    /** {@code CLIENT GETREDIR}: the proxy id the client redirects to, 0 without a redirect, -1 when not tracking. */
    static void getRedirect(ClientSession s, ReplySlot slot) {
        s.reply(slot, Replies.integer(s.channel().alloc(), s.state().tracking() == null ? -1 : s.state().tracking().redirectId()));
    }

    /** {@code CLIENT TRACKINGINFO}: the first backend's answer, its redirect shown as the proxy id. */
    static void trackingInfo(ClientSession s, ReplySlot slot, RespCommand cmd) {
        ClientTracking tracking = s.state().tracking();
        if (tracking == null) {
            s.reply(slot, offInfo(s));
            return;
        }
        List<BackendConnection> connections = trackingConnections(s, slot);
        if (connections == null) {
            return;
        }
        // every backend has the same flags but one: broken_redirect is set only on the backends where
        // an invalidation found the redirect client gone, so the client sees it if any has it
        // a CLIENT CACHING still held for the next command shows as Redis shows it
        String pending = s.state().pendingCaching() == CACHING_YES ? "caching-yes" : s.state().pendingCaching() == CACHING_NO ? "caching-no" : null;
        ByteBuf[] replies = new ByteBuf[connections.size()];
        int[] missing = {connections.size()};
        for (int i = 0; i < connections.size(); i++) {
            int index = i;
            connections.get(i).send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    replies[index] = reply;
                    if (--missing[0] == 0) {
                        ByteBuf chosen = withRedirect(pickBrokenOrFirst(replies), tracking.redirectId());
                        slot.complete(pending == null ? chosen : withFlag(chosen, pending));
                    }
                }
            }, cmd.frame().retainedDuplicate());
        }
    }

    private static final byte[] FLAGS_FIELD = "flags\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REDIRECT_KEY = "$8\r\nredirect\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * Adds {@code flag} to the flags array (or RESP3 set) of a TRACKINGINFO reply, before its redirect
     * field, as Redis lists caching-yes/no after optin/optout. Ownership of {@code reply} passes here.
     */
    static ByteBuf withFlag(ByteBuf reply, String flag) {
        int flags = ByteBufUtil.indexOf(Unpooled.wrappedBuffer(FLAGS_FIELD), reply);
        int redirect = ByteBufUtil.indexOf(Unpooled.wrappedBuffer(REDIRECT_KEY), reply);
        if (flags < 0 || redirect < 0) {
            return reply;
        }
        int header = flags + FLAGS_FIELD.length; // '*' or '~', the count, CRLF
        int headerEnd = reply.indexOf(header, reply.writerIndex(), (byte) '\r');
        long count = Long.parseLong(reply.toString(header + 1, headerEnd - header - 1, StandardCharsets.US_ASCII));
        String newHeader = (char) reply.getByte(header) + Long.toString(count + 1);
        String bulk = "$" + flag.length() + "\r\n" + flag + "\r\n";
        CompositeByteBuf out = reply.alloc().compositeBuffer(5);
        out.addComponent(true, reply.retainedSlice(reply.readerIndex(), header - reply.readerIndex()));
        out.addComponent(true, Unpooled.copiedBuffer(newHeader, StandardCharsets.US_ASCII));
        out.addComponent(true, reply.retainedSlice(headerEnd, redirect - headerEnd));
        out.addComponent(true, Unpooled.copiedBuffer(bulk, StandardCharsets.US_ASCII));
        out.addComponent(true, reply.retainedSlice(redirect, reply.writerIndex() - redirect));
        reply.release();
        return out;
    }

    private static final byte[] BROKEN_REDIRECT = "broken_redirect".getBytes(StandardCharsets.US_ASCII);

    /** The first reply that shows broken_redirect, else the first; the others are released. */
    private static ByteBuf pickBrokenOrFirst(ByteBuf[] replies) {
        int chosen = 0;
        for (int i = 0; i < replies.length; i++) {
            if (ByteBufUtil.indexOf(Unpooled.wrappedBuffer(BROKEN_REDIRECT), replies[i]) >= 0) {
                chosen = i;
                break;
            }
        }
        for (int i = 0; i < replies.length; i++) {
            if (i != chosen) {
                replies[i].release();
            }
        }
        return replies[chosen];
    }

    /** Redis's TRACKINGINFO for a client without tracking. */
    static ByteBuf offInfo(ClientSession s) {
        ByteBuf out = s.channel().alloc().buffer(64);
        RespWriter.mapHeader(out, 3, s.state().protocol());
        RespWriter.bulk(out, "flags");
        RespWriter.arrayHeader(out, 1);
        RespWriter.bulk(out, "off");
        RespWriter.bulk(out, "redirect");
        RespWriter.integer(out, -1);
        RespWriter.bulk(out, "prefixes");
        RespWriter.arrayHeader(out, 0);
        return out;
    }

    /**
     * Replaces the positive redirect id in a TRACKINGINFO reply (the backend's id of the redirect
     * connection) by the proxy id the client named. Ownership of {@code reply} passes here.
     */
    static ByteBuf withRedirect(ByteBuf reply, long proxyId) {
        int field = ByteBufUtil.indexOf(Unpooled.wrappedBuffer(REDIRECT_FIELD), reply);
        if (field < 0 || proxyId <= 0) {
            return reply;
        }
        int numberStart = field + REDIRECT_FIELD.length;
        int numberEnd = reply.indexOf(numberStart, reply.writerIndex(), (byte) '\r');
        if (numberEnd < 0 || reply.getByte(numberStart) == '-' || reply.getByte(numberStart) == '0') {
            return reply; // -1 (off) or 0 (no redirect): nothing to translate
        }
        CompositeByteBuf out = reply.alloc().compositeBuffer(3);
        out.addComponent(true, reply.retainedSlice(reply.readerIndex(), numberStart - reply.readerIndex()));
        out.addComponent(true, Unpooled.copiedBuffer(Long.toString(proxyId), StandardCharsets.US_ASCII));
        out.addComponent(true, reply.retainedSlice(numberEnd, reply.writerIndex() - numberEnd));
        reply.release();
        return out;
    }

    /**
     * This client's tracking connections, the first local backend's first: its dedicated connection
     * to every local backend, opened on first use. Null (and the slot answered) when none can be had.
     */
    private static List<BackendConnection> trackingConnections(ClientSession s, ReplySlot slot) {
        var backends = s.proxy.cluster().snapshot().localBackends();
        if (backends.isEmpty()) {
            s.replyError(slot, "CLUSTERDOWN Hash slot not served");
            return null;
        }
        List<BackendConnection> connections = new ArrayList<>(backends.size());
        for (String backend : backends) {
            BackendConnection own = s.dedicatedConnection(backend);
            if (own == null) {
                s.replyError(slot, Forwarder.dedicatedLimitError(s.proxy));
                return null;
            }
            connections.add(own);
        }
        return connections;
    }

    private static ByteBuf encode(List<byte[]> args, long redirectBackendId) {
        List<byte[]> all = new ArrayList<>(args);
        if (redirectBackendId >= 0) {
            all.add(REDIRECT);
            all.add(Long.toString(redirectBackendId).getBytes(StandardCharsets.US_ASCII));
        }
        return RespCommand.of(all.toArray(new byte[0][])).frame();
    }

    private static boolean isOk(ByteBuf reply) {
        return reply.isReadable() && reply.getByte(reply.readerIndex()) == '+';
    }
}
