package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Encodes a {@link RespValue} for a client of protocol 2 or 3. For RESP2 clients RESP3 types are
 * downgraded exactly as Redis 7.0 does: map to a flat array, set and push to arrays, double to a bulk
 * string ({@code %.17g}), boolean to {@code :1}/{@code :0}, big number and verbatim to bulk strings,
 * RESP3 null to {@code $-1}.
 */
public final class RespEncoder {

    private static final int CRLF = ('\r' << 8) | '\n';

    private RespEncoder() {
    }

    public static void encode(RespValue value, ByteBuf out, int protocol) {
        boolean resp3 = protocol >= 3;
        if (value instanceof RespValue.SimpleString s) {
            RespWriter.simple(out, s.value());
        } else if (value instanceof RespValue.ErrorValue e) {
            RespWriter.error(out, e.message());
        } else if (value instanceof RespValue.IntegerValue i) {
            RespWriter.integer(out, i.value());
        } else if (value instanceof RespValue.BulkString b) {
            RespWriter.bulk(out, b.bytes());
        } else if (value instanceof RespValue.NullValue n) {
            if (resp3) {
                line(out, '_', "");
            } else if (n == RespValue.NullValue.NULL_ARRAY) {
                line(out, '*', "-1");
            } else {
                RespWriter.nullBulk(out);
            }
        } else if (value instanceof RespValue.ArrayValue a) {
            RespWriter.arrayHeader(out, a.elements().size());
            a.elements().forEach(e -> encode(e, out, protocol));
        } else if (value instanceof RespValue.MapValue m) {
            if (resp3) {
                line(out, '%', Integer.toString(m.entries().size()));
            } else {
                RespWriter.arrayHeader(out, m.entries().size() * 2);
            }
            for (Map.Entry<RespValue, RespValue> e : m.entries()) {
                encode(e.getKey(), out, protocol);
                encode(e.getValue(), out, protocol);
            }
        } else if (value instanceof RespValue.SetValue s) {
            line(out, resp3 ? '~' : '*', Integer.toString(s.elements().size()));
            s.elements().forEach(e -> encode(e, out, protocol));
        } else if (value instanceof RespValue.PushValue p) {
            line(out, resp3 ? '>' : '*', Integer.toString(p.elements().size()));
            p.elements().forEach(e -> encode(e, out, protocol));
        } else if (value instanceof RespValue.DoubleValue d) {
            String text = formatDouble(d.value());
            if (resp3) {
                line(out, ',', text);
            } else {
                RespWriter.bulk(out, text);
            }
        } else if (value instanceof RespValue.BooleanValue b) {
            if (resp3) {
                line(out, '#', b.value() ? "t" : "f");
            } else {
                RespWriter.integer(out, b.value() ? 1 : 0);
            }
        } else if (value instanceof RespValue.BigNumberValue n) {
            if (resp3) {
                line(out, '(', n.value().toString());
            } else {
                RespWriter.bulk(out, n.value().toString());
            }
        } else if (value instanceof RespValue.VerbatimValue v) {
            if (resp3) {
                byte[] body = (v.format() + ":" + v.text()).getBytes(StandardCharsets.UTF_8);
                line(out, '=', Integer.toString(body.length));
                out.writeBytes(body).writeShort(CRLF);
            } else {
                RespWriter.bulk(out, v.text());
            }
        }
    }

    private static void line(ByteBuf out, char type, String text) {
        out.writeByte(type);
        ByteBufUtil.writeAscii(out, text);
        out.writeShort(CRLF);
    }

    /** A double as Redis prints it: C's {@code %.17g}, with {@code inf}, {@code -inf} and {@code nan}. */
    public static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0" : "0";
        }
        BigDecimal rounded = new BigDecimal(d).round(new MathContext(17));
        int exponent = rounded.precision() - rounded.scale() - 1; // decimal exponent of the first digit
        String text;
        if (exponent < -4 || exponent >= 17) {
            BigDecimal mantissa = rounded.movePointLeft(exponent);
            text = stripZeros(mantissa.setScale(16, RoundingMode.HALF_EVEN).toPlainString())
                    + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
        } else {
            text = stripZeros(rounded.setScale(Math.max(0, 16 - exponent), RoundingMode.HALF_EVEN).toPlainString());
        }
        return text;
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}
