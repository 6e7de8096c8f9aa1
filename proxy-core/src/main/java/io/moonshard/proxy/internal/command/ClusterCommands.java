package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandErrors;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.cluster.render.ClusterView;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.moonshard.proxy.internal.route.SlotKeyScan;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code CLUSTER} as a Redis Cluster node answers it, from the current snapshot: NODES, SLOTS, SHARDS,
 * INFO, MYID, MYSHARDID, LINKS, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT (the last two scan the local
 * Redis; a moving slot's hidden keys and the migration's bookkeeping keys are never counted or listed).
 * Subcommands that change a Redis Cluster's configuration (MEET, ADDSLOTS, SETSLOT, FAILOVER, ...) are
 * refused: a Moonshard cluster is configured with {@code UMCTL SETCLUSTER}.
 */
final class ClusterCommands {

    private final ProxyContext proxy;

    ClusterCommands(ProxyContext proxy) {
        this.proxy = proxy;
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        ClusterView view = proxy.cluster().view(s.state().isTls());
        String sub = cmd.argString(1).toLowerCase(Locale.ROOT);
        switch (sub) {
            case "nodes" -> s.reply(slot, Replies.bulk(s.channel().alloc(), view.clusterNodes()));
            case "slots" -> {
                ByteBuf out = s.channel().alloc().buffer();
                view.writeClusterSlots(out);
                s.reply(slot, out);
            }
            case "shards" -> {
                ByteBuf out = s.channel().alloc().buffer();
                view.writeClusterShards(out);
                s.reply(slot, out);
            }
            case "info" -> s.reply(slot, Replies.bulk(s.channel().alloc(), view.clusterInfo()));
            case "myid" -> s.reply(slot, Replies.bulk(s.channel().alloc(), view.myId()));
            case "myshardid" -> {
                if (cmd.argCount() != 2) {
                    s.replyError(slot, "ERR wrong number of arguments for 'cluster|myshardid' command");
                } else {
                    // every proxy's master is a shard of its own, and the proxy answers as that master
                    // (a replica it hosts belongs to another proxy's shard)
                    s.reply(slot, Replies.bulk(s.channel().alloc(), view.myId()));
                }
            }
            case "links" -> links(s, slot, cmd);
            case "keyslot" -> s.reply(slot, Replies.integer(s.channel().alloc(),
                    SlotHash.slot(cmd.frame(), cmd.argOffset(2), cmd.argLength(2))));
            case "countkeysinslot" -> countKeysInSlot(s, slot, cmd);
            case "getkeysinslot" -> getKeysInSlot(s, slot, cmd);
            case "help" -> s.reply(slot, Replies.bulk(s.channel().alloc(),
                    "CLUSTER NODES|SLOTS|SHARDS|INFO|MYID|MYSHARDID|LINKS|KEYSLOT|COUNTKEYSINSLOT|GETKEYSINSLOT"));
            default -> {
                if (CommandTable.standard().lookup("cluster|" + sub) != null) {
                    s.replyError(slot, "ERR CLUSTER " + sub.toUpperCase(Locale.ROOT)
                            + " is not supported by Moonshard: the cluster is configured with UMCTL SETCLUSTER");
                } else {
                    s.replyError(slot, new String(CommandErrors.unknownSubcommand(cmd), StandardCharsets.UTF_8));
                }
            }
        }
    }

    /**
     * {@code CLUSTER LINKS} in Redis 7.0's shape (a map per link). Proxies have no cluster bus; the
     * links shown are the ones this proxy has in its place: one outbound link to each peer proxy of
     * the metadata (it redirects clients there and relays PUBLISH there), created when that peer first
     * appeared in the metadata. No inbound links, and no send buffers: there is no bus traffic.
     */
    private void links(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (cmd.argCount() != 2) {
            s.replyError(slot, "ERR wrong number of arguments for 'cluster|links' command");
            return;
        }
        ClusterState.Current current = proxy.cluster().published(); // one read: the view and its times agree
        ClusterView view = s.state().isTls() ? current.tlsView() : current.view();
        List<ClusterView.Node> nodes = view.nodes();
        List<String> peerAddresses = new ArrayList<>(view.snapshot().peers().keySet());
        ByteBuf out = s.channel().alloc().buffer();
        RespWriter.arrayHeader(out, nodes.size() - 1);
        for (int i = 1; i < nodes.size(); i++) { // nodes: this proxy, then each peer in SETCLUSTER order
            RespWriter.mapHeader(out, 6, s.state().protocol());
            RespWriter.bulk(out, "direction");
            RespWriter.bulk(out, "to");
            RespWriter.bulk(out, "node");
            RespWriter.bulk(out, nodes.get(i).id());
            RespWriter.bulk(out, "create-time");
            RespWriter.integer(out, current.peerSince().getOrDefault(peerAddresses.get(i - 1), 0L));
            RespWriter.bulk(out, "events");
            RespWriter.bulk(out, "r");
            RespWriter.bulk(out, "send-buffer-allocated");
            RespWriter.integer(out, 0);
            RespWriter.bulk(out, "send-buffer-used");
            RespWriter.integer(out, 0);
        }
        s.reply(slot, out);
    }

    /**
     * The local Redis whose keys of {@code hashSlot} clients see here, or null when it has none, as a
     * Redis Cluster node that does not hold the slot: a slot whose keys are hidden while it moves
     * (staged at this destination, moved away from this source and not yet trimmed) has none; a slot
     * this destination serves once it committed the import, before the coordinator's SETCLUSTER, has
     * its importing node's.
     */
    private String servingBackend(int hashSlot) {
        MigrationGate.Table moving = proxy.migrationGate().table();
        if (moving.hides(hashSlot)) {
            return null;
        }
        if (moving.verdict(hashSlot) == MigrationGate.Verdict.SERVE_IMPORTED) {
            return moving.target(hashSlot);
        }
        return proxy.cluster().snapshot().localOwner(hashSlot);
    }

    private void countKeysInSlot(ClientSession s, ReplySlot slot, RespCommand cmd) {
        long hashSlot;
        try {
            hashSlot = cmd.argLong(2);
        } catch (NumberFormatException e) {
            s.replyError(slot, "ERR value is not an integer or out of range");
            return;
        }
        if (hashSlot < 0 || hashSlot >= SlotHash.SLOT_COUNT) {
            s.replyError(slot, "ERR Invalid slot");
            return;
        }
        String backend = servingBackend((int) hashSlot);
        if (backend == null) {
            s.reply(slot, Replies.integer(s.channel().alloc(), 0)); // no keys of that slot here
            return;
        }
        SlotKeyScan.count(s, slot, s.pool.connection(backend, s.id, 2), (int) hashSlot);
    }

    private void getKeysInSlot(ClientSession s, ReplySlot slot, RespCommand cmd) {
        long hashSlot;
        long count;
        try {
            hashSlot = cmd.argLong(2);
            count = cmd.argLong(3);
        } catch (NumberFormatException e) {
            s.replyError(slot, "ERR value is not an integer or out of range");
            return;
        }
        if (hashSlot < 0 || hashSlot >= SlotHash.SLOT_COUNT || count < 0) {
            s.replyError(slot, "ERR Invalid slot or number of keys");
            return;
        }
        String backend = servingBackend((int) hashSlot);
        if (backend == null) {
            ByteBuf out = s.channel().alloc().buffer(4);
            RespWriter.arrayHeader(out, 0);
            s.reply(slot, out);
            return;
        }
        SlotKeyScan.keys(s, slot, s.pool.connection(backend, s.id, 2), (int) hashSlot, count);
    }
}
