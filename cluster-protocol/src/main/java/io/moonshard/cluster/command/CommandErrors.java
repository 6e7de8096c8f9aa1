package io.moonshard.cluster.command;

import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The errors Redis 7.0.15 gives before running a command ({@code commandCheckExistence} and
 * {@code commandCheckArity} in {@code server.c}), byte for byte. Each method returns the error message
 * starting with its code {@code ERR}, without the leading {@code -} and the trailing CRLF; arguments
 * are copied as raw bytes.
 *
 * <p>Redis formats user arguments with {@code %.128s}/{@code %.*s}, so an argument is cut at 128 bytes
 * and at its first NUL byte; CR and LF in the finished message become spaces.
 */
public final class CommandErrors {

    private static final int CUT = 128;

    private CommandErrors() {
    }

    /**
     * The error Redis gives before running {@code cmd}, or {@code null} when it passes these checks.
     *
     * @param spec what {@link CommandTable#lookup(RespCommand)} returned for {@code cmd} (may be null)
     */
    public static byte[] rejection(CommandSpec spec, RespCommand cmd) {
        if (spec == null) {
            return unknownCommand(cmd);
        }
        if (spec.isContainer() && cmd.argCount() > 1) {
            return unknownSubcommand(cmd);
        }
        return spec.arityOk(cmd.argCount()) ? null : wrongArity(spec);
    }

    /**
     * {@code ERR unknown command '<name>', with args beginning with: '<a1>' '<a2>' } — every argument is
     * quoted and followed by a space, and arguments are appended while the list is shorter than 128
     * bytes, each cut to what is left of those 128.
     */
    public static byte[] unknownCommand(RespCommand cmd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        ascii(out, "ERR unknown command '");
        cString(out, cmd, 0, CUT);
        ascii(out, "', with args beginning with: ");
        int args = 0;
        for (int i = 1; i < cmd.argCount() && args < CUT; i++) {
            out.write('\'');
            args += 1 + cString(out, cmd, i, CUT - args);
            ascii(out, "' ");
            args += 2;
        }
        return noNewlines(out.toByteArray());
    }

    /** {@code ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.} for a container command. */
    public static byte[] unknownSubcommand(RespCommand cmd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        ascii(out, "ERR unknown subcommand '");
        cString(out, cmd, 1, CUT);
        ascii(out, "'. Try ");
        int mark = out.size();
        cString(out, cmd, 0, Integer.MAX_VALUE);
        byte[] bytes = out.toByteArray();
        for (int k = mark; k < bytes.length; k++) {
            if (bytes[k] >= 'a' && bytes[k] <= 'z') {
                bytes[k] -= 32;
            }
        }
        out.reset();
        out.write(bytes, 0, bytes.length);
        ascii(out, " HELP.");
        return noNewlines(out.toByteArray());
    }

    /**
     * {@code ERR wrong number of arguments for '<name>' command}; a subcommand is named
     * {@code container|sub}. EXEC is special: Redis aborts the transaction (even outside MULTI) and
     * answers {@code EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command}.
     */
    public static byte[] wrongArity(CommandSpec spec) {
        String message = "wrong number of arguments for '" + spec.name() + "' command";
        String code = spec.name().equals("exec") ? "EXECABORT Transaction discarded because of: " : "ERR ";
        return (code + message).getBytes(StandardCharsets.US_ASCII);
    }

    /** Appends argument {@code i} as C's {@code %.*s} would: at most {@code max} bytes, up to the first NUL. */
    private static int cString(ByteArrayOutputStream out, RespCommand cmd, int i, int max) {
        ByteBuf frame = cmd.frame();
        int off = cmd.argOffset(i);
        int len = Math.min(cmd.argLength(i), max);
        int n = 0;
        while (n < len) {
            byte b = frame.getByte(off + n);
            if (b == 0) {
                break;
            }
            out.write(b);
            n++;
        }
        return n;
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** sdsmapchars(err, "\r\n", "  "): a reply line must not break. */
    private static byte[] noNewlines(byte[] message) {
        for (int k = 0; k < message.length; k++) {
            if (message[k] == '\r' || message[k] == '\n') {
                message[k] = ' ';
            }
        }
        return message;
    }
}
