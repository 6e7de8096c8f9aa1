package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Pre-encoded constant replies. Each method returns a new read-only, unreleasable view of one shared
 * buffer: write it to any channel (the channel's release after writing is harmless, and views do not
 * share reader indexes), never write into it.
 */
public final class RespReplies {

    private static final ByteBuf OK = constant("+OK\r\n");
    private static final ByteBuf PONG = constant("+PONG\r\n");
    private static final ByteBuf QUEUED = constant("+QUEUED\r\n");
    private static final ByteBuf NULL_BULK = constant("$-1\r\n");
    private static final ByteBuf NULL_ARRAY = constant("*-1\r\n");
    private static final ByteBuf EMPTY_ARRAY = constant("*0\r\n");
    private static final ByteBuf ZERO = constant(":0\r\n");
    private static final ByteBuf ONE = constant(":1\r\n");

    private RespReplies() {
    }

    private static ByteBuf constant(String text) {
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.US_ASCII)).asReadOnly());
    }

    public static ByteBuf ok() {
        return OK.duplicate();
    }

    public static ByteBuf pong() {
        return PONG.duplicate();
    }

    public static ByteBuf queued() {
        return QUEUED.duplicate();
    }

    public static ByteBuf nullBulk() {
        return NULL_BULK.duplicate();
    }

    public static ByteBuf nullArray() {
        return NULL_ARRAY.duplicate();
    }

    public static ByteBuf emptyArray() {
        return EMPTY_ARRAY.duplicate();
    }

    public static ByteBuf zero() {
        return ZERO.duplicate();
    }

    public static ByteBuf one() {
        return ONE.duplicate();
    }
}
