package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One client request: a retained slice of its whole RESP frame plus the position of every argument
 * inside that slice. The proxy forwards {@link #frame()} to a backend unchanged; nothing is copied
 * to read the command name or a key.
 *
 * <p>Reference counting delegates to the frame. Whoever holds a {@code RespCommand} owns one
 * reference and releases it exactly once (writing {@code frame().retainedDuplicate()} to a channel
 * hands over a second reference, not this one). Argument slices returned by {@link #arg(int)} are not
 * retained: they are valid only while this command is.
 *
 * <p>Inline commands ({@code PING}, {@code SET k "a b"} typed into telnet) are converted to a RESP
 * array frame when they are decoded, so {@link #frame()} is always valid RESP for a backend.
 *
 * <p>Not thread-safe; a command belongs to the event loop that decoded it.
 */
public final class RespCommand implements ReferenceCounted {

    private final ByteBuf frame;
    // argument i starts at bounds[2 * i] (relative to frame's index 0) and has bounds[2 * i + 1] bytes
    private final int[] bounds;
    private final boolean inline;

    /**
     * Wraps an already validated frame. Ownership of {@code frame} passes to the new command.
     *
     * @param frame  the whole request frame, starting at index 0 of the buffer's view
     * @param bounds pairs of (offset, length) of each argument inside {@code frame}
     * @param inline whether the client sent this as an inline command
     */
    public RespCommand(ByteBuf frame, int[] bounds, boolean inline) {
        if ((bounds.length & 1) != 0 || bounds.length == 0) {
            throw new IllegalArgumentException("bounds must hold (offset, length) pairs for at least one argument");
        }
        this.frame = frame;
        this.bounds = bounds;
        this.inline = inline;
    }

    /** Builds a command from text arguments, encoded as a RESP array; for tests and proxy-made requests. */
    public static RespCommand of(String... args) {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return of(bytes);
    }

    /** Builds a command from binary arguments, encoded as a RESP array in a new heap buffer. */
    public static RespCommand of(byte[]... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("a command needs at least a name");
        }
        int size = 16;
        for (byte[] a : args) {
            size += a.length + 16;
        }
        ByteBuf buf = Unpooled.buffer(size);
        int[] bounds = new int[args.length * 2];
        buf.writeByte('*').writeBytes(Integer.toString(args.length).getBytes(StandardCharsets.US_ASCII))
                .writeByte('\r').writeByte('\n');
        for (int i = 0; i < args.length; i++) {
            buf.writeByte('$').writeBytes(Integer.toString(args[i].length).getBytes(StandardCharsets.US_ASCII))
                    .writeByte('\r').writeByte('\n');
            bounds[2 * i] = buf.writerIndex();
            bounds[2 * i + 1] = args[i].length;
            buf.writeBytes(args[i]).writeByte('\r').writeByte('\n');
        }
        return new RespCommand(buf, bounds, false);
    }

    /** The whole request as RESP, ready to be written to a backend (retain or duplicate it first). */
    public ByteBuf frame() {
        return frame;
    }

    /** Number of arguments, the command name included. */
    public int argCount() {
        return bounds.length >>> 1;
    }

    /** Whether the client sent an inline command rather than a RESP array. */
    public boolean isInline() {
        return inline;
    }

    /** Argument {@code i} as a slice of the frame, not retained; valid while this command is. */
    public ByteBuf arg(int i) {
        return frame.slice(bounds[2 * i], bounds[2 * i + 1]);
    }

    /** Offset of argument {@code i} inside {@link #frame()}. */
    public int argOffset(int i) {
        return bounds[2 * i];
    }

    /** Length in bytes of argument {@code i}. */
    public int argLength(int i) {
        return bounds[2 * i + 1];
    }

    /** A copy of argument {@code i}. */
    public byte[] argBytes(int i) {
        byte[] out = new byte[bounds[2 * i + 1]];
        frame.getBytes(bounds[2 * i], out);
        return out;
    }

    /** Argument {@code i} decoded as UTF-8 (malformed bytes become U+FFFD). */
    public String argString(int i) {
        return frame.toString(bounds[2 * i], bounds[2 * i + 1], StandardCharsets.UTF_8);
    }

    /**
     * Argument {@code i} as a signed 64-bit integer, parsed like Redis's {@code string2ll}: optional
     * minus sign, decimal digits, no leading zeros, no spaces, no plus sign.
     *
     * @throws NumberFormatException if the argument is not such an integer
     */
    public long argLong(int i) {
        return RespNumbers.parseLong(frame, bounds[2 * i], bounds[2 * i + 1]);
    }

    /** Whether argument {@code i} equals {@code upperCaseAscii} ignoring ASCII case; allocates nothing. */
    public boolean argEqualsIgnoreCase(int i, AsciiString upperCaseAscii) {
        int len = bounds[2 * i + 1];
        if (len != upperCaseAscii.length()) {
            return false;
        }
        int off = bounds[2 * i];
        for (int k = 0; k < len; k++) {
            byte b = frame.getByte(off + k);
            if (b >= 'a' && b <= 'z') {
                b -= 32;
            }
            if (b != upperCaseAscii.byteAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** The command name in lower case, as Redis prints it in error messages. */
    public String name() {
        return argString(0).toLowerCase(Locale.ROOT);
    }

    @Override
    public int refCnt() {
        return frame.refCnt();
    }

    @Override
    public RespCommand retain() {
        frame.retain();
        return this;
    }

    @Override
    public RespCommand retain(int increment) {
        frame.retain(increment);
        return this;
    }

    @Override
    public RespCommand touch() {
        frame.touch();
        return this;
    }

    @Override
    public RespCommand touch(Object hint) {
        frame.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return frame.release();
    }

    @Override
    public boolean release(int decrement) {
        return frame.release(decrement);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RespCommand[");
        int n = Math.min(argCount(), 8);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(argLength(i) > 64 ? "(" + argLength(i) + " bytes)" : argString(i));
        }
        if (argCount() > n) {
            sb.append(" ...");
        }
        return sb.append(']').toString();
    }
}
