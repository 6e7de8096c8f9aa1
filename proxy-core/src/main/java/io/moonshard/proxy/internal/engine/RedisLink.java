package io.moonshard.proxy.internal.engine;

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
    /** Bytes read from the socket; {@link #inPos} up to {@link #inLimit} are not parsed yet. */
    private final byte[] inBuf = new byte[READ_BUFFER];
    private int inPos;
    private int inLimit;

    private RedisLink(Socket socket, String address) throws IOException {
        this.socket = socket;
        this.address = address;
        this.in = socket.getInputStream();
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
        int digits = 1;
        for (int rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        for (int i = outLen + digits - 1; i >= outLen; i--) {
            outBuf[i] = (byte) ('0' + n % 10);
            n /= 10;
        }
        outLen += digits;
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
    //
    // Replies are parsed straight out of {@link #inBuf}, refilled by one socket read at a time: no
    // per-byte stream call (BufferedInputStream's read() takes a lock each time), no String per number.
    // For a batch of a thousand 512-byte values this halves the link's CPU per key.

    private Object readValue() throws IOException {
        int type = nextByte();
        switch (type) {
            case '+': {
                int len = readLine();
                return new String(line, 0, len, StandardCharsets.UTF_8);
            }
            case '-': {
                int len = readLine();
                return new ErrorReply(new String(line, 0, len, StandardCharsets.UTF_8));
            }
            case ':':
                return readNumber();
            case '$': {
                long n = readNumber();
                if (n < 0) {
                    return null;
                }
                if (n > Integer.MAX_VALUE - 8) {
                    throw new IOException(address + ": bulk reply of " + n + " bytes is larger than an array");
                }
                byte[] bulk = new byte[(int) n];
                readFully(bulk);
                if (nextByte() != '\r' || nextByte() != '\n') {
                    throw new IOException(address + ": bulk reply without CRLF");
                }
                return bulk;
            }
            case '*': {
                long n = readNumber();
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

    private int nextByte() throws IOException {
        if (inPos == inLimit) {
            fill();
        }
        return inBuf[inPos++] & 0xff;
    }

    /** Reads more of the socket into {@link #inBuf}, which holds nothing unread. */
    private void fill() throws IOException {
        int n = in.read(inBuf, 0, inBuf.length);
        if (n < 0) {
            throw new EOFException(address + " closed the connection");
        }
        inPos = 0;
        inLimit = n;
    }

    /** Fills {@code target}: first from what is buffered, the rest of a large one straight from the socket. */
    private void readFully(byte[] target) throws IOException {
        int done = Math.min(target.length, inLimit - inPos);
        System.arraycopy(inBuf, inPos, target, 0, done);
        inPos += done;
        if (done < target.length && target.length - done >= inBuf.length) {
            while (done < target.length) {
                int n = in.read(target, done, target.length - done);
                if (n < 0) {
                    throw new EOFException(address + ": bulk reply cut short");
                }
                done += n;
            }
        }
        while (done < target.length) {
            fill();
            int n = Math.min(target.length - done, inLimit);
            System.arraycopy(inBuf, 0, target, done, n);
            inPos = n;
            done += n;
        }
    }

    /** A reply header's number, up to and including its CRLF. */
    private long readNumber() throws IOException {
        int b = nextByte();
        boolean negative = b == '-';
        if (negative) {
            b = nextByte();
        }
        // accumulated negative, so Long.MIN_VALUE fits too
        long n = 0;
        int digits = 0;
        try {
            while (b >= '0' && b <= '9') {
                n = Math.subtractExact(Math.multiplyExact(n, 10), b - '0');
                digits++;
                b = nextByte();
            }
            if (digits == 0 || b != '\r' || nextByte() != '\n') {
                throw new IOException(address + ": not a number in a reply header");
            }
            return negative ? n : Math.negateExact(n);
        } catch (ArithmeticException e) {
            throw new IOException(address + ": a number in a reply header overflows a long", e);
        }
    }

    /** Reads up to CRLF into {@link #line}; returns the line's length without the CRLF. */
    private int readLine() throws IOException {
        int len = 0;
        while (true) {
            int b = nextByte();
            if (b == '\r') {
                if (nextByte() != '\n') {
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
}
