package io.moonshard.proxy.internal;

import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * being the same on each); TRACKINGINFO shows broken_redirect when any backend does. {@code CLIENT CACHING} goes to every backend, so with several backends the
 * yes/no applies to the next command on each of them. {@code GETREDIR} and the redirect of
 * {@code TRACKINGINFO} show the proxy id the client gave.
 */
final class TrackingCommands {

    /** A client's tracking as the proxy sees it (the backends hold the rest: prefixes, caching, broken redirect). */
    record Tracking(long redirectId) {
    }

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
                if (s.proxy.clients().byId(redirect) == null) {
                    s.replyError(slot, "ERR The client ID you want redirect to does not exist");
                    return;
                }
            } else if (option.equals("prefix") && moreArgs) {
                forwarded.add(cmd.argBytes(j));
                forwarded.add(cmd.argBytes(++j));
            } else if (option.equals("bcast") || option.equals("optin") || option.equals("optout")
                    || option.equals("noloop")) {
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
        ClientSession target = redirect == 0 ? null : s.proxy.clients().byId(redirect);
        for (int i = 0; i < connections.size(); i++) {
            BackendConnection own = connections.get(i);
            ReplyTarget replyTarget = i == 0 ? new ReplyTarget() {
                @Override
                void complete(ByteBuf reply) {
                    if (isOk(reply)) {
                        s.tracking = on ? new Tracking(redirectId) : off ? null : s.tracking;
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
                                        java.util.function.LongConsumer then) {
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

    /** {@code CLIENT CACHING YES|NO}: the backends judge it (they know the mode); every one gets it. */
    static void caching(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (s.tracking == null) {
            s.replyError(slot, "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
                    + "OPTIN or OPTOUT mode enabled");
            return;
        }
        List<BackendConnection> connections = trackingConnections(s, slot);
        if (connections == null) {
            return;
        }
        for (int i = 0; i < connections.size(); i++) {
            connections.get(i).send(i == 0 ? slot : ReplyTarget.discard(), cmd.frame().retainedDuplicate());
        }
    }

    /** {@code CLIENT GETREDIR}: the proxy id the client redirects to, 0 without a redirect, -1 when not tracking. */
    static void getRedirect(ClientSession s, ReplySlot slot) {
        s.reply(slot, Replies.integer(s.channel().alloc(), s.tracking == null ? -1 : s.tracking.redirectId()));
    }

    /** {@code CLIENT TRACKINGINFO}: the first backend's answer, its redirect shown as the proxy id. */
    static void trackingInfo(ClientSession s, ReplySlot slot, RespCommand cmd) {
        Tracking tracking = s.tracking;
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
        ByteBuf[] replies = new ByteBuf[connections.size()];
        int[] missing = {connections.size()};
        for (int i = 0; i < connections.size(); i++) {
            int index = i;
            connections.get(i).send(new ReplyTarget() {
                @Override
                void complete(ByteBuf reply) {
                    replies[index] = reply;
                    if (--missing[0] == 0) {
                        slot.complete(withRedirect(pickBrokenOrFirst(replies), tracking.redirectId()));
                    }
                }
            }, cmd.frame().retainedDuplicate());
        }
    }

    private static final byte[] BROKEN_REDIRECT = "broken_redirect".getBytes(StandardCharsets.US_ASCII);

    /** The first reply that shows broken_redirect, else the first; the others are released. */
    private static ByteBuf pickBrokenOrFirst(ByteBuf[] replies) {
        int chosen = 0;
        for (int i = 0; i < replies.length; i++) {
            if (ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(BROKEN_REDIRECT), replies[i]) >= 0) {
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
        io.moonshard.resp.RespWriter.mapHeader(out, 3, s.protocol);
        io.moonshard.resp.RespWriter.bulk(out, "flags");
        io.moonshard.resp.RespWriter.arrayHeader(out, 1);
        io.moonshard.resp.RespWriter.bulk(out, "off");
        io.moonshard.resp.RespWriter.bulk(out, "redirect");
        io.moonshard.resp.RespWriter.integer(out, -1);
        io.moonshard.resp.RespWriter.bulk(out, "prefixes");
        io.moonshard.resp.RespWriter.arrayHeader(out, 0);
        return out;
    }

    /**
     * Replaces the positive redirect id in a TRACKINGINFO reply (the backend's id of the redirect
     * connection) by the proxy id the client named. Ownership of {@code reply} passes here.
     */
    static ByteBuf withRedirect(ByteBuf reply, long proxyId) {
        int field = ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(REDIRECT_FIELD), reply);
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
        out.addComponent(true, io.netty.buffer.Unpooled.copiedBuffer(Long.toString(proxyId), StandardCharsets.US_ASCII));
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
