package io.moonshard.proxy.internal.wire;

import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/** Whole replies the proxy makes itself, each in a new buffer the caller owns. */
public final class Replies {

    private Replies() {
    }

    /** {@code -<text>\r\n}; CR and LF inside {@code text} become spaces, as Redis does. */
    public static ByteBuf error(ByteBufAllocator alloc, CharSequence text) {
        ByteBuf buf = alloc.buffer(text.length() + 3);
        RespWriter.error(buf, text);
        return buf;
    }

    public static ByteBuf simple(ByteBufAllocator alloc, CharSequence text) {
        ByteBuf buf = alloc.buffer(text.length() + 3);
        RespWriter.simple(buf, text);
        return buf;
    }

    public static ByteBuf integer(ByteBufAllocator alloc, long value) {
        ByteBuf buf = alloc.buffer(24);
        RespWriter.integer(buf, value);
        return buf;
    }

    public static ByteBuf bulk(ByteBufAllocator alloc, byte[] data) {
        ByteBuf buf = alloc.buffer(data.length + 16);
        RespWriter.bulk(buf, data);
        return buf;
    }

    public static ByteBuf bulk(ByteBufAllocator alloc, String utf8) {
        return bulk(alloc, utf8.getBytes(StandardCharsets.UTF_8));
    }

    public static ByteBuf nullBulk(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.buffer(5);
        RespWriter.nullBulk(buf);
        return buf;
    }

    public static ByteBuf bulk(ByteBufAllocator alloc, ByteBuf data) {
        ByteBuf buf = alloc.buffer(data.readableBytes() + 16);
        RespWriter.bulk(buf, data);
        return buf;
    }
}
