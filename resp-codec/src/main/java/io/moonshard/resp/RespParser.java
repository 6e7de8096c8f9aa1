package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses one complete reply (RESP2 or RESP3) into a {@link RespValue} tree, e.g. a frame from
 * {@link RespReplyDecoder}. Attributes are read and dropped. For tests and for the few replies the
 * proxy must look into; never on the forwarding path.
 */
public final class RespParser {

    private final ByteBuf buf;
    private int pos;

    private RespParser(ByteBuf buf) {
        this.buf = buf;
        this.pos = buf.readerIndex();
    }

    /** Parses the reply at the reader index of {@code frame} (not consumed). */
    public static RespValue parse(ByteBuf frame) {
        return new RespParser(frame).value();
    }

    public static RespValue parse(byte[] frame) {
        return parse(Unpooled.wrappedBuffer(frame));
    }

    public static RespValue parse(String frame) {
        return parse(frame.getBytes(StandardCharsets.UTF_8));
    }

    private RespValue value() {
        byte type = buf.getByte(pos++);
        String line = line();
        switch (type) {
            case '+':
                return new RespValue.SimpleString(line);
            case '-':
                return new RespValue.ErrorValue(line);
            case ':':
                return new RespValue.IntegerValue(Long.parseLong(line));
            case '$': {
                int len = Integer.parseInt(line);
                return len < 0 ? RespValue.NullValue.NULL_BULK : new RespValue.BulkString(bytes(len));
            }
            case '!':
                return new RespValue.ErrorValue(new String(bytes(Integer.parseInt(line)), StandardCharsets.UTF_8));
            case '=': {
                String body = new String(bytes(Integer.parseInt(line)), StandardCharsets.UTF_8);
                return new RespValue.VerbatimValue(body.substring(0, 3), body.substring(4));
            }
            case '*': {
                int n = Integer.parseInt(line);
                return n < 0 ? RespValue.NullValue.NULL_ARRAY : new RespValue.ArrayValue(values(n));
            }
            case '~':
                return new RespValue.SetValue(values(Integer.parseInt(line)));
            case '>':
                return new RespValue.PushValue(values(Integer.parseInt(line)));
            case '%': {
                int n = Integer.parseInt(line);
                List<Map.Entry<RespValue, RespValue>> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    RespValue key = value();
                    entries.add(new AbstractMap.SimpleImmutableEntry<>(key, value()));
                }
                return new RespValue.MapValue(entries);
            }
            case '|': {
                int n = Integer.parseInt(line);
                for (int i = 0; i < 2 * n; i++) {
                    value(); // attribute pairs: metadata about the reply that follows
                }
                return value();
            }
            case '_':
                return RespValue.NullValue.NULL;
            case ',':
                return new RespValue.DoubleValue(parseDouble(line));
            case '#':
                return new RespValue.BooleanValue(line.equals("t"));
            case '(':
                return new RespValue.BigNumberValue(new BigInteger(line));
            default:
                throw new RespCodecException("unknown reply type '" + (char) type + "'");
        }
    }

    private static double parseDouble(String text) {
        return switch (text) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }

    private List<RespValue> values(int n) {
        List<RespValue> out = new ArrayList<>(Math.max(0, n));
        for (int i = 0; i < n; i++) {
            out.add(value());
        }
        return out;
    }

    private String line() {
        int cr = buf.indexOf(pos, buf.writerIndex(), (byte) '\r');
        if (cr < 0) {
            throw new RespCodecException("incomplete reply");
        }
        String line = buf.toString(pos, cr - pos, StandardCharsets.UTF_8);
        pos = cr + 2;
        return line;
    }

    private byte[] bytes(int len) {
        byte[] out = new byte[len];
        buf.getBytes(pos, out);
        pos += len + 2;
        return out;
    }
}
