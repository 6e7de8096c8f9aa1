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
 * will refuse (a declared 2 GB argument is refused when its header arrives). Large arguments
 * (32 KB and more, like Redis's {@code PROTO_MBULK_BIG_ARG}) get room for the whole frame reserved
 * once, so the rest of a 100 MB value is appended without being copied again.
 *
 * <p>Not {@code @Sharable}: one per connection.
 */
public final class RespRequestDecoder extends ByteToMessageDecoder {

    private static final int BIG_ARG = 32 * 1024;
    /** Redis's default {@code client-query-buffer-limit}: larger requests are refused. */
    private static final long MAX_FRAME = 1024L * 1024 * 1024;

    private enum State { IDLE, BULKS, FAILED }

    private final RespLimits limits;
    private State state = State.IDLE;
    // progress through the current multibulk request, relative to the reader index
    private long remainingArgs;
    private int scanOffset;
    private int[] bounds = new int[16];
    private int argCount;

    public RespRequestDecoder() {
        this(RespLimits.defaults());
    }

    public RespRequestDecoder(RespLimits limits) {
        this.limits = limits;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
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
        if (count <= 0) {
            in.readerIndex(cr + 2); // *0 and *-1 are skipped, as Redis does
            return true;
        }
        state = State.BULKS;
        remainingArgs = count;
        scanOffset = cr + 2 - start;
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
            long frameEnd = (long) cr + 2 + length + 2;
            if (frameEnd - start > MAX_FRAME) {
                return fail(in, out, "query buffer limit exceeded");
            }
            if (frameEnd > end) {
                int missing = (int) (frameEnd - end);
                if (length >= BIG_ARG && !in.isReadOnly() && in.maxWritableBytes() >= missing) {
                    // Reserve the rest of the frame once, so arriving chunks are appended in place
                    // instead of the cumulation being re-copied as it grows. (A cumulation that
                    // cannot grow is replaced by the cumulator on the next read; we reserve then.)
                    in.ensureWritable(missing);
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
        if (bounds.length > 256) {
            bounds = new int[16]; // do not keep a huge array after one huge request
        }
        return true;
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
