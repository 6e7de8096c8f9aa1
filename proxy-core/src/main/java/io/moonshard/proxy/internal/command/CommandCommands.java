package io.moonshard.proxy.internal.command;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.command.CommandTable;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.proxy.internal.route.Forwarder;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;

/**
 * {@code COMMAND [COUNT | GETKEYS | INFO | DOCS | LIST]}. COUNT and GETKEYS are answered from the
 * generated table (the same key extraction the router uses); the descriptive replies (no argument,
 * INFO, DOCS, LIST) come from a local backend, which runs the Redis version the table was generated
 * from, so they are byte-identical to Redis's.
 */
final class CommandCommands {

    private static final AsciiString COUNT = AsciiString.cached("COUNT");
    private static final AsciiString GETKEYS = AsciiString.cached("GETKEYS");

    private final CommandTable table;
    private final Forwarder forwarder;

    CommandCommands(CommandTable table, Forwarder forwarder) {
        this.table = table;
        this.forwarder = forwarder;
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        if (cmd.argCount() == 2 && cmd.argEqualsIgnoreCase(1, COUNT)) {
            s.reply(slot, Replies.integer(s.channel().alloc(), table.commands().size()));
        } else if (cmd.argCount() >= 3 && cmd.argEqualsIgnoreCase(1, GETKEYS)) {
            getKeys(s, slot, cmd);
        } else if (!forwarder.sendToAnyBackend(s, slot, cmd)) {
            s.replyError(slot, "CLUSTERDOWN The cluster is down");
        }
    }

    private void getKeys(ClientSession s, ReplySlot slot, RespCommand cmd) {
        byte[][] args = new byte[cmd.argCount() - 2][];
        for (int i = 2; i < cmd.argCount(); i++) {
            args[i - 2] = cmd.argBytes(i);
        }
        RespCommand inner = RespCommand.of(args); // GETKEYS is rare: a copy keeps this simple
        try {
            CommandSpec spec = table.lookup(inner);
            if (spec == null) {
                s.replyError(slot, "ERR Invalid command specified");
                return;
            }
            // checks in the order of Redis 7.0's commandGetKeysCommand
            if (!spec.hasKeys()) {
                s.replyError(slot, "ERR The command has no key arguments");
                return;
            }
            if (!spec.arityOk(inner.argCount())) {
                s.replyError(slot, "ERR Invalid number of arguments specified for command");
                return;
            }
            KeyPositions keys = new KeyPositions();
            int count = spec.findKeys(inner, keys);
            if (count == KeyPositions.INVALID) {
                s.replyError(slot, "ERR Invalid arguments specified for command");
                return;
            }
            ByteBuf out = s.channel().alloc().buffer();
            RespWriter.arrayHeader(out, count);
            for (int i = 0; i < count; i++) {
                RespWriter.bulk(out, inner.arg(keys.get(i)));
            }
            s.reply(slot, out);
        } finally {
            inner.release();
        }
    }
}
