package io.moonshard.proxy.internal.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads replies that are flat arrays of simple elements (MGET's bulk strings and nulls, KEYS, SCRIPT
 * EXISTS's integers) as element byte ranges inside the frame, so merged replies are assembled by
 * copying bytes, without decoding values.
 */
public final class FlatArrays {

    private FlatArrays() {
    }

    /** True when the reply is an error ({@code -...} or RESP3 {@code !...}). */
    public static boolean isError(ByteBuf reply) {
        if (!reply.isReadable()) {
            return false;
        }
        byte type = reply.getByte(reply.readerIndex());
        return type == '-' || type == '!';
    }

    /**
     * The element ranges of a flat array reply: {@code [start0, end0, start1, end1, ...]} as absolute
     * indexes into {@code reply}; null when the reply is not an array or holds nested aggregates.
     */
    public static int[] elements(ByteBuf reply) {
        int i = reply.readerIndex();
        int end = reply.writerIndex();
        if (i >= end || (reply.getByte(i) != '*' && reply.getByte(i) != '~')) {
            return null;
        }
        int lineEnd = lineEnd(reply, i, end);
        long count = parseLong(reply, i + 1, lineEnd);
        if (count < 0) {
            return null;
        }
        int[] ranges = new int[(int) count * 2];
        int pos = lineEnd + 2;
        for (int e = 0; e < count; e++) {
            if (pos >= end) {
                return null;
            }
            byte type = reply.getByte(pos);
            int headerEnd = lineEnd(reply, pos, end);
            int next;
            switch (type) {
                case '$', '=', '!' -> {
                    long len = parseLong(reply, pos + 1, headerEnd);
                    next = len < 0 ? headerEnd + 2 : headerEnd + 2 + (int) len + 2;
                }
                case ':', '+', '-', '_', ',', '#', '(' -> next = headerEnd + 2;
                default -> {
                    return null; // nested aggregate
                }
            }
            ranges[2 * e] = pos;
            ranges[2 * e + 1] = next;
            pos = next;
        }
        return ranges;
    }

    /** The integer of a {@code :n} reply; {@code Long.MIN_VALUE} when it is something else. */
    public static long integer(ByteBuf reply) {
        int i = reply.readerIndex();
        if (!reply.isReadable() || reply.getByte(i) != ':') {
            return Long.MIN_VALUE;
        }
        return parseLong(reply, i + 1, lineEnd(reply, i, reply.writerIndex()));
    }

    /** The contents of a bulk string element at {@code [start, end)}, or null for a null element. */
    public static String bulkText(ByteBuf reply, int start, int end) {
        if (reply.getByte(start) != '$') {
            return null;
        }
        int headerEnd = lineEnd(reply, start, end);
        long len = parseLong(reply, start + 1, headerEnd);
        return len < 0 ? null : reply.toString(headerEnd + 2, (int) len, StandardCharsets.UTF_8);
    }

    public static boolean isNullElement(ByteBuf reply, int start) {
        byte type = reply.getByte(start);
        return type == '_' || (type == '$' && reply.getByte(start + 1) == '-') || (type == '*' && reply.getByte(start + 1) == '-');
    }

    private static int lineEnd(ByteBuf buf, int from, int end) {
        int cr = buf.indexOf(from, end, (byte) '\r');
        return cr < 0 ? end : cr;
    }

    private static long parseLong(ByteBuf buf, int from, int to) {
        try {
            return Long.parseLong(buf.toString(from, to - from, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
