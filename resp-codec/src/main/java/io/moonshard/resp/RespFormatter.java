package io.moonshard.resp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Prints a {@link RespValue} the way {@code redis-cli} prints replies in a terminal. */
public final class RespFormatter {

    private RespFormatter() {
    }

    /** The reply as redis-cli shows it, ending in a newline, e.g. {@code 1) "a"\n2) (integer) 1\n}. */
    public static String format(RespValue value) {
        return format(value, "");
    }

    private static String format(RespValue value, String prefix) {
        if (value instanceof RespValue.SimpleString s) {
            return s.value() + "\n";
        } else if (value instanceof RespValue.ErrorValue e) {
            return "(error) " + e.message() + "\n";
        } else if (value instanceof RespValue.IntegerValue i) {
            return "(integer) " + i.value() + "\n";
        } else if (value instanceof RespValue.BulkString b) {
            return repr(b.bytes()) + "\n";
        } else if (value instanceof RespValue.NullValue) {
            return "(nil)\n";
        } else if (value instanceof RespValue.DoubleValue d) {
            return "(double) " + RespEncoder.formatDouble(d.value()) + "\n";
        } else if (value instanceof RespValue.BooleanValue b) {
            return b.value() ? "(true)\n" : "(false)\n";
        } else if (value instanceof RespValue.BigNumberValue n) {
            return "(big number) " + n.value() + "\n";
        } else if (value instanceof RespValue.VerbatimValue v) {
            return v.text() + "\n";
        } else if (value instanceof RespValue.ArrayValue a) {
            return aggregate(a.elements(), ')', "(empty array)\n", prefix, false);
        } else if (value instanceof RespValue.PushValue p) {
            return aggregate(p.elements(), ')', "(empty array)\n", prefix, false);
        } else if (value instanceof RespValue.SetValue s) {
            return aggregate(s.elements(), '~', "(empty set)\n", prefix, false);
        } else {
            List<Map.Entry<RespValue, RespValue>> entries = ((RespValue.MapValue) value).entries();
            List<RespValue> flat = new ArrayList<>();
            for (Map.Entry<RespValue, RespValue> e : entries) {
                flat.add(e.getKey());
                flat.add(e.getValue());
            }
            return aggregate(flat, '#', "(empty hash)\n", prefix, true);
        }
    }

    // redis-cli's cliFormatReplyTTY: indexes right-aligned to the widest, nested lines indented by
    // the index width plus two
    private static String aggregate(List<RespValue> elements, char separator, String empty, String prefix, boolean map) {
        if (elements.isEmpty()) {
            return empty;
        }
        int count = map ? elements.size() / 2 : elements.size();
        int width = Integer.toString(elements.size()).length();
        String nested = prefix + " ".repeat(width + 2);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < elements.size(); i++) {
            int humanIndex = (map ? i / 2 : i) + 1;
            out.append(i == 0 ? "" : prefix).append(String.format("%" + width + "d%c ", humanIndex, separator));
            out.append(format(elements.get(i), nested));
            if (map) {
                out.setLength(out.length() - 1);
                out.append(" => ").append(format(elements.get(++i), nested));
            }
        }
        assert count > 0;
        return out.toString();
    }

    /** redis-cli's {@code sdscatrepr}: quoted, with C escapes for special and non-printable bytes. */
    static String repr(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xFF;
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        sb.append((char) c);
                    } else {
                        sb.append(String.format("\\x%02x", c));
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
