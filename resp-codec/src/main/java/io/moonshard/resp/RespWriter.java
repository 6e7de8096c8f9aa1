package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/**
 * Appends RESP2 pieces to a buffer, for replies a server composes itself (the proxy's CLUSTER SLOTS,
 * HELLO, errors). Forwarded replies never go through here: they are written as received.
 */
public final class RespWriter {

    private static final int CRLF = ('\r' << 8) | '\n';

    private RespWriter() {
    }

    /** {@code *<count>\r\n}. */
    public static void arrayHeader(ByteBuf out, int count) {
        out.writeByte('*');
        ByteBufUtil.writeAscii(out, Integer.toString(count));
        out.writeShort(CRLF);
    }

    /** RESP3 {@code %<pairs>\r\n}: a map of {@code pairs} key-value pairs follows. */
    public static void mapHeader(ByteBuf out, int pairs) {
        out.writeByte('%');
        ByteBufUtil.writeAscii(out, Integer.toString(pairs));
        out.writeShort(CRLF);
    }

    /** A map header in RESP3, the equivalent flat array header ({@code 2 * pairs}) in RESP2. */
    public static void mapHeader(ByteBuf out, int pairs, int protocol) {
        if (protocol == 3) {
            mapHeader(out, pairs);
        } else {
            arrayHeader(out, pairs * 2);
        }
    }

    /** A bulk string of the UTF-8 bytes of {@code text}. */
    public static void bulk(ByteBuf out, String text) {
        bulk(out, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void bulk(ByteBuf out, byte[] data) {
        out.writeByte('$');
        ByteBufUtil.writeAscii(out, Integer.toString(data.length));
        out.writeShort(CRLF);
        out.writeBytes(data);
        out.writeShort(CRLF);
    }

    /** A bulk string of the readable bytes of {@code data} (not consumed). */
    public static void bulk(ByteBuf out, ByteBuf data) {
        out.writeByte('$');
        ByteBufUtil.writeAscii(out, Integer.toString(data.readableBytes()));
        out.writeShort(CRLF);
        out.writeBytes(data, data.readerIndex(), data.readableBytes());
        out.writeShort(CRLF);
    }

    /** {@code $-1\r\n}, RESP2's null bulk string. */
    public static void nullBulk(ByteBuf out) {
        out.writeByte('$').writeByte('-').writeByte('1').writeShort(CRLF);
    }

    public static void integer(ByteBuf out, long value) {
        out.writeByte(':');
        ByteBufUtil.writeAscii(out, Long.toString(value));
        out.writeShort(CRLF);
    }

    /** {@code +<text>\r\n}. */
    public static void simple(ByteBuf out, CharSequence text) {
        line(out, '+', text);
    }

    /** {@code -<text>\r\n}. */
    public static void error(ByteBuf out, CharSequence text) {
        line(out, '-', text);
    }

    // CR and LF inside a status or error line would break the framing; Redis turns them into spaces.
    private static void line(ByteBuf out, char type, CharSequence text) {
        String line = text.toString();
        if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
            line = line.replace('\r', ' ').replace('\n', ' ');
        }
        out.writeByte(type);
        ByteBufUtil.writeUtf8(out, line);
        out.writeShort(CRLF);
    }
}
