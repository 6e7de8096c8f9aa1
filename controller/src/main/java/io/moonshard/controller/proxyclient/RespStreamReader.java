package io.moonshard.controller.proxyclient;

import io.moonshard.resp.RespValue;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RESP2 replies, one at a time, from a blocking stream: what a proxy answers the controller's
 * UMCTL commands (simple strings, errors, integers, bulk strings, arrays of them, nulls). A RESP3 type
 * or a malformed reply throws: the controller never asks for RESP3, so it cannot be a proxy speaking.
 */
final class RespStreamReader {

    /** The longest reply line or bulk the controller accepts: INFOREPL of a big proxy fits easily. */
    private static final int MAX_BULK = 64 * 1024 * 1024;
    private static final int MAX_ELEMENTS = 1_000_000;
    private static final int MAX_DEPTH = 8;

    private final InputStream in;

    RespStreamReader(InputStream in) {
        this.in = in;
    }

    RespValue read() throws IOException {
        return read(0);
    }

    private RespValue read(int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("reply nested deeper than " + MAX_DEPTH);
        }
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed");
        }
        String line = line();
        return switch (type) {
            case '+' -> new RespValue.SimpleString(line);
            case '-' -> new RespValue.ErrorValue(line);
            case ':' -> new RespValue.IntegerValue(number(line));
            case '$' -> bulk(number(line));
            case '*' -> array(number(line), depth);
            default -> throw new IOException("not a RESP2 reply type: " + (char) type);
        };
    }

    private RespValue bulk(long length) throws IOException {
        if (length < 0) {
            return RespValue.NullValue.NULL_BULK;
        }
        if (length > MAX_BULK) {
            throw new IOException("bulk reply of " + length + " bytes");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length < length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("bulk reply cut short");
        }
        return new RespValue.BulkString(bytes);
    }

    private RespValue array(long count, int depth) throws IOException {
        if (count < 0) {
            return RespValue.NullValue.NULL_ARRAY;
        }
        if (count > MAX_ELEMENTS) {
            throw new IOException("array reply of " + count + " elements");
        }
        List<RespValue> elements = new ArrayList<>((int) Math.min(count, 1024));
        for (long i = 0; i < count; i++) {
            elements.add(read(depth + 1));
        }
        return new RespValue.ArrayValue(elements);
    }

    private String line() throws IOException {
        StringBuilder out = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("CR without LF in a reply");
                }
                return out.toString();
            }
            if (out.length() >= 64 * 1024) {
                throw new IOException("reply line longer than 64 KiB");
            }
            out.append((char) b);
        }
    }

    private static long number(String line) throws IOException {
        try {
            return Long.parseLong(line);
        } catch (NumberFormatException e) {
            throw new IOException("not a number in a reply: " + line, e);
        }
    }

    /** A bulk or simple string as text, else null. */
    static String text(RespValue value) {
        if (value instanceof RespValue.BulkString b) {
            return new String(b.bytes(), StandardCharsets.UTF_8);
        }
        if (value instanceof RespValue.SimpleString s) {
            return s.value();
        }
        return null;
    }
}
