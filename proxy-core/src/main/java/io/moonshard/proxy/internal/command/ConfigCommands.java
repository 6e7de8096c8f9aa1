package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CONFIG}: the proxy's own settings ({@link LiveSettings}, names starting with {@code moonshard-})
 * are read and changed here; Redis's parameters still go to the backends (CONFIG SET to every local
 * backend, CONFIG GET, RESETSTAT, REWRITE and HELP to the first), but for those the proxy protects
 * ({@link ProtectedConfig}): CONFIG SET of one is refused, CONFIG GET leaves them out.
 *
 * <ul>
 *   <li>{@code CONFIG GET pattern [pattern ...]}: the matching proxy settings, merged into the first
 *       backend's reply. Patterns that start with {@code moonshard-} can only match the proxy's settings:
 *       with only such patterns no backend is asked (so this works before {@code UMCTL SETCLUSTER}).</li>
 *   <li>{@code CONFIG SET name value [name value ...]} with some {@code moonshard-} names: every proxy
 *       setting is checked first (Redis's errors and order), then, when Redis parameters are mixed in,
 *       those alone go to every local backend, and the proxy's values are applied only if every backend
 *       answered OK: a command the backends refuse changes nothing in the proxy. With an
 *       {@code admin_password} configured, changing the proxy's settings needs {@code UMCTL AUTH}, as
 *       changing the cluster metadata does.</li>
 * </ul>
 * Inside MULTI, CONFIG is queued and runs on the backend with the transaction; the backend does not
 * know the proxy's names, and a CONFIG that could touch a protected parameter is refused while queueing
 * ({@link ProtectedConfig#transactionRefusal}).
 */
final class ConfigCommands {

    private static final Logger log = LoggerFactory.getLogger(ConfigCommands.class);
    private static final AsciiString GET = AsciiString.cached("GET");
    private static final AsciiString SET = AsciiString.cached("SET");
    private static final AsciiString CONFIG_NAME = AsciiString.cached("CONFIG");
    private static final byte[] CONFIG = "CONFIG".getBytes(StandardCharsets.US_ASCII);

    private final ProxyContext proxy;
    private final Forwarder forwarder;

    ConfigCommands(ProxyContext proxy, Forwarder forwarder) {
        this.proxy = proxy;
        this.forwarder = forwarder;
    }

    /**
     * Whether {@code cmd} is a {@code CONFIG GET} or {@code SET} that reaches the proxy's own settings only
     * (every name or pattern has the {@code moonshard-} prefix), so no backend is asked or changed: what a
     * session that proved only the admin password may run ({@link CommandDispatcher}).
     */
    static boolean onlyProxySettings(RespCommand cmd) {
        if (cmd.argCount() < 3 || !cmd.argEqualsIgnoreCase(0, CONFIG_NAME)) {
            return false;
        }
        boolean set = cmd.argEqualsIgnoreCase(1, SET);
        if (!set && !cmd.argEqualsIgnoreCase(1, GET)) {
            return false;
        }
        for (int i = 2; i < cmd.argCount(); i += set ? 2 : 1) {
            if (!LiveSettings.isPrefixedName(cmd.argString(i))) {
                return false;
            }
        }
        return true;
    }

    /** @param spec what the command table found for {@code cmd} (the container for an unknown subcommand) */
    void handle(ClientSession s, ReplySlot slot, RespCommand cmd, CommandSpec spec) {
        // the dispatcher leaves an unknown subcommand of a local container to its handler
        byte[] rejection = CommandErrors.rejection(spec, cmd);
        if (rejection != null) {
            proxy.metrics().errorReply();
            s.replyError(slot, new String(rejection, StandardCharsets.UTF_8));
        } else if (cmd.argEqualsIgnoreCase(1, GET)) {
            get(s, slot, cmd);
        } else if (cmd.argEqualsIgnoreCase(1, SET)) {
            set(s, slot, cmd, spec);
        } else {
            forwarder.forward(s, slot, cmd, spec, false); // RESETSTAT, REWRITE, HELP: Redis's, as before
        }
    }

    private void get(ClientSession s, ReplySlot slot, RespCommand cmd) {
        List<String> patterns = new ArrayList<>(cmd.argCount() - 2);
        boolean backendNeeded = false;
        for (int i = 2; i < cmd.argCount(); i++) {
            String pattern = cmd.argString(i);
            patterns.add(pattern);
            backendNeeded |= !LiveSettings.matchesProxyOnly(pattern);
        }
        List<Map.Entry<String, String>> own = new ArrayList<>(proxy.live().get(patterns));
        own.addAll(ProtectedConfig.nodeView(patterns, proxy.config().address()));
        if (!backendNeeded) {
            ByteBuf out = s.channel().alloc().buffer();
            RespWriter.mapHeader(out, own.size(), s.state().protocol());
            writePairs(out, own);
            s.reply(slot, out);
            return;
        }
        String backend = firstBackend(s, slot);
        if (backend == null) {
            return;
        }
        // the whole request: its moonshard-* patterns match nothing in Redis; what the backend answers
        // loses its protected parameters, whatever pattern matched them
        ByteBufAllocator alloc = s.channel().alloc();
        BackendConnection connection = s.connectionFor(backend);
        if (connection.isPush()) {
            // a pub/sub connection passes its replies straight to the client, and this one must be read
            connection = s.pool.connection(backend, s.id, s.state().protocol());
        }
        connection.send(new ReplyTarget() {
            @Override
            public void complete(ByteBuf reply) {
                slot.backendPartReplied(sentAtNanos);
                ByteBuf visible = ProtectedConfig.filter(alloc, reply);
                slot.complete(own.isEmpty() ? visible : appendPairs(alloc, visible, own));
            }
        }, withoutProxyOwnedRedisNames(alloc, cmd));
        connection.pauseIfSaturated(s);
    }

    /**
     * The CONFIG GET request for the backend: as the client sent it, except that the Redis parameter the
     * proxy answers itself ({@code client-output-buffer-limit}) is not asked again (its pair would be twice).
     */
    private static ByteBuf withoutProxyOwnedRedisNames(ByteBufAllocator alloc, RespCommand cmd) {
        List<Integer> kept = new ArrayList<>(cmd.argCount());
        for (int i = 2; i < cmd.argCount(); i++) {
            if (!cmd.argString(i).equalsIgnoreCase(LiveSettings.CLIENT_OUTPUT_BUFFER_LIMIT)) {
                kept.add(i);
            }
        }
        if (kept.size() == cmd.argCount() - 2) {
            return cmd.frame().retainedDuplicate();
        }
        ByteBuf frame = alloc.buffer(cmd.frame().readableBytes());
        RespWriter.arrayHeader(frame, 2 + kept.size());
        RespWriter.bulk(frame, cmd.arg(0));
        RespWriter.bulk(frame, cmd.arg(1));
        for (int i : kept) {
            RespWriter.bulk(frame, cmd.arg(i));
        }
        return frame;
    }

    private void set(ClientSession s, ReplySlot slot, RespCommand cmd, CommandSpec spec) {
        String listen = proxy.config().address();
        String refusal = ProtectedConfig.setRefusal(cmd, listen);
        if (refusal != null) {
            s.replyError(slot, refusal); // the whole command, as Redis refuses it for one bad parameter
            return;
        }
        int argc = cmd.argCount();
        List<String> own = new ArrayList<>();
        List<Integer> redisNames = new ArrayList<>(); // argument index of each Redis parameter's name
        boolean noOpDropped = false; // a node parameter set to the value the proxy shows: not sent on
        for (int i = 2; i < argc; i += 2) {
            String name = cmd.argString(i);
            if ((argc & 1) == 0 && ProtectedConfig.isNodeNoOp(name, cmd.argString(i + 1), listen)) {
                noOpDropped = true;
            } else if (LiveSettings.isProxyName(name)) {
                own.add(name);
                own.add(i + 1 < argc ? cmd.argString(i + 1) : null);
            } else {
                redisNames.add(i);
            }
        }
        if (own.isEmpty() && redisNames.isEmpty() && noOpDropped) {
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            return;
        }
        if (own.isEmpty()) {
            LiveSettings.Change mirrored = mirroredSlowlogSettings(cmd, redisNames);
            if (mirrored == null && noOpDropped) {
                mirrored = proxy.live().prepare(List.of()); // nothing of the proxy's; the rest without the no-ops
            }
            if (mirrored != null) {
                setOnBackendsThenApply(s, slot, cmd, redisNames, mirrored);
            } else {
                forwarder.forward(s, slot, cmd, spec, false); // Redis's parameters only: as before
            }
            return;
        }
        if ((argc & 1) != 0) {
            s.replyError(slot, "ERR syntax error"); // as Redis: the pairs are counted before anything else
            return;
        }
        if (!s.state().isAdmin() && proxy.config().adminPassword() != null) {
            s.replyError(slot, "NOAUTH CONFIG SET of the proxy's settings needs the admin password (UMCTL AUTH)");
            return;
        }
        LiveSettings.Change change;
        try {
            change = proxy.live().prepare(own);
        } catch (IllegalArgumentException e) {
            s.replyError(slot, e.getMessage());
            return;
        }
        if (redisNames.isEmpty()) {
            apply(s, change);
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
            return;
        }
        setOnBackendsThenApply(s, slot, cmd, redisNames, change);
    }

    /**
     * Redis's own {@code slowlog-log-slower-than} and {@code slowlog-max-len} set the backends' slow logs
     * and, as the client sees one node, the proxy's {@code SLOWLOG} too (applied once the backends took
     * them); {@code client-query-buffer-limit} likewise sets the proxy's limit, which is what bounds the
     * client's requests (the backends only see the proxy's). Null when the command sets none of them, or a value the proxy cannot take (the backends judge it).
     */
    private LiveSettings.Change mirroredSlowlogSettings(RespCommand cmd, List<Integer> redisNames) {
        if ((cmd.argCount() & 1) != 0) {
            return null;
        }
        List<String> mirrored = new ArrayList<>();
        for (int name : redisNames) {
            String redisName = cmd.argString(name).toLowerCase(Locale.ROOT);
            if (redisName.equals("slowlog-log-slower-than")) {
                mirrored.add(LiveSettings.SLOWLOG_LOG_SLOWER_THAN);
                mirrored.add(cmd.argString(name + 1));
            } else if (redisName.equals("slowlog-max-len")) {
                mirrored.add(LiveSettings.SLOWLOG_MAX_LEN);
                mirrored.add(cmd.argString(name + 1));
            } else if (redisName.equals("client-query-buffer-limit")) {
                mirrored.add(LiveSettings.CLIENT_QUERY_BUFFER_LIMIT);
                mirrored.add(cmd.argString(name + 1));
            }
        }
        if (mirrored.isEmpty()) {
            return null;
        }
        try {
            return proxy.live().prepare(mirrored);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The Redis part of a mixed CONFIG SET goes to every local backend (Redis's tip for CONFIG SET is
     * all_nodes); when all of them answered OK the proxy's part is applied and the client gets OK, else
     * the first error (in backend order) and the proxy's settings stay as they were.
     */
    private void setOnBackendsThenApply(ClientSession s, ReplySlot slot, RespCommand cmd, List<Integer> redisNames,
                                        LiveSettings.Change change) {
        ClusterSnapshot snapshot = proxy.cluster().snapshot();
        String refusal = !snapshot.isConfigured() ? "CLUSTERDOWN The cluster is down"
                : snapshot.localBackends().isEmpty() ? "CLUSTERDOWN Hash slot not served" : null;
        if (refusal != null) {
            s.replyError(slot, refusal);
            return;
        }
        List<String> backends = List.copyOf(snapshot.localBackends());
        ByteBufAllocator alloc = s.channel().alloc();
        ByteBuf[] replies = new ByteBuf[backends.size()];
        int[] remaining = {backends.size()};
        for (int part = 0; part < backends.size(); part++) {
            int index = part;
            ByteBuf frame = alloc.buffer(cmd.frame().readableBytes());
            RespWriter.arrayHeader(frame, 2 + 2 * redisNames.size());
            RespWriter.bulk(frame, CONFIG);
            RespWriter.bulk(frame, cmd.arg(1));
            for (int name : redisNames) {
                RespWriter.bulk(frame, cmd.arg(name));
                RespWriter.bulk(frame, cmd.arg(name + 1));
            }
            s.connectionFor(backends.get(part)).send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    slot.backendPartReplied(sentAtNanos);
                    replies[index] = reply;
                    if (--remaining[0] == 0) {
                        finishMixedSet(s, slot, replies, change);
                    }
                }
            }, frame);
        }
    }

    private void finishMixedSet(ClientSession s, ReplySlot slot, ByteBuf[] replies, LiveSettings.Change change) {
        ByteBuf error = null;
        for (ByteBuf reply : replies) {
            if (error == null && (FlatArrays.isError(reply) || !isOk(reply))) {
                error = reply;
            } else {
                reply.release();
            }
        }
        if (error != null) {
            slot.complete(error);
            return;
        }
        // applied even if the client has gone meanwhile: the backends have their part
        apply(s, change);
        slot.complete(Replies.simple(s.channel().alloc(), "OK"));
    }

    private static boolean isOk(ByteBuf reply) {
        return reply.readableBytes() == 5 && reply.getByte(reply.readerIndex()) == '+'
                && reply.getByte(reply.readerIndex() + 1) == 'O' && reply.getByte(reply.readerIndex() + 2) == 'K';
    }

    private void apply(ClientSession s, LiveSettings.Change change) {
        change.apply();
        for (String setting : change.describe()) {
            // the operator's audit trail; passwords are shown as (hidden)
            log.info("event=config_set {} client={}", setting, s.remoteAddress());
        }
    }

    /** The first local backend (as CONFIG GET always went to), or null after replying the reason there is none. */
    private String firstBackend(ClientSession s, ReplySlot slot) {
        ClusterSnapshot snapshot = proxy.cluster().snapshot();
        if (!snapshot.isConfigured()) {
            s.replyError(slot, "CLUSTERDOWN The cluster is down");
            return null;
        }
        if (snapshot.localBackends().isEmpty()) {
            s.replyError(slot, "CLUSTERDOWN Hash slot not served");
            return null;
        }
        return snapshot.localBackends().iterator().next();
    }

    /**
     * The backend's CONFIG GET reply ({@code *2n} in RESP2, {@code %n} in RESP3) with {@code own} added
     * at the end; an error or anything unexpected is passed on as it came. Consumes {@code reply}.
     */
    static ByteBuf appendPairs(ByteBufAllocator alloc, ByteBuf reply, List<Map.Entry<String, String>> own) {
        int start = reply.readerIndex();
        int end = reply.writerIndex();
        if (start >= end || (reply.getByte(start) != '*' && reply.getByte(start) != '%')) {
            return reply;
        }
        int cr = reply.indexOf(start, end, (byte) '\r');
        long count;
        try {
            count = cr < 0 ? -1 : Long.parseLong(reply.toString(start + 1, cr - start - 1, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 0 || cr + 2 > end) {
            return reply;
        }
        byte type = reply.getByte(start);
        long total = count + (type == '%' ? own.size() : 2L * own.size());
        ByteBuf out = alloc.buffer(end - start + 64 * own.size());
        out.writeByte(type);
        ByteBufUtil.writeAscii(out, Long.toString(total));
        out.writeByte('\r').writeByte('\n');
        out.writeBytes(reply, cr + 2, end - cr - 2);
        writePairs(out, own);
        reply.release();
        return out;
    }

    private static void writePairs(ByteBuf out, List<Map.Entry<String, String>> pairs) {
        for (Map.Entry<String, String> pair : pairs) {
            RespWriter.bulk(out, pair.getKey());
            RespWriter.bulk(out, pair.getValue());
        }
    }
}
