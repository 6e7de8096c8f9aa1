package io.moonshard.proxy.internal;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * undermoon's control commands, with its exact replies (undermoon-proxy-spec §2): {@code SETCLUSTER},
 * {@code SETREPL}, {@code GETEPOCH}, {@code LISTCLUSTER}, {@code READY}, {@code INFOREPL},
 * {@code SHUTDOWN}, {@code SLOWLOG}.
 */
final class UmctlCommands {

    private final ProxyContext proxy;
    private final SlowlogCommands slowlog;

    UmctlCommands(ProxyContext proxy) {
        this.proxy = proxy;
        this.slowlog = new SlowlogCommands(proxy);
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (cmd.argCount() < 2) {
            s.replyError(slot, "Missing sub command");
            return;
        }
        ClusterState cluster = proxy.cluster();
        String sub = cmd.argString(1).toUpperCase(Locale.ROOT);
        if ((sub.equals("SETCLUSTER") || sub.equals("SETREPL")) && !isAdmin(s)) {
            s.replyError(slot, "NOAUTH UMCTL " + sub + " needs the admin password: UMCTL AUTH <admin_password> first");
            return;
        }
        switch (sub) {
            case "AUTH" -> adminAuth(s, slot, cmd);
            case "SETCLUSTER" -> setCluster(s, slot, cmd, cluster);
            case "SETREPL" -> {
                List<String> args = utf8Args(cmd, 2);
                replyLine(s, slot, args == null ? "-Invalid arguments" : cluster.replication().apply(args));
            }
            case "GETEPOCH" -> s.reply(slot, Replies.integer(s.channel().alloc(), cluster.snapshot().epoch()));
            case "LISTCLUSTER" -> {
                ByteBuf out = s.channel().alloc().buffer();
                RespWriter.arrayHeader(out, 1);
                RespWriter.bulk(out, cluster.snapshot().name());
                s.reply(slot, out);
            }
            case "READY" -> s.reply(slot, Replies.integer(s.channel().alloc(), isReady(cluster.snapshot()) ? 1 : 0));
            case "INFOREPL" -> infoRepl(s, slot, cluster.replication());
            case "INFOMGR" -> {
                // migration tasks that reached SWITCH_COMMITTED: none, as this version moves no data
                ByteBuf out = s.channel().alloc().buffer(4);
                RespWriter.arrayHeader(out, 0);
                s.reply(slot, out);
            }
            case "INFO" -> info(s, slot, cluster);
            case "SLOWLOG" -> slowlog.umctl(s, slot, cmd);
            case "SHUTDOWN" -> shutdown(s, slot, cmd);
            default -> s.replyError(slot, "Invalid sub command");
        }
    }

    /**
     * undermoon's readiness rule: metadata is present and some local range is stable or importing,
     * i.e. the proxy is not only handing slots away.
     */
    static boolean isReady(ClusterSnapshot snapshot) {
        if (!snapshot.isConfigured()) {
            return false;
        }
        for (List<SlotAssignment> list : snapshot.local().values()) {
            for (SlotAssignment a : list) {
                if (a.tag() != RangeTag.MIGRATING && !a.slots().isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    private void infoRepl(ClientSession s, ReplySlot slot, ReplicationState replication) {
        ByteBuf out = s.channel().alloc().buffer();
        writeInfoRepl(out, replication);
        s.reply(slot, out);
    }

    private static void writeInfoRepl(ByteBuf out, ReplicationState replication) {
        List<SetReplRequest.Node> nodes = replication.nodes();
        RespWriter.arrayHeader(out, nodes.size());
        for (SetReplRequest.Node n : nodes) {
            RespWriter.arrayHeader(out, 3 + n.peers().size());
            RespWriter.bulk(out, "cluster:" + n.clusterName() + "\n");
            RespWriter.bulk(out, "role:" + (n.master() ? "master" : "replica") + "\n");
            RespWriter.bulk(out, "node_address:" + n.address() + "\n");
            for (SetReplRequest.Peer peer : n.peers()) {
                RespWriter.bulk(out, (n.master() ? "replica:" : "master:") + peer.nodeAddress() + "@"
                        + peer.proxyAddress() + "\n");
            }
        }
    }

    /**
     * {@code UMCTL INFO}: undermoon's nested array (spec §2.3): the cluster's local nodes and peers with
     * their ranges (a tagged range adds its migration fields), then the replication metadata, then the
     * migration tasks (none in this version).
     */
    private void info(ClientSession s, ReplySlot slot, ClusterState cluster) {
        ClusterSnapshot snapshot = cluster.snapshot();
        ByteBuf out = s.channel().alloc().buffer();
        RespWriter.arrayHeader(out, 6);
        RespWriter.bulk(out, "Cluster");
        RespWriter.arrayHeader(out, 5);
        RespWriter.bulk(out, snapshot.name());
        RespWriter.bulk(out, "local");
        RespWriter.arrayHeader(out, 3 + snapshot.local().size());
        RespWriter.bulk(out, "name: " + snapshot.name());
        RespWriter.bulk(out, "epoch: " + snapshot.epoch());
        RespWriter.bulk(out, "nodes:");
        snapshot.local().forEach((address, assignments) -> writeNode(out, address, assignments));
        RespWriter.bulk(out, "peer");
        RespWriter.arrayHeader(out, 1 + snapshot.peers().size());
        RespWriter.bulk(out, "peers:");
        snapshot.peers().forEach((address, assignments) -> writeNode(out, address, assignments));
        RespWriter.bulk(out, "Replication");
        writeInfoRepl(out, cluster.replication());
        RespWriter.bulk(out, "Migration");
        RespWriter.arrayHeader(out, 1);
        RespWriter.bulk(out, "name: " + snapshot.name());
        s.reply(slot, out);
    }

    /** {@code [address, [[tag lines..., "<n> <s-e>..."], ...]]}. */
    private static void writeNode(ByteBuf out, String address, List<SlotAssignment> assignments) {
        RespWriter.arrayHeader(out, 2);
        RespWriter.bulk(out, address);
        RespWriter.arrayHeader(out, assignments.size());
        for (SlotAssignment a : assignments) {
            StringBuilder ranges = new StringBuilder().append(a.slots().ranges().size());
            a.slots().ranges().forEach(r -> ranges.append(' ').append(r.start()).append('-').append(r.end()));
            if (a.meta() == null) {
                RespWriter.arrayHeader(out, 1);
            } else {
                RespWriter.arrayHeader(out, 6);
                RespWriter.bulk(out, Long.toString(a.meta().epoch()));
                RespWriter.bulk(out, "src_proxy: " + a.meta().srcProxy());
                RespWriter.bulk(out, "src_node: " + a.meta().srcNode());
                RespWriter.bulk(out, "dst_proxy: " + a.meta().dstProxy());
                RespWriter.bulk(out, "dst_node: " + a.meta().dstNode());
            }
            RespWriter.bulk(out, ranges.toString());
        }
    }

    /** With an {@code admin_password} configured, only sessions that sent it may change the metadata. */
    private boolean isAdmin(ClientSession s) {
        return s.admin || proxy.config().adminPassword() == null;
    }

    /** {@code UMCTL AUTH <admin_password>}: this connection may then send SETCLUSTER, SETREPL and SHUTDOWN. */
    private void adminAuth(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String required = proxy.config().adminPassword();
        if (cmd.argCount() != 3) {
            s.replyError(slot, "Invalid arguments");
        } else if (required == null) {
            s.replyError(slot, "ERR UMCTL AUTH called without any admin_password configured");
        } else if (!java.security.MessageDigest.isEqual(required.getBytes(StandardCharsets.UTF_8), cmd.argBytes(2))) {
            s.replyError(slot, "WRONGPASS invalid admin password");
        } else {
            s.admin = true;
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        }
    }

    /** {@code UMCTL SHUTDOWN [admin_password]}: undermoon leaves it open; a configured admin password guards it. */
    private void shutdown(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String required = proxy.config().adminPassword();
        if (required != null && !s.admin) {
            if (cmd.argCount() < 3) {
                s.replyError(slot, "NOAUTH UMCTL SHUTDOWN needs the admin password");
                return;
            }
            if (!java.security.MessageDigest.isEqual(required.getBytes(StandardCharsets.UTF_8), cmd.argBytes(2))) {
                s.replyError(slot, "WRONGPASS invalid admin password");
                return;
            }
        }
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        s.channel().eventLoop().execute(proxy::requestShutdown); // after the +OK is on its way
    }

    /** A SETCLUSTER frame larger than this is parsed off the event loop, as COMPRESS ones always are. */
    private static final int INLINE_SETCLUSTER_BYTES = 64 * 1024;

    /**
     * {@code UMCTL SETCLUSTER}: the reply may come later, from the applier thread, into this command's
     * reply slot, so the client's replies keep their order; its next commands are held until then, so
     * they see the metadata it set, as after an inline one. Off the loop, the arguments are read from
     * a retained reference to the request frame, released once they are decoded.
     */
    private static void setCluster(ClientSession s, ReplySlot slot, RespCommand cmd, ClusterState cluster) {
        // the flags argument, read only when it is of a sane size
        boolean compress = cmd.argCount() > 4 && cmd.argLength(4) <= 256
                && cmd.argString(4).toUpperCase(Locale.ROOT).contains("COMPRESS");
        for (int i = 2; i < cmd.argCount(); i++) {
            if (cmd.argLength(i) > SetClusterParser.MAX_COMPRESSED_BYTES) {
                // refused before any copy or decoding of it
                s.replyError(slot, SetClusterParser.INVALID_METADATA + (compress ? "the COMPRESS payload is "
                        : "an argument is ") + cmd.argLength(i) + " bytes, over the limit of "
                        + SetClusterParser.MAX_COMPRESSED_BYTES);
                return;
            }
        }
        boolean heavy = compress || cmd.frame().readableBytes() > INLINE_SETCLUSTER_BYTES;
        RespCommand held = heavy ? cmd.retain() : cmd;
        Supplier<List<String>> args = heavy ? () -> {
            try {
                return utf8Args(held, 2);
            } finally {
                held.release();
            }
        } : () -> utf8Args(cmd, 2);
        Runnable discard = heavy ? held::release : () -> { };
        boolean queued = cluster.applySetCluster(heavy, args, discard, s.channel().eventLoop(), line -> {
            replyLine(s, slot, line);
            s.resumeDispatch();
        });
        if (queued) {
            s.holdDispatch(); // the client's next commands run once the new metadata is in place
        }
    }

    private static void replyLine(ClientSession s, ReplySlot slot, String line) {
        if (line.startsWith("+")) {
            s.reply(slot, Replies.simple(s.channel().alloc(), line.substring(1)));
        } else {
            s.replyError(slot, line.substring(1));
        }
    }

    /** Arguments from {@code from} on as strings; null when one is not valid UTF-8 (undermoon drops those silently). */
    private static List<String> utf8Args(RespCommand cmd, int from) {
        List<String> out = new ArrayList<>(cmd.argCount() - from);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = from; i < cmd.argCount(); i++) {
            try {
                out.add(decoder.decode(ByteBuffer.wrap(cmd.argBytes(i))).toString());
            } catch (CharacterCodingException e) {
                return null;
            }
        }
        return out;
    }
}
