package io.moonshard.controller;

import java.util.ArrayList;
import java.util.List;

/**
 * A RESP2 reader over one whole reply as {@code RawRedisClient} returns it (its raw text): arrays as
 * lists, integers as Long, simple and bulk strings as String (a null bulk as null); an error reply throws.
 */
final class RespText {

    private final String text;
    private int at;

    private RespText(String text) {
        this.text = text;
    }

    static Object parse(String raw) {
        return new RespText(raw).value();
    }

    private Object value() {
        char type = text.charAt(at);
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalArgumentException("error reply: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                String s = text.substring(at, at + len);
                at += len + 2;
                return s;
            }
            case '*': {
                int n = Integer.parseInt(line);
                List<Object> out = new ArrayList<>(Math.max(0, n));
                for (int i = 0; i < n; i++) {
                    out.add(value());
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("not RESP2 at " + at + ": " + type);
        }
    }

    /** The rest of the current line after its type byte; moves past its CRLF. */
    private String line() {
        int end = text.indexOf("\r\n", at);
        String s = text.substring(at + 1, end);
        at = end + 2;
        return s;
    }
}
