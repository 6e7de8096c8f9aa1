package io.moonshard.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/** Appends RESP2 pieces to a buffer, for replies the proxy composes (HELLO, CLUSTER SLOTS, ...). */
final class RespOut {

    private static final int CRLF = ('\r' << 8) | '\n';

    private RespOut() {
    }

    static void arrayHeader(ByteBuf out, int count) {
        out.writeByte('*');
        ByteBufUtil.writeAscii(out, Integer.toString(count));
        out.writeShort(CRLF);
    }

    static void bulk(ByteBuf out, String text) {
        bulk(out, text.getBytes(StandardCharsets.UTF_8));
    }

    static void bulk(ByteBuf out, byte[] data) {
        out.writeByte('$');
        ByteBufUtil.writeAscii(out, Integer.toString(data.length));
        out.writeShort(CRLF);
        out.writeBytes(data);
        out.writeShort(CRLF);
    }

    static void bulk(ByteBuf out, ByteBuf data) {
        out.writeByte('$');
        ByteBufUtil.writeAscii(out, Integer.toString(data.readableBytes()));
        out.writeShort(CRLF);
        out.writeBytes(data, data.readerIndex(), data.readableBytes());
        out.writeShort(CRLF);
    }

    static void integer(ByteBuf out, long value) {
        out.writeByte(':');
        ByteBufUtil.writeAscii(out, Long.toString(value));
        out.writeShort(CRLF);
    }

    static void simple(ByteBuf out, String text) {
        line(out, '+', text);
    }

    /** A one-line reply ({@code +} or {@code -}); CR and LF inside {@code text} become spaces, as Redis does. */
    static void line(ByteBuf out, char type, CharSequence text) {
        String line = text.toString();
        if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
            line = line.replace('\r', ' ').replace('\n', ' ');
        }
        out.writeByte(type);
        ByteBufUtil.writeUtf8(out, line);
        out.writeShort(CRLF);
    }

    static ByteBuf nullBulk(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(5);
        out.writeByte('$').writeByte('-').writeByte('1').writeShort(CRLF);
        return out;
    }
}
