package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes client requests, exactly as Redis 7.0's {@code processMultibulkBuffer} and
 * {@code processInlineBuffer} read them, into one {@link RespCommand} per request.
 *
 * <p>A RESP request becomes one retained slice of its whole frame plus argument offsets: nothing is
 * copied. An inline request ({@code SET k "a b"}) is split with Redis's quoting rules and re-encoded
 * as a RESP array. Empty lines and {@code *0} / {@code *-1} headers are skipped, like Redis does.
 *
 * <p>On a protocol violation the decoder emits a {@link RespProtocolError} with Redis's exact text
 * after the commands decoded before it, then discards all further input; it never waits for data it
 * will refuse (a declared 2 GB argument is refused when its header arrives).
 *
 * <p>Memory follows the bytes that arrived, never a declared length: a client that announces a 512 MB
 * argument and sends nothing costs nothing. For a large argument (32 KB and more, like Redis's
 * {@code PROTO_MBULK_BIG_ARG}) the buffer is grown ahead of the data, each time by as much as has
 * arrived (capped by what is still missing), so a 100 MB value is regrown about a dozen times and copied
 * about once in all, instead of every 4 MB as the cumulation's own growth would.
 *
 * <p>The partial request is the connection's query buffer: a {@link QueryBufferGuard} bounds it per
 * connection (Redis's {@code client-query-buffer-limit}) and, through a budget it may share, over
 * connections; on a breach the decoder stops, discards its input and lets the guard close the connection.
 *
 * <p>Not {@code @Sharable}: one per connection.
 */
public final class RespRequestDecoder extends ByteToMessageDecoder {

    private static final int BIG_ARG = 32 * 1024;
    /**
     * Room kept ahead of a large argument's data: more than one socket read brings (64 KB at most with
     * Netty's receive buffers), so the cumulation is grown here, by our rule, not when a read overflows it.
     */
    private static final int READ_AHEAD = 128 * 1024;
    /** One request is one buffer, whose capacity is an int: larger ones are over any limit. */
    private static final long MAX_FRAME = Integer.MAX_VALUE - 64;
    /** Redis 7.0's limits before AUTH ({@code processMultibulkBuffer}). */
    private static final long UNAUTHENTICATED_MAX_ARGS = 10;
    private static final long UNAUTHENTICATED_MAX_BULK = 16 * 1024;

    private enum State { IDLE, BULKS, FAILED }

    private final RespLimits limits;
    private final QueryBufferGuard guard;
    private State state = State.IDLE;
    /** What the guard's budget holds for this connection now. */
    private long charged;
    /** The current request's size as far as its headers announced it, from the reader index; 0 when idle. */
    private long declared;
    // progress through the current multibulk request, relative to the reader index
    private long remainingArgs;
    private int scanOffset;
    private int[] bounds = new int[16];
    private int argCount;

    public RespRequestDecoder() {
        this(RespLimits.defaults());
    }

    public RespRequestDecoder(RespLimits limits) {
        this(limits, QueryBufferGuard.closing());
    }

    public RespRequestDecoder(RespLimits limits, QueryBufferGuard guard) {
        this.limits = limits;
        this.guard = guard;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decodeAvailable(ctx, in, out);
        if (state != State.FAILED) {
            checkQueryBuffer(ctx, in);
        }
    }

    private void decodeAvailable(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            boolean progressed;
            switch (state) {
                case IDLE -> progressed = in.getByte(in.readerIndex()) == '*'
                        ? tryMultibulkHeader(in, out) : tryInline(ctx, in, out);
                case BULKS -> progressed = tryBulks(in, out);
                default -> {
                    in.skipBytes(in.readableBytes());
                    return;
                }
            }
            if (!progressed) {
                return;
            }
            if (!out.isEmpty() && !guard.authenticated()) {
                // before AUTH one request at a time: the handler runs an AUTH before the next request is
                // judged by the limits before AUTH, as Redis judges each after the one before ran
                return;
            }
        }
    }

    // *<count>\r\n
    private boolean tryMultibulkHeader(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int cr = in.indexOf(start, in.writerIndex(), (byte) '\r');
        if (cr < 0) {
            if (in.readableBytes() > limits.maxInlineLength()) {
                return fail(in, out, "too big mbulk count string");
            }
            return false;
        }
        if (cr + 1 >= in.writerIndex()) {
            return false; // the \n has not arrived yet
        }
        long count = parseLongOr(in, start + 1, cr, Long.MIN_VALUE);
        if (count == Long.MIN_VALUE || count > limits.maxMultibulkLength()) {
            return fail(in, out, "invalid multibulk length");
        }
        if (count > UNAUTHENTICATED_MAX_ARGS && !guard.authenticated()) {
            return fail(in, out, "unauthenticated multibulk length");
        }
        if (count <= 0) {
            in.readerIndex(cr + 2); // *0 and *-1 are skipped, as Redis does
            return true;
        }
        state = State.BULKS;
        remainingArgs = count;
        scanOffset = cr + 2 - start;
        declared = scanOffset;
        argCount = 0;
        return true;
    }

    // $<length>\r\n<data>\r\n, for each remaining argument
    private boolean tryBulks(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        while (remainingArgs > 0) {
            int header = start + scanOffset;
            if (header >= end) {
                return false;
            }
            int cr = in.indexOf(header, end, (byte) '\r');
            if (cr < 0) {
                if (end - header > limits.maxInlineLength()) {
                    return fail(in, out, "too big bulk count string");
                }
                return false;
            }
            if (cr + 1 >= end) {
                return false;
            }
            byte type = in.getByte(header);
            if (type != '$') {
                return fail(in, out, "expected '$', got '" + (char) (type & 0xFF) + "'");
            }
            long length = parseLongOr(in, header + 1, cr, -1);
            if (length < 0 || length > limits.maxBulkLength()) {
                return fail(in, out, "invalid bulk length");
            }
            if (length > UNAUTHENTICATED_MAX_BULK && !guard.authenticated()) {
                return fail(in, out, "unauthenticated bulk length");
            }
            long frameEnd = (long) cr + 2 + length + 2;
            declared = frameEnd - start;
            if (frameEnd > end) {
                if (length >= BIG_ARG && declared <= limit()) {
                    growAhead(in, end - start, frameEnd - end);
                }
                return false;
            }
            addBound(cr + 2 - start, (int) length);
            scanOffset = (int) (frameEnd - start);
            remainingArgs--;
        }
        ByteBuf frame = in.readRetainedSlice(scanOffset);
        out.add(new RespCommand(frame, Arrays.copyOf(bounds, argCount * 2), false));
        state = State.IDLE;
        scanOffset = 0;
        declared = 0;
        if (bounds.length > 256) {
            bounds = new int[16]; // do not keep a huge array after one huge request
        }
        return true;
    }

    /**
     * Keeps room for the next reads of a large argument: when less than {@link #READ_AHEAD} (or what is
     * missing) is left, grows the buffer by as much as has arrived, at most what is missing. Capacity
     * therefore stays within about twice the bytes received, and each byte is copied about once more in
     * all (a geometric series). A cumulation that cannot grow (read-only, or a wrapped input with a fixed
     * capacity) is replaced by the cumulator on the next read; we grow it then.
     */
    private static void growAhead(ByteBuf in, long arrived, long missing) {
        long wanted = Math.min(missing, READ_AHEAD);
        if (in.writableBytes() >= wanted || in.isReadOnly()) {
            return;
        }
        long room = Math.min(missing, Math.max(arrived, READ_AHEAD));
        if (room <= in.maxWritableBytes()) {
            in.ensureWritable((int) room);
        }
    }

    /**
     * After decoding: the bytes left are the partial request. Over the client's limit (or declared over
     * it), or over the shared budget, the connection is given up; otherwise the budget holds them.
     */
    private void checkQueryBuffer(ChannelHandlerContext ctx, ByteBuf in) {
        int buffered = in.readableBytes();
        long limit = limit();
        if (buffered > limit || declared > limit) {
            breach(ctx, in, QueryBufferGuard.Breach.CLIENT_LIMIT);
            return;
        }
        long charge = buffered >= QueryBufferGuard.UNCHARGED ? buffered : 0;
        if (charge > charged) {
            if (!guard.reserve(charge - charged)) {
                breach(ctx, in, QueryBufferGuard.Breach.TOTAL_BUDGET);
                return;
            }
        } else if (charge < charged) {
            guard.release(charged - charge);
        }
        charged = charge;
    }

    private long limit() {
        return Math.min(guard.limit(), MAX_FRAME);
    }

    private void breach(ChannelHandlerContext ctx, ByteBuf in, QueryBufferGuard.Breach breach) {
        state = State.FAILED;
        releaseCharge();
        try {
            guard.breached(ctx, breach, in, Math.max(declared, in.readableBytes()));
        } finally {
            in.skipBytes(in.readableBytes());
        }
    }

    private void releaseCharge() {
        if (charged > 0) {
            guard.release(charged);
            charged = 0;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseCharge(); // the cumulation is released by our superclass
    }

    private void addBound(int offset, int length) {
        if (argCount * 2 + 2 > bounds.length) {
            bounds = Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[argCount * 2] = offset;
        bounds[argCount * 2 + 1] = length;
        argCount++;
    }

    private boolean tryInline(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int newline = in.indexOf(start, in.writerIndex(), (byte) '\n');
        if (newline < 0) {
            if (in.readableBytes() > limits.maxInlineLength()) {
                return fail(in, out, "too big inline request");
            }
            return false;
        }
        int lineEnd = newline > start && in.getByte(newline - 1) == '\r' ? newline - 1 : newline;
        List<byte[]> args = InlineSplitter.split(in, start, lineEnd);
        if (args == null) {
            return fail(in, out, "unbalanced quotes in request");
        }
        in.readerIndex(newline + 1);
        if (!args.isEmpty()) {
            out.add(InlineSplitter.toCommand(ctx.alloc(), args));
        }
        return true;
    }

    /** The bytes buffered and not yet decoded (package-private, for tests). */
    ByteBuf internalBufferForTest() {
        return internalBuffer();
    }

    private boolean fail(ByteBuf in, List<Object> out, String reason) {
        state = State.FAILED;
        declared = 0;
        releaseCharge();
        in.skipBytes(in.readableBytes());
        out.add(new RespProtocolError("ERR Protocol error: " + reason));
        return false;
    }

    /** Redis's {@code string2ll} over bytes [from, to), or {@code orElse} when they are not such an integer. */
    private static long parseLongOr(ByteBuf in, int from, int to, long orElse) {
        try {
            return RespNumbers.parseLong(in, from, to - from);
        } catch (NumberFormatException e) {
            return orElse;
        }
    }
}
