package io.moonshard.proxy.internal.route;

import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code RANDOMKEY} that never answers a key hidden from this proxy's clients ({@link HiddenKeys}: a
 * moving slot's staged or not yet trimmed keys, the migration's bookkeeping keys).
 *
 * <p>A round asks every local backend still in play for {@code RANDOMKEY} (one backend: one request,
 * the usual case) and answers a visible key among the replies, picked at random as
 * {@link MultiBackendCommands.Merge#RANDOM_NON_NULL} picks. A backend answering nil is empty and
 * leaves the play; when every one did, the answer is nil. When all the keys of a round were hidden, up
 * to {@value #ROUNDS} rounds are tried; then a walk with SCAN ({@link ScanWrap}: from a random cursor,
 * wrapping) over each backend left, in a random order, answers a random visible key of the first page
 * that has one, or nil when none has. Every request is O(1) or one SCAN page of
 * {@value VisibleKeyCount#SCAN_COUNT}, sent when the last has answered: neither the event loop nor a
 * backend ever waits on it. A backend's error is the reply (the first in backend order).
 *
 * <p>Outside a move this costs one check of the key's prefix: the bookkeeping keys of a
 * cluster-enabled backend (its registers live in database 0) are hidden even then.
 */
final class VisibleRandomKey {

    /** Rounds of RANDOMKEY before the walk: with half the keys hidden, one request in 256 gets that far. */
    static final int ROUNDS = 8;

    private final ClientSession session;
    private final ReplySlot slot;
    private final MigrationGate.Table table;
    private List<String> backends;
    private ByteBuf[] parts;
    private int remaining;
    private int round;

    private VisibleRandomKey(ClientSession session, ReplySlot slot, List<String> backends, MigrationGate.Table table) {
        this.session = session;
        this.slot = slot;
        this.backends = backends;
        this.table = table;
    }

    static void reply(ClientSession session, ReplySlot slot, List<String> backends, MigrationGate.Table table) {
        new VisibleRandomKey(session, slot, backends, table).round();
    }

    private void round() {
        parts = new ByteBuf[backends.size()];
        remaining = parts.length;
        for (int i = 0; i < parts.length; i++) {
            int part = i;
            Forwarder.requestConnection(session, backends.get(i)).send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    slot.backendPartReplied(sentAtNanos);
                    parts[part] = reply;
                    if (--remaining == 0) {
                        decide();
                    }
                }
            }, RespCommand.of("RANDOMKEY").frame());
        }
    }

    /** What one RANDOMKEY reply is. */
    private enum Kind { VISIBLE, HIDDEN, EMPTY, OTHER }

    private Kind kind(ByteBuf reply) {
        if (!reply.isReadable() || FlatArrays.isError(reply)) {
            return Kind.OTHER;
        }
        int at = reply.readerIndex();
        if (FlatArrays.isNullElement(reply, at)) {
            return Kind.EMPTY;
        }
        int[] key = bulk(reply);
        if (key == null) {
            return Kind.OTHER;
        }
        return HiddenKeys.isHidden(reply, key[0], key[1], table) ? Kind.HIDDEN : Kind.VISIBLE;
    }

    /** A bulk string reply's contents as {@code {at, length}}, or null. */
    private static int[] bulk(ByteBuf reply) {
        int at = reply.readerIndex();
        if (reply.getByte(at) != '$') {
            return null;
        }
        int cr = reply.indexOf(at, reply.writerIndex(), (byte) '\r');
        if (cr < 0) {
            return null;
        }
        try {
            int length = Integer.parseInt(reply.toString(at + 1, cr - at - 1, StandardCharsets.US_ASCII));
            return length < 0 || cr + 2 + length > reply.writerIndex() ? null : new int[] {cr + 2, length};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void decide() {
        List<Integer> visible = new ArrayList<>(1);
        List<String> left = new ArrayList<>(backends.size());
        int other = -1;
        for (int i = 0; i < parts.length; i++) {
            switch (kind(parts[i])) {
                case VISIBLE -> visible.add(i);
                case HIDDEN -> left.add(backends.get(i));
                case OTHER -> other = other < 0 ? i : other;
                case EMPTY -> { }
                default -> throw new IllegalStateException();
            }
        }
        int chosen;
        if (other >= 0) {
            chosen = other; // an error, passed on as a DBSIZE or RANDOMKEY sent to every backend would
        } else if (!visible.isEmpty()) {
            chosen = visible.get(ThreadLocalRandom.current().nextInt(visible.size()));
        } else if (left.isEmpty()) {
            chosen = 0; // every backend is empty: its nil, in the client's protocol
        } else {
            chosen = -1;
        }
        ByteBuf answer = chosen >= 0 ? parts[chosen] : null;
        for (int i = 0; i < parts.length; i++) {
            if (i != chosen) {
                parts[i].release();
            }
        }
        parts = null;
        if (answer != null) {
            slot.complete(answer);
            return;
        }
        backends = left;
        if (++round < ROUNDS) {
            round();
            return;
        }
        int first = ThreadLocalRandom.current().nextInt(backends.size());
        List<String> order = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size(); i++) {
            order.add(backends.get((first + i) % backends.size()));
        }
        new Walk(order).nextBackend();
    }

    /** The SCAN walk over the backends left, one after the other. */
    private final class Walk {
        private final List<String> order;
        private int index = -1;
        private ScanWrap wrap;

        Walk(List<String> order) {
            this.order = order;
        }

        void nextBackend() {
            if (++index == order.size() || !session.channel().isActive()) {
                slot.complete(nil()); // no visible key anywhere (or nobody left to tell)
                return;
            }
            // a cursor of 32 random bits: any table of up to 2^32 buckets starts at a random bucket
            wrap = new ScanWrap(ThreadLocalRandom.current().nextLong() >>> 32);
            page(wrap.first());
        }

        void page(String cursor) {
            Forwarder.requestConnection(session, order.get(index)).send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    slot.backendPartReplied(sentAtNanos);
                    paged(reply);
                }
            }, RespCommand.of("SCAN", cursor, "COUNT", Integer.toString(VisibleKeyCount.SCAN_COUNT)).frame());
        }

        void paged(ByteBuf reply) {
            List<int[]> visible = new ArrayList<>();
            String returned = ScanPage.forEachKey(reply, (page, at, length) -> {
                if (!HiddenKeys.isHidden(page, at, length, table)) {
                    visible.add(new int[] {at, length});
                }
            });
            if (returned == null) {
                slot.complete(reply); // the backend's error
                return;
            }
            if (!visible.isEmpty()) {
                int[] key = visible.get(ThreadLocalRandom.current().nextInt(visible.size()));
                ByteBuf answer = Replies.bulk(session.channel().alloc(), reply.slice(key[0], key[1]));
                reply.release();
                slot.complete(answer);
                return;
            }
            reply.release();
            String next = wrap.next(returned);
            if (next == null || !session.channel().isActive()) {
                nextBackend();
            } else {
                page(next);
            }
        }
    }

    /** A nil reply in the client's protocol, as Redis answers RANDOMKEY on an empty database. */
    private ByteBuf nil() {
        if (session.state().protocol() == 3) {
            ByteBuf out = session.channel().alloc().buffer(3);
            out.writeBytes("_\r\n".getBytes(StandardCharsets.US_ASCII));
            return out;
        }
        return Replies.nullBulk(session.channel().alloc());
    }
}
