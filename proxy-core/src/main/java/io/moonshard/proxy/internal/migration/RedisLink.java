package io.moonshard.proxy.internal.migration;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A blocking, pipelined RESP2 connection to one Redis, for a migration task's own thread.
 *
 * <p>Commands are encoded into an output buffer by {@link #send} and go out on {@link #flush} (or the
 * next {@link #read}), so a step of a copy is one write and one round trip however many commands it
 * holds. Replies come back in order, one per {@link #read}.
 *
 * <p>Why not the proxy's {@code BackendConnection}: that one lives on an event loop and answers
 * through callbacks, while a copy is a sequence of steps where each needs the previous step's
 * replies; a plain socket on the task's thread says that directly and keeps copy traffic off the
 * loops that serve clients.
 *
 * <p>Not thread-safe: one task thread owns a link. After any {@link IOException} the stream of
 * replies can no longer be matched to the commands sent, so the link is closed and a new one made.
 */
public final class RedisLink implements AutoCloseable {

    /** An error reply ({@code -ERR ...}), returned rather than thrown: in a pipeline it belongs to one command. */
    public record ErrorReply(String message) {
        @Override
        public String toString() {
            return "-" + message;
        }
    }

    private static final int READ_BUFFER = 64 * 1024;
    /** Pending output is gathered in blocks of this size, so a long pipeline needs no one large array. */
    private static final int BLOCK = 64 * 1024;
    /** An argument at least this long is written from the caller's array at the flush rather than copied. */
    private static final int BY_REFERENCE = 16 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String address;
    /** Full blocks and large arguments waiting for the flush, in order; then {@link #outBuf}'s first {@link #outLen} bytes. */
    private final List<byte[]> segments = new ArrayList<>();
    private byte[] outBuf = new byte[BLOCK];
    private int outLen;
    /** Scratch for one reply header line ("$5", "*2", ":12", "+OK"); grown for long status and error lines. */
    private byte[] line = new byte[128];

    private RedisLink(Socket socket, String address) throws IOException {
        this.socket = socket;
        this.address = address;
        this.in = new BufferedInputStream(socket.getInputStream(), READ_BUFFER);
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to {@code hostPort} ("host:port", or "[v6]:port") and authenticates when
     * {@code password} is given (with {@code user} too when that is given, as Redis 6 ACL users).
     * {@code timeoutMillis} bounds the connect and every single read.
     *
     * @throws IOException when it cannot connect, or AUTH is refused
     */
    public static RedisLink connect(String hostPort, String user, String password, int timeoutMillis)
            throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("not host:port: " + hostPort);
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(timeoutMillis);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            RedisLink link = new RedisLink(socket, hostPort);
            if (password != null) {
                Object reply = user != null ? link.call("AUTH", user, password) : link.call("AUTH", password);
                if (reply instanceof ErrorReply error) {
                    throw new IOException(hostPort + ": AUTH refused: " + error.message());
                }
            }
            return link;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The "host:port" this link was made to, for messages. */
    public String address() {
        return address;
    }

    /**
     * Buffers one command; nothing is written until {@link #flush} or {@link #read}. A large argument
     * is kept by reference until then, not copied: do not change the array before the flush.
     */
    public void send(byte[]... args) {
        writeHeader('*', args.length);
        for (byte[] arg : args) {
            writeBulk(arg);
        }
    }

    /** Buffers one command, as {@link #send(byte[]...)}. */
    public void send(List<byte[]> args) {
        writeHeader('*', args.size());
        for (byte[] arg : args) {
            writeBulk(arg);
        }
    }

    /** Writes every buffered command to the socket. */
    public void flush() throws IOException {
        for (byte[] segment : segments) {
            out.write(segment);
        }
        segments.clear();
        if (outLen > 0) {
            out.write(outBuf, 0, outLen);
            outLen = 0;
        }
        out.flush();
    }

    /**
     * Flushes what is pending, then reads one reply: a simple string as {@link String}, an error as
     * {@link ErrorReply}, an integer as {@link Long}, a bulk string as {@code byte[]}, an array as
     * {@code List<Object>}, a nil bulk or nil array as {@code null}.
     *
     * @throws java.net.SocketTimeoutException when no reply comes within the link's timeout
     */
    public Object read() throws IOException {
        if (outLen > 0 || !segments.isEmpty()) {
            flush();
        }
        return readValue();
    }

    /**
     * Sends one command and reads its reply. Arguments may be {@link String} (sent as UTF-8),
     * {@code byte[]}, {@link Long} or {@link Integer}.
     */
    public Object call(Object... args) throws IOException {
        byte[][] encoded = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            encoded[i] = arg(args[i]);
        }
        send(encoded);
        return read();
    }

    /** The bytes an argument of {@link #call} is sent as. */
    public static byte[] arg(Object value) {
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (value instanceof Long || value instanceof Integer) {
            return value.toString().getBytes(StandardCharsets.US_ASCII);
        }
        throw new IllegalArgumentException("a command argument is a String, byte[], Long or Integer, not "
                + (value == null ? "null" : value.getClass().getName()));
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a socket the peer may have closed already; nothing is left to release
        }
    }

    // ---- encoding ----

    private void writeBulk(byte[] arg) {
        writeHeader('$', arg.length);
        if (arg.length >= BY_REFERENCE) {
            sealBuffer();
            segments.add(arg);
        } else {
            ensureRoom(arg.length);
            System.arraycopy(arg, 0, outBuf, outLen, arg.length);
            outLen += arg.length;
        }
        ensureRoom(2);
        outBuf[outLen++] = '\r';
        outBuf[outLen++] = '\n';
    }

    /** {@code *<n>\r\n} or {@code $<n>\r\n}. */
    private void writeHeader(char type, int n) {
        ensureRoom(16);
        outBuf[outLen++] = (byte) type;
        if (n < 10) {
            outBuf[outLen++] = (byte) ('0' + n);
        } else {
            byte[] digits = Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, outBuf, outLen, digits.length);
            outLen += digits.length;
        }
        outBuf[outLen++] = '\r';
        outBuf[outLen++] = '\n';
    }

    private void ensureRoom(int n) {
        if (outBuf.length - outLen < n) {
            sealBuffer();
        }
    }

    /** Moves what the current block holds to the list of segments, and starts a new block. */
    private void sealBuffer() {
        if (outLen > 0) {
            boolean full = outLen == outBuf.length;
            segments.add(full ? outBuf : Arrays.copyOf(outBuf, outLen));
            if (full) {
                outBuf = new byte[BLOCK];
            }
            outLen = 0;
        }
    }

    // ---- decoding ----

    private Object readValue() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException(address + " closed the connection");
        }
        int len = readLine();
        switch (type) {
            case '+':
                return new String(line, 0, len, StandardCharsets.UTF_8);
            case '-':
                return new ErrorReply(new String(line, 0, len, StandardCharsets.UTF_8));
            case ':':
                return parseLong(len);
            case '$': {
                long n = parseLong(len);
                if (n < 0) {
                    return null;
                }
                if (n > Integer.MAX_VALUE - 8) {
                    throw new IOException(address + ": bulk reply of " + n + " bytes is larger than an array");
                }
                byte[] bulk = in.readNBytes((int) n);
                if (bulk.length != n || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException(address + ": bulk reply cut short");
                }
                return bulk;
            }
            case '*': {
                long n = parseLong(len);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 16));
                for (long i = 0; i < n; i++) {
                    items.add(readValue());
                }
                return items;
            }
            default:
                throw new IOException(address + ": not a RESP2 reply, type byte " + type);
        }
    }

    /** Reads up to CRLF into {@link #line}; returns the line's length without the CRLF. */
    private int readLine() throws IOException {
        int len = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(address + " closed the connection mid-reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException(address + ": CR without LF in a reply line");
                }
                return len;
            }
            if (len == line.length) {
                line = Arrays.copyOf(line, len * 2);
            }
            line[len++] = (byte) b;
        }
    }

    private long parseLong(int len) throws IOException {
        try {
            return Long.parseLong(new String(line, 0, len, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new IOException(address + ": not a number in a reply header", e);
        }
    }
}
