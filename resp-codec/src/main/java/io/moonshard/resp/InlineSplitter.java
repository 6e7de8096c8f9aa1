package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Redis's {@code sdssplitargs}: splits an inline command line into arguments with its quoting rules. */
final class InlineSplitter {

    private InlineSplitter() {
    }

    /**
     * Splits bytes [from, to) of {@code buf}; null when quotes are unbalanced (or a closing quote is
     * not followed by a space). A NUL byte ends the line, as it does for Redis's C string.
     */
    static List<byte[]> split(ByteBuf buf, int from, int to) {
        List<byte[]> args = new ArrayList<>();
        int p = from;
        while (true) {
            while (p < to && isSpace(at(buf, p, to))) {
                p++;
            }
            if (p >= to || at(buf, p, to) == 0) {
                return args;
            }
            boolean inDouble = false;
            boolean inSingle = false;
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            boolean done = false;
            while (!done) {
                int c = at(buf, p, to);
                if (inDouble) {
                    if (c == '\\' && at(buf, p + 1, to) == 'x' && isHex(at(buf, p + 2, to)) && isHex(at(buf, p + 3, to))) {
                        current.write(Character.digit(at(buf, p + 2, to), 16) * 16 + Character.digit(at(buf, p + 3, to), 16));
                        p += 3;
                    } else if (c == '\\' && at(buf, p + 1, to) != 0) {
                        p++;
                        int e = at(buf, p, to);
                        current.write(switch (e) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> e;
                        });
                    } else if (c == '"') {
                        int next = at(buf, p + 1, to);
                        if (next != 0 && !isSpace(next)) {
                            return null; // a closing quote must be followed by a space or the end
                        }
                        done = true;
                    } else if (c == 0) {
                        return null; // unterminated quotes
                    } else {
                        current.write(c);
                    }
                } else if (inSingle) {
                    if (c == '\\' && at(buf, p + 1, to) == '\'') {
                        p++;
                        current.write('\'');
                    } else if (c == '\'') {
                        int next = at(buf, p + 1, to);
                        if (next != 0 && !isSpace(next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDouble = true;
                        case '\'' -> inSingle = true;
                        default -> current.write(c);
                    }
                }
                if (at(buf, p, to) != 0) {
                    p++;
                }
            }
            args.add(current.toByteArray());
        }
    }

    /** The byte at {@code i}, or 0 past the end (the C string terminator). */
    private static int at(ByteBuf buf, int i, int to) {
        return i < to ? buf.getByte(i) & 0xFF : 0;
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Encodes split arguments as a RESP array frame in a new buffer from {@code alloc}. */
    static RespCommand toCommand(ByteBufAllocator alloc, List<byte[]> args) {
        int size = 16;
        for (byte[] a : args) {
            size += a.length + 16;
        }
        ByteBuf frame = alloc.buffer(size);
        int[] bounds = new int[args.size() * 2];
        frame.writeByte('*');
        ByteBufUtil.writeAscii(frame, Integer.toString(args.size()));
        frame.writeByte('\r').writeByte('\n');
        for (int i = 0; i < args.size(); i++) {
            byte[] a = args.get(i);
            frame.writeByte('$');
            ByteBufUtil.writeAscii(frame, Integer.toString(a.length));
            frame.writeByte('\r').writeByte('\n');
            bounds[2 * i] = frame.writerIndex();
            bounds[2 * i + 1] = a.length;
            frame.writeBytes(a).writeByte('\r').writeByte('\n');
        }
        return new RespCommand(frame, bounds, true);
    }
}
