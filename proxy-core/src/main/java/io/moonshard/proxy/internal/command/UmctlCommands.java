package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.metadata.ReplicationState;
import io.moonshard.proxy.internal.replication.ReplicationEngine;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * undermoon's control commands, with its exact replies (undermoon-proxy-spec §2): {@code SETCLUSTER},
 * {@code SETREPL}, {@code GETEPOCH}, {@code LISTCLUSTER}, {@code READY}, {@code INFOREPL},
 * {@code SHUTDOWN}, {@code SLOWLOG}; and Moonshard's {@code AUTH}, {@code PEERAUTH}, the peer
 * relay {@code PUBLISH}, the controller's lease: {@code LEASE} (admin) and {@code INFOLEASE}, and
 * {@code WIPE} (admin), which empties a proxy a cluster let go before another may take it.
 *
 * <p>Who may run what ({@link #refusal}), undermoon having no authentication at all:
 * <ul>
 *   <li>{@link #AUTHENTICATION} subcommands run before anything, like Redis's AUTH;</li>
 *   <li>every other subcommand needs what a Redis command needs: the client's AUTH when a client
 *       password is set ({@code NOAUTH Authentication required.}), or the admin password;</li>
 *   <li>{@link #CLUSTER_CHANGING} subcommands also need {@code UMCTL AUTH <admin_password>} whenever an
 *       admin password is configured;</li>
 *   <li>{@link #PEER} subcommands, which only proxies send each other, need the cluster secret
 *       ({@code UMCTL PEERAUTH <cluster_secret>}); without a configured secret they stay open only while
 *       the proxy has no password of any kind, as before passwords existed;</li>
 *   <li>{@link #PEER_READABLE} subcommands are also open to a connection that proved the cluster secret.</li>
 * </ul>
 */
public final class UmctlCommands {

    /** Prove a credential: allowed before the client's AUTH, like AUTH itself. */
    static final Set<String> AUTHENTICATION = Set.of("AUTH", "PEERAUTH");
    /**
     * Change the cluster's metadata or the proxy's life: need the admin password when one is set. A
     * migration or replication command joins this list.
     */
    static final Set<String> CLUSTER_CHANGING =
            Set.of("SETCLUSTER", "SETREPL", "SHUTDOWN", "PROMOTE", "SWITCHOVER", "LEASE", "WIPE");
    /** Sent by a peer proxy: need the cluster secret. The relay of PUBLISH, and the migration handshake. */
    static final Set<String> PEER = Set.of("PUBLISH", "PRECHECK", "PRESWITCH", "FINALSWITCH", "MGRABORT", "MGRSEED",
            "PROMOTED");
    /**
     * Reading commands a connection that proved the cluster secret may run too, without a client AUTH:
     * each proxy reads its peers' replication metadata to show every shard's replicas.
     */
    static final Set<String> PEER_READABLE = Set.of("INFOREPL");

    private final ProxyContext proxy;
    private final SlowlogCommands slowlog;
    private final PubSubCommands pubsub;

    UmctlCommands(ProxyContext proxy, PubSubCommands pubsub) {
        this.proxy = proxy;
        this.slowlog = new SlowlogCommands(proxy);
        this.pubsub = pubsub;
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (cmd.argCount() < 2) {
            s.replyError(slot, "Missing sub command");
            return;
        }
        ClusterState cluster = proxy.cluster();
        String sub = cmd.argString(1).toUpperCase(Locale.ROOT);
        String refusal = refusal(s, sub, cmd);
        if (refusal != null) {
            s.replyError(slot, refusal);
            return;
        }
        switch (sub) {
            case "AUTH" -> adminAuth(s, slot, cmd);
            case "PEERAUTH" -> peerAuth(s, slot, cmd);
            case "PUBLISH" -> pubsub.publishLocally(s, slot, cmd); // a peer relaying a PUBLISH
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
            case "READY" -> s.reply(slot, Replies.integer(s.channel().alloc(), proxy.isReady() ? 1 : 0));
            case "LEASE" -> {
                List<String> args = utf8Args(cmd, 2);
                replyLine(s, slot, args == null ? "-ERR lease arguments are not valid UTF-8" : cluster.lease().apply(args));
            }
            case "INFOLEASE" -> {
                List<String> lines = cluster.lease().infoLines();
                ByteBuf out = s.channel().alloc().buffer();
                RespWriter.arrayHeader(out, lines.size());
                lines.forEach(line -> RespWriter.bulk(out, line));
                s.reply(slot, out);
            }
            case "INFOREPL" -> infoRepl(s, slot, cluster.replication());
            case "INFOMGR" -> infoMgr(s, slot, cmd);
            case "PRECHECK", "PRESWITCH", "FINALSWITCH", "MGRABORT", "MGRSEED" -> migrationSwitch(s, slot, cmd, sub);
            case "INFO" -> info(s, slot, cluster);
            case "SLOWLOG" -> slowlog.umctl(s, slot, cmd);
            case "SHUTDOWN" -> shutdown(s, slot, cmd);
            case "PROMOTE", "SWITCHOVER", "PROMOTED" -> failover(s, slot, cmd, sub);
            case "WIPE" -> wipe(s, slot, cmd, cluster);
            default -> s.replyError(slot, "Invalid sub command");
        }
    }

    /**
     * undermoon's INFOMGR: one line per task that reached the commit, the coordinator's cue to commit
     * it. {@code UMCTL INFOMGR PROGRESS} (Moonshard's) lists every task with its progress instead.
     */
    private void infoMgr(ClientSession s, ReplySlot slot, RespCommand cmd) {
        boolean progress = cmd.argCount() > 2 && cmd.argString(2).equalsIgnoreCase("PROGRESS");
        List<String> lines = progress ? proxy.migration().progressLines() : proxy.migration().committedLines();
        ByteBuf out = s.channel().alloc().buffer();
        RespWriter.arrayHeader(out, lines.size());
        for (String line : lines) {
            RespWriter.bulk(out, line);
        }
        s.reply(slot, out);
    }

    /**
     * A failover step, run by the replication engine off the event loop:
     * {@code PROMOTE <epoch> <node> (MINOFFSET <offset> | FORCE)} (admin),
     * {@code SWITCHOVER <epoch> <node> <replica-node> <replica-proxy> [TIMEOUT <ms>]} (admin), and
     * {@code PROMOTED <epoch> <node> <offset>} (the switchover's old master's proxy, with the cluster secret).
     */
    private void failover(ClientSession s, ReplySlot slot, RespCommand cmd, String sub) {
        List<String> args = utf8Args(cmd, 2);
        java.util.function.Consumer<String> reply = line -> s.channel().eventLoop().execute(() -> replyLine(s, slot, line));
        try {
            if (args == null || args.size() < 2) {
                throw new IllegalArgumentException();
            }
            long epoch = Long.parseLong(args.get(0));
            String node = args.get(1);
            switch (sub) {
                case "PROMOTE" -> {
                    if (args.size() == 3 && args.get(2).equalsIgnoreCase("FORCE")) {
                        proxy.replication().promote(epoch, node, 0, true, reply);
                    } else if (args.size() == 4 && args.get(2).equalsIgnoreCase("MINOFFSET")) {
                        proxy.replication().promote(epoch, node, Long.parseLong(args.get(3)), false, reply);
                    } else {
                        throw new IllegalArgumentException();
                    }
                }
                case "SWITCHOVER" -> {
                    long timeout = 2_000;
                    if (args.size() == 6 && args.get(4).equalsIgnoreCase("TIMEOUT")) {
                        timeout = Long.parseLong(args.get(5));
                    } else if (args.size() != 4) {
                        throw new IllegalArgumentException();
                    }
                    if (timeout <= 0) {
                        throw new IllegalArgumentException();
                    }
                    proxy.replication().switchover(epoch, node, args.get(2), args.get(3), timeout, reply);
                }
                default -> {
                    if (args.size() != 3) {
                        throw new IllegalArgumentException();
                    }
                    proxy.replication().promotedByPeer(epoch, node, Long.parseLong(args.get(2)), reply);
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            s.replyError(slot, "Invalid arguments");
        }
    }

    /**
     * {@code UMCTL WIPE <epoch> [REDIRECT] <node>...} (admin): the controller empties a proxy its cluster
     * let go (deleted, or scaled in) before any cluster may take it, so no cluster ever sees another's data.
     * {@code REDIRECT} keeps the peers of the current metadata (a proxy a scale-in released keeps sending
     * clients with an old slot map on with {@code MOVED}); without it the proxy knows no peer either.
     * Refused with {@code -OLD_EPOCH} unless {@code epoch} is newer than both the proxy's SETCLUSTER and
     * SETREPL epochs (a stale controller never wipes a proxy a newer cluster already uses), and then
     * nothing is touched. Otherwise, in this order: the proxy takes empty metadata at {@code epoch} (it
     * serves no slot from here on, so no client sees a half-wiped node), every listed node becomes a master
     * of no cluster in its SETREPL, and the replication engine, off the event loop, waits for the migration
     * tasks of the old metadata to end and runs {@code REPLICAOF NO ONE} and {@code FLUSHALL SYNC} on each
     * node. {@code +OK} comes only when every node is an empty master; an error names the node that failed.
     * The same epoch again is answered the same way (the flush is repeated, which is harmless).
     */
    private void wipe(ClientSession s, ReplySlot slot, RespCommand cmd, ClusterState cluster) {
        List<String> args = utf8Args(cmd, 2);
        long epoch;
        boolean redirect;
        List<String> nodes;
        try {
            if (args == null || args.size() < 2) {
                throw new IllegalArgumentException();
            }
            epoch = Long.parseLong(args.get(0));
            if (epoch <= 0) {
                throw new IllegalArgumentException();
            }
            redirect = args.get(1).equalsIgnoreCase("REDIRECT");
            nodes = List.copyOf(args.subList(redirect ? 2 : 1, args.size()));
            if (nodes.isEmpty()) {
                throw new IllegalArgumentException();
            }
            nodes.forEach(HostPort::parse);
        } catch (IllegalArgumentException e) { // NumberFormatException included
            s.replyError(slot, "Invalid arguments");
            return;
        }
        // both epochs are checked before either changes, so a refused wipe leaves the proxy as it was
        if (epoch < cluster.snapshot().epoch() || epoch < cluster.replication().floor()) {
            s.replyError(slot, "OLD_EPOCH");
            return;
        }
        String served = cluster.wipe(epoch, redirect);
        if (!served.startsWith("+")) {
            replyLine(s, slot, served);
            return;
        }
        String roles = cluster.replication().wipe(epoch, nodes);
        if (!roles.startsWith("+")) {
            replyLine(s, slot, roles);
            return;
        }
        proxy.replication().wipe(nodes, proxy.migration()::liveTasks,
                () -> cluster.wipedAt(epoch) && cluster.replication().wipedAt(epoch),
                line -> s.channel().eventLoop().execute(() -> replyLine(s, slot, line)));
    }

    /** The handshake's destination side: answered by the migration engine off the event loop. */
    private void migrationSwitch(ClientSession s, ReplySlot slot, RespCommand cmd, String sub) {
        List<String> args = utf8Args(cmd, 2);
        if (args == null) {
            s.replyError(slot, "failed to parse migration switch arguments");
            return;
        }
        proxy.migration().peerCommand(sub, args, line -> s.channel().eventLoop().execute(() -> replyLine(s, slot, line)));
    }

    /**
     * {@link #isReady(ClusterSnapshot)}, and no local master the snapshot routes to is down or held (its
     * Redis restarted and waits for a failover): a shard with no safe master is not ready.
     */
    public static boolean isReady(ClusterSnapshot snapshot, List<ReplicationEngine.Status> replication) {
        for (ReplicationEngine.Status st : replication) {
            if (st.unsafeMaster() && snapshot.localBackends().contains(st.entry().address())) {
                return false;
            }
        }
        return isReady(snapshot);
    }

    /**
     * undermoon's readiness rule: metadata is present and some local range is stable or importing,
     * i.e. the proxy is not only handing slots away.
     */
    public static boolean isReady(ClusterSnapshot snapshot) {
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

    /**
     * undermoon's lines per SETREPL entry, then Moonshard's: {@code state:} (the keeper's, e.g.
     * {@code in_sync}, {@code held}), {@code offset:} (the node's replication offset, -1 unknown) and, for a
     * replica, {@code lag:} (bytes behind its master, -1 unknown) and {@code link:up|down}.
     */
    private void writeInfoRepl(ByteBuf out, ReplicationState replication) {
        List<SetReplRequest.Node> nodes = replication.nodes();
        Map<SetReplRequest.Node, ReplicationEngine.Status> status = new java.util.HashMap<>();
        for (ReplicationEngine.Status st : proxy.replication().statuses()) {
            status.put(st.entry(), st);
        }
        RespWriter.arrayHeader(out, nodes.size());
        for (SetReplRequest.Node n : nodes) {
            ReplicationEngine.Status st = status.get(n);
            int extra = n.master() ? 2 : 4;
            RespWriter.arrayHeader(out, 3 + n.peers().size() + extra);
            RespWriter.bulk(out, "cluster:" + n.clusterName() + "\n");
            RespWriter.bulk(out, "role:" + (n.master() ? "master" : "replica") + "\n");
            RespWriter.bulk(out, "node_address:" + n.address() + "\n");
            for (SetReplRequest.Peer peer : n.peers()) {
                RespWriter.bulk(out, (n.master() ? "replica:" : "master:") + peer.nodeAddress() + "@"
                        + peer.proxyAddress() + "\n");
            }
            RespWriter.bulk(out, "state:" + (st == null ? "unknown" : st.state()) + "\n");
            RespWriter.bulk(out, "offset:" + (st == null ? -1 : st.offset()) + "\n");
            if (!n.master()) {
                RespWriter.bulk(out, "lag:" + (st == null ? -1 : st.lag()) + "\n");
                RespWriter.bulk(out, "link:" + (st != null && st.linkUp() ? "up" : "down") + "\n");
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

    /**
     * Null when this session may run {@code UMCTL <sub>}, else the error. Unknown subcommands count as
     * reading ones: before AUTH they get NOAUTH, after it {@code Invalid sub command}.
     */
    private String refusal(ClientSession s, String sub, RespCommand cmd) {
        if (AUTHENTICATION.contains(sub)) {
            return null;
        }
        if (PEER.contains(sub)) {
            return peerRefusal(s, sub);
        }
        if (PEER_READABLE.contains(sub) && s.state().isPeer()) {
            return null;
        }
        if (!s.state().isAuthenticated() && !s.state().isAdmin() && !proxy.credentials().openByDefault()) {
            return "NOAUTH Authentication required.";
        }
        // UMCTL is the proxy's administration (its slow log holds every user's arguments): an ACL user
        // with restricted rules may not run it, unless the connection also proved the admin password
        if (!s.state().isAdmin() && !s.state().user().unrestricted()) {
            return "NOPERM this user has no permissions to run the 'umctl' command";
        }
        // UMCTL SHUTDOWN <admin_password> carries the password itself, which shutdown() checks
        boolean passwordInline = sub.equals("SHUTDOWN") && cmd.argCount() >= 3;
        if (CLUSTER_CHANGING.contains(sub) && !isAdmin(s) && !passwordInline) {
            return "NOAUTH UMCTL " + sub + " needs the admin password: UMCTL AUTH <admin_password> first";
        }
        return null;
    }

    private String peerRefusal(ClientSession s, String sub) {
        if (s.state().isPeer()) {
            return null;
        }
        String secret = proxy.config().clusterSecret();
        if (secret == null) {
            // with no password anywhere anybody may run anything, so the relay stays open as it was;
            // once one is set, only the secret could tell a peer from a client, and there is none
            if (proxy.credentials().openByDefault() && proxy.config().adminPassword() == null) {
                return null;
            }
            return "NOAUTH UMCTL " + sub + " is for peer proxies and needs the cluster secret, "
                    + "but this proxy has no cluster_secret configured";
        }
        return "NOAUTH UMCTL " + sub + " is for peer proxies: UMCTL PEERAUTH <cluster_secret> first";
    }

    /** With an {@code admin_password} configured, only sessions that sent it may change the metadata. */
    private boolean isAdmin(ClientSession s) {
        return s.state().isAdmin() || proxy.config().adminPassword() == null;
    }

    /** {@code UMCTL AUTH <admin_password>}: this connection may then run every UMCTL command but the peers'. */
    private void adminAuth(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String required = proxy.config().adminPassword();
        if (cmd.argCount() != 3) {
            s.replyError(slot, "Invalid arguments");
        } else if (required == null) {
            s.replyError(slot, "ERR UMCTL AUTH called without any admin_password configured");
        } else if (!MessageDigest.isEqual(required.getBytes(StandardCharsets.UTF_8), cmd.argBytes(2))) {
            s.replyError(slot, "WRONGPASS invalid admin password");
        } else {
            s.state().grantAdmin();
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        }
    }

    /**
     * {@code UMCTL PEERAUTH <cluster_secret>}: a peer proxy proves it belongs to the cluster, once per
     * connection ({@link BackendConnection} sends it first); this connection may then run the
     * {@link #PEER} commands, nothing else.
     */
    private void peerAuth(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String secret = proxy.config().clusterSecret();
        if (cmd.argCount() != 3) {
            s.replyError(slot, "Invalid arguments");
        } else if (secret == null) {
            s.replyError(slot, "ERR UMCTL PEERAUTH called without any cluster_secret configured");
        } else if (!MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8), cmd.argBytes(2))) {
            s.replyError(slot, "WRONGPASS invalid cluster secret");
        } else {
            s.state().markPeer();
            s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        }
    }

    /**
     * {@code UMCTL SHUTDOWN [admin_password]}: undermoon leaves it open; a configured admin password
     * guards it, given by {@code UMCTL AUTH} before or as the argument.
     */
    private void shutdown(ClientSession s, ReplySlot slot, RespCommand cmd) {
        String required = proxy.config().adminPassword();
        if (required != null && !s.state().isAdmin()
                && !MessageDigest.isEqual(required.getBytes(StandardCharsets.UTF_8), cmd.argBytes(2))) {
            s.replyError(slot, "WRONGPASS invalid admin password");
            return;
        }
        s.reply(slot, Replies.simple(s.channel().alloc(), "OK"));
        s.channel().eventLoop().execute(proxy::requestShutdown); // after the +OK is on its way
    }

    /** A SETCLUSTER frame larger than this is parsed off the event loop, as COMPRESS ones always are. */
    private static final int INLINE_SETCLUSTER_BYTES = 64 * 1024;

    /**
     * {@code UMCTL SETCLUSTER}: the reply may come later, from the applier thread, into this command's
     * reply slot, so the client's replies keep their order; its next commands are held until then, so
     * they see the metadata it set, as after an inline one. The arguments are copied on the loop
     * and decoded where the command is applied.
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
        // Copied here, on the loop: the request frame is released when this returns and its memory may
        // be reused by the decoder, while the applier thread may read the arguments later (behind a
        // heavy one, even a light SETCLUSTER waits for it). Each argument is at most 4 MiB.
        List<byte[]> raw = new ArrayList<>(cmd.argCount() - 2);
        for (int i = 2; i < cmd.argCount(); i++) {
            raw.add(cmd.argBytes(i));
        }
        Supplier<List<String>> args = () -> utf8Args(raw);
        Runnable discard = () -> { };
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
        List<byte[]> raw = new ArrayList<>(cmd.argCount() - from);
        for (int i = from; i < cmd.argCount(); i++) {
            raw.add(cmd.argBytes(i));
        }
        return utf8Args(raw);
    }

    /** The arguments as strings, or null when one is not UTF-8. */
    private static List<String> utf8Args(List<byte[]> raw) {
        List<String> out = new ArrayList<>(raw.size());
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (byte[] arg : raw) {
            try {
                out.add(decoder.decode(ByteBuffer.wrap(arg)).toString());
            } catch (CharacterCodingException e) {
                return null;
            }
        }
        return out;
    }
}
