package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.command.CommandSpec;
import io.moonshard.cluster.route.FanOutPlan;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Commands one Redis Cluster node answers from its own data, which here lives on several local
 * backends: each backend gets its part, and the parts' replies merge into the one reply the node
 * would give.
 *
 * <ul>
 *   <li>{@link #split}: MGET, MSET, DEL, UNLINK, EXISTS, TOUCH whose keys span several local slots
 *       (their {@link FanOutPlan}); MSET is not atomic across backends, as it is not across the nodes
 *       of a Redis Cluster.</li>
 *   <li>{@link #broadcast}: keyless commands, merged by the response policy Redis documents in their
 *       command tips (DBSIZE sums, FLUSHALL needs every OK, SCRIPT EXISTS ands, KEYS concatenates,
 *       RANDOMKEY picks a key at random); commands without a policy run on the first backend.</li>
 *   <li>{@link #scan}: SCAN walks the backends one after the other; the cursor the client sees
 *       encodes the backend ({@code backendCursor * backends + index}).</li>
 * </ul>
 * Any part answering an error makes the reply that error (the first one, in backend order).
 */
public final class MultiBackendCommands {

    /** How the parts' replies become one. */
    public enum Merge { SUM, ALL_OK, FIRST_IF_ALL_OK, LOGICAL_AND, CONCAT, RANDOM_NON_NULL }

    /** Merge policy for a keyless command sent to every local backend, or null: run it on the first one. */
    static Merge broadcastMerge(CommandSpec spec) {
        String request = spec.requestPolicy();
        String response = spec.responsePolicy();
        if (!"all_shards".equals(request) && !"all_nodes".equals(request)) {
            return null;
        }
        if (response == null) {
            return switch (spec.name()) {
                case "keys" -> Merge.CONCAT; // SLOWLOG is the proxy's own (SlowlogCommands), never broadcast
                case "randomkey" -> Merge.RANDOM_NON_NULL;
                default -> null;
            };
        }
        return switch (response) {
            case "agg_sum" -> Merge.SUM;
            case "all_succeeded" -> Merge.FIRST_IF_ALL_OK;
            case "agg_logical_and" -> Merge.LOGICAL_AND;
            default -> null; // special, one_succeeded, agg_min: handled elsewhere or by one backend
        };
    }

    private MultiBackendCommands() {
    }

    /** Splits a multi-key command by backend ({@code plan}) and merges the parts' replies. */
    static void split(ClientSession s, ReplySlot slot, RespCommand command, FanOutPlan plan) {
        ByteBufAllocator alloc = s.channel().alloc();
        int step = plan.merge().keyStep();
        List<String> backends = new ArrayList<>(plan.keysByBackend().keySet());
        // where each key's answer will be: part and position, by argument index (MGET)
        int[] partOf = new int[command.argCount()];
        int[] positionOf = new int[command.argCount()];
        Merge merge = switch (plan.merge()) {
            case CONCAT_ARRAYS -> null;
            case ALL_OK -> Merge.ALL_OK;
            case SUM_INTEGERS -> Merge.SUM;
            case NONE -> throw new IllegalArgumentException("not splittable");
        };
        Gather gather = new Gather(slot, backends.size(), alloc, merge, partOf, positionOf, command.argCount() - 1);
        for (int part = 0; part < backends.size(); part++) {
            List<Integer> keys = plan.keysByBackend().get(backends.get(part));
            ByteBuf frame = alloc.buffer(64 + command.frame().readableBytes() / backends.size());
            RespWriter.arrayHeader(frame, 1 + keys.size() * step);
            RespWriter.bulk(frame, command.arg(0));
            for (int k = 0; k < keys.size(); k++) {
                int arg = keys.get(k);
                partOf[arg] = part;
                positionOf[arg] = k;
                for (int j = 0; j < step; j++) {
                    RespWriter.bulk(frame, command.arg(arg + j));
                }
            }
            s.connectionFor(backends.get(part)).send(gather.part(part, slot.mayWrite), frame);
        }
    }

    /** Sends a keyless command to every backend and merges the replies with {@code merge}. */
    public static void broadcast(ClientSession s, ReplySlot slot, RespCommand command, Merge merge, List<String> backends) {
        Gather gather = new Gather(slot, backends.size(), s.channel().alloc(), merge, null, null, 0);
        for (int part = 0; part < backends.size(); part++) {
            s.connectionFor(backends.get(part))
                    .send(gather.part(part, slot.mayWrite), command.frame().retainedDuplicate());
        }
    }

    /**
     * SCAN cursor [MATCH p] [COUNT n] [TYPE t] over the backends in order. Client cursor
     * {@code c}: backend {@code c % n}, that backend's cursor {@code c / n}.
     */
    static void scan(ClientSession s, ReplySlot slot, RespCommand command, List<String> backends) {
        long cursor;
        try {
            cursor = Long.parseUnsignedLong(command.argString(1));
        } catch (NumberFormatException e) {
            s.replyError(slot, "ERR invalid cursor");
            return;
        }
        int n = backends.size();
        int index = (int) Long.remainderUnsigned(cursor, n);
        long backendCursor = Long.divideUnsigned(cursor, n);
        ByteBufAllocator alloc = s.channel().alloc();
        ByteBuf frame = alloc.buffer(command.frame().readableBytes() + 24);
        RespWriter.arrayHeader(frame, command.argCount());
        RespWriter.bulk(frame, command.arg(0));
        RespWriter.bulk(frame, Long.toUnsignedString(backendCursor));
        for (int i = 2; i < command.argCount(); i++) {
            RespWriter.bulk(frame, command.arg(i));
        }
        s.connectionFor(backends.get(index)).send(new ReplyTarget() {
            @Override
            public void complete(ByteBuf reply) {
                slot.backendPartReplied(sentAtNanos);
                slot.complete(rewriteScanCursor(alloc, reply, index, n));
            }
        }, frame);
    }

    /** Replaces the backend's next cursor in a SCAN reply by the client cursor. Consumes {@code reply}. */
    private static ByteBuf rewriteScanCursor(ByteBufAllocator alloc, ByteBuf reply, int index, int n) {
        int[] elements = FlatArrays.isError(reply) ? null : scanElements(reply);
        if (elements == null) {
            return reply;
        }
        try {
            long next = Long.parseUnsignedLong(FlatArrays.bulkText(reply, elements[0], elements[1]));
            long clientNext;
            if (next != 0) {
                clientNext = next * n + index; // stays on this backend
            } else {
                clientNext = index + 1 < n ? index + 1 : 0; // this backend is done: the next one from its start
            }
            ByteBuf out = alloc.buffer(reply.readableBytes() + 16);
            RespWriter.arrayHeader(out, 2);
            RespWriter.bulk(out, Long.toUnsignedString(clientNext));
            out.writeBytes(reply, elements[1], reply.writerIndex() - elements[1]);
            return out;
        } finally {
            reply.release();
        }
    }

    /** SCAN's reply: [cursor, [keys...]]; the cursor element's range, or null. */
    private static int[] scanElements(ByteBuf reply) {
        int i = reply.readerIndex();
        if (reply.readableBytes() < 8 || reply.getByte(i) != '*' || reply.getByte(i + 1) != '2') {
            return null;
        }
        int start = i + 4;
        if (reply.getByte(start) != '$') {
            return null;
        }
        int headerEnd = reply.indexOf(start, reply.writerIndex(), (byte) '\r');
        int len = Integer.parseInt(reply.toString(start + 1, headerEnd - start - 1, StandardCharsets.US_ASCII));
        return new int[] {start, headerEnd + 2 + len + 2};
    }

    /** Collects one reply per part, then merges them into the client's reply slot. */
    private static final class Gather {
        private final ReplySlot slot;
        private final ByteBuf[] parts;
        private final ByteBufAllocator alloc;
        private final Merge merge; // null: MGET re-assembly
        private final int[] partOf;
        private final int[] positionOf;
        private final int keyCount;
        private int remaining;

        Gather(ReplySlot slot, int n, ByteBufAllocator alloc, Merge merge, int[] partOf, int[] positionOf,
               int keyCount) {
            this.slot = slot;
            this.parts = new ByteBuf[n];
            this.alloc = alloc;
            this.merge = merge;
            this.partOf = partOf;
            this.positionOf = positionOf;
            this.keyCount = keyCount;
            this.remaining = n;
        }

        /** The target of part {@code index}; a part of a write is a write at its backend (write_ack). */
        ReplyTarget part(int index, boolean mayWrite) {
            ReplyTarget target = new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    parts[index] = reply;
                    slot.backendPartReplied(sentAtNanos);
                    if (--remaining == 0) {
                        finish();
                    }
                }
            };
            target.mayWrite = mayWrite;
            return target;
        }

        private void finish() {
            ByteBuf result;
            try {
                result = mergeParts();
            } catch (RuntimeException e) {
                result = Replies.error(alloc, "ERR could not merge the backends' replies: " + e.getMessage());
            } finally {
                for (ByteBuf part : parts) {
                    part.release(); // what the merge kept, it retained
                }
            }
            slot.complete(result);
        }

        private ByteBuf mergeParts() {
            for (ByteBuf part : parts) {
                if (FlatArrays.isError(part)) {
                    return part.retainedDuplicate();
                }
            }
            if (merge == null) {
                return reassemble();
            }
            switch (merge) {
                case SUM -> {
                    long sum = 0;
                    for (ByteBuf part : parts) {
                        long v = FlatArrays.integer(part);
                        if (v == Long.MIN_VALUE) {
                            return part.retainedDuplicate();
                        }
                        sum += v;
                    }
                    return Replies.integer(alloc, sum);
                }
                case ALL_OK, FIRST_IF_ALL_OK -> {
                    return parts[0].retainedDuplicate();
                }
                case LOGICAL_AND -> {
                    int[] first = FlatArrays.elements(parts[0]);
                    if (first == null) {
                        return parts[0].retainedDuplicate();
                    }
                    int count = first.length / 2;
                    boolean[] all = new boolean[count];
                    Arrays.fill(all, true);
                    for (ByteBuf part : parts) {
                        int[] e = FlatArrays.elements(part);
                        for (int i = 0; i < count && e != null && i < e.length / 2; i++) {
                            all[i] &= part.getByte(e[2 * i] + 1) != '0';
                        }
                    }
                    ByteBuf out = alloc.buffer(8 + 4 * count);
                    RespWriter.arrayHeader(out, count);
                    for (boolean b : all) {
                        RespWriter.integer(out, b ? 1 : 0);
                    }
                    return out;
                }
                case CONCAT -> {
                    int total = 0;
                    List<int[]> elements = new ArrayList<>();
                    for (ByteBuf part : parts) {
                        int[] e = FlatArrays.elements(part);
                        if (e == null) {
                            return part.retainedDuplicate();
                        }
                        elements.add(e);
                        total += e.length / 2;
                    }
                    ByteBuf out = alloc.buffer();
                    RespWriter.arrayHeader(out, total);
                    for (int p = 0; p < parts.length; p++) {
                        int[] e = elements.get(p);
                        if (e.length > 0) {
                            out.writeBytes(parts[p], e[0], e[e.length - 1] - e[0]);
                        }
                    }
                    return out;
                }
                case RANDOM_NON_NULL -> {
                    List<ByteBuf> candidates = new ArrayList<>();
                    for (ByteBuf part : parts) {
                        if (!FlatArrays.isNullElement(part, part.readerIndex())) {
                            candidates.add(part);
                        }
                    }
                    ByteBuf chosen = candidates.isEmpty() ? parts[0]
                            : candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
                    return chosen.retainedDuplicate();
                }
                default -> throw new IllegalStateException(merge.name());
            }
        }

        /** MGET: every key's element, from the part that had it, in argument order. */
        private ByteBuf reassemble() {
            int[][] elements = new int[parts.length][];
            for (int p = 0; p < parts.length; p++) {
                elements[p] = FlatArrays.elements(parts[p]);
                if (elements[p] == null) {
                    return parts[p].retainedDuplicate();
                }
            }
            ByteBuf out = alloc.buffer();
            RespWriter.arrayHeader(out, keyCount);
            for (int arg = 1; arg <= keyCount; arg++) {
                int p = partOf[arg];
                int[] e = elements[p];
                int start = e[2 * positionOf[arg]];
                int end = e[2 * positionOf[arg] + 1];
                out.writeBytes(parts[p], start, end - start);
            }
            return out;
        }
    }
}
