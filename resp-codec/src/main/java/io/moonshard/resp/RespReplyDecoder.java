package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a stream of RESP2 and RESP3 replies (from a Redis server) into complete frames, each emitted
 * as one retained {@code ByteBuf} slice, without building objects. Aggregates
 * ({@code * % ~ > |}) are followed to any depth up to {@link RespLimits#maxNesting()}; an attribute
 * ({@code |}) is kept together with the reply it annotates. Parsing resumes where it stopped when more
 * bytes arrive, so a huge reply arriving in many chunks is scanned once.
 *
 * <p>Ownership of each emitted frame passes to the next handler. Malformed input raises
 * {@link RespCodecException}: the stream cannot be trusted after it. Not {@code @Sharable}.
 */
public final class RespReplyDecoder extends ByteToMessageDecoder {

    /** Bulk replies at least this long get their whole size reserved when their header arrives. */
    static final int BIG_BULK = 32 * 1024;

    private final int maxNesting;
    // Progress through the current frame, relative to the reader index: position of the next element,
    // and for each open aggregate the number of elements it still needs.
    private int scanOffset;
    private long[] remaining = new long[8];
    private int depth;

    public RespReplyDecoder() {
        this(RespLimits.DEFAULT_MAX_NESTING);
    }

    public RespReplyDecoder(int maxNesting) {
        if (maxNesting < 1) {
            throw new IllegalArgumentException("maxNesting must be positive: " + maxNesting);
        }
        this.maxNesting = maxNesting;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable()) {
                if (!tryFrame(in)) {
                    return;
                }
                out.add(in.readRetainedSlice(scanOffset));
                scanOffset = 0;
            }
        } catch (RespCodecException e) {
            in.skipBytes(in.readableBytes()); // nothing after a malformed reply can be trusted
            scanOffset = 0;
            depth = 0;
            throw e;
        }
    }

    /** Advances through elements until one whole top-level frame is available; false if more bytes are needed. */
    private boolean tryFrame(ByteBuf in) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        while (true) {
            int pos = start + scanOffset;
            if (pos >= end) {
                return false;
            }
            int lf = in.indexOf(pos, end, (byte) '\n');
            if (lf < 0) {
                return false;
            }
            if (lf == pos || in.getByte(lf - 1) != '\r') {
                throw malformed("line without CRLF");
            }
            int lineEnd = lf - 1; // index of '\r'
            byte type = in.getByte(pos);
            switch (type) {
                case '+', '-', ':', ',', '#', '(', '_' -> {
                    scanOffset = lf + 1 - start;
                    if (elementDone()) {
                        return true;
                    }
                }
                case '$', '!', '=' -> {
                    long length = parseLength(in, pos + 1, lineEnd);
                    long next = length < 0 ? lf + 1 : (long) lf + 1 + length + 2;
                    if (length < -1) {
                        throw malformed("bad bulk length " + length);
                    }
                    if (next > end) {
                        long missing = next - end;
                        if (length >= BIG_BULK && missing <= Integer.MAX_VALUE && !in.isReadOnly()
                                && in.refCnt() == 1) {
                            // Reserve the rest of a big bulk once, so arriving chunks are appended in
                            // place; otherwise the cumulation is re-copied each time it grows (a 100 MB
                            // reply was copied 32 times, 1.3 GB in all, and took 4 s to arrive). The
                            // frames before it are gone (nothing else holds the buffer), so only this
                            // frame's bytes move. While earlier frames are still held (a client has not
                            // read its replies yet), growing in place would copy them too, on every big
                            // reply, so the cumulator moves this frame to a new buffer instead.
                            if (in.readerIndex() > 0) {
                                in.discardReadBytes();
                            }
                            if (in.maxWritableBytes() >= missing) {
                                in.ensureWritable((int) missing);
                            }
                        }
                        return false; // header parsed again when the data arrives; it is short
                    }
                    if (length >= 0 && (in.getByte((int) next - 2) != '\r' || in.getByte((int) next - 1) != '\n')) {
                        throw malformed("bulk data not followed by CRLF");
                    }
                    scanOffset = (int) (next - start);
                    if (elementDone()) {
                        return true;
                    }
                }
                case '*', '~', '>', '%', '|' -> {
                    long count = parseLength(in, pos + 1, lineEnd);
                    scanOffset = lf + 1 - start;
                    if (count < -1) {
                        throw malformed("bad aggregate length " + count);
                    }
                    long elements = type == '%' ? count * 2 : type == '|' ? count * 2 + 1 : count;
                    if (count <= 0 && type != '|') {
                        if (elementDone()) {
                            return true;
                        }
                    } else {
                        // an attribute counts its pairs plus the reply it annotates, so the two
                        // leave as one frame
                        push(elements);
                    }
                }
                default -> throw malformed("unknown reply type '" + (char) (type & 0xFF) + "'");
            }
        }
    }

    /** The cumulation buffer, for tests that check it is not regrown. */
    ByteBuf internalBufferForTest() {
        return internalBuffer();
    }

    private void push(long elements) {
        if (depth == maxNesting) {
            throw malformed("replies nested deeper than " + maxNesting);
        }
        if (depth == remaining.length) {
            remaining = Arrays.copyOf(remaining, depth * 2);
        }
        remaining[depth++] = elements;
    }

    /** One element finished; closes every aggregate it completes. True when the top-level frame is complete. */
    private boolean elementDone() {
        while (depth > 0) {
            if (--remaining[depth - 1] > 0) {
                return false;
            }
            depth--;
        }
        return true;
    }

    private static long parseLength(ByteBuf in, int from, int to) {
        try {
            return RespNumbers.parseLong(in, from, to - from);
        } catch (NumberFormatException e) {
            throw malformed("bad length '" + in.toString(from, Math.min(to - from, 32), StandardCharsets.US_ASCII) + "'");
        }
    }

    private static RespCodecException malformed(String what) {
        return new RespCodecException("malformed reply: " + what);
    }
}
