package io.moonshard.cluster.command;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny blocking RESP2 client for the generator and the integration tests of this package. Replies
 * become plain Java values: {@code String} (simple string), {@link Error}, {@code Long}, {@code byte[]}
 * (bulk string, {@code null} for a null bulk), {@code List<Object>} (array).
 */
final class RespConnection implements AutoCloseable {

    /** An error reply, without the leading {@code -}. */
    record Error(String message) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    RespConnection(String host, int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Object call(String... args) {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return call(bytes);
    }

    Object call(byte[]... args) {
        send(args);
        return read();
    }

    /** Sends without reading (pipelining); read the replies with {@link #read()} in order. */
    void send(byte[]... args) {
        try {
            out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] a : args) {
                out.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(a);
                out.write('\r');
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Object read() {
        try {
            out.flush();
            return readValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Object readValue() throws IOException {
        int type = in.read();
        byte[] line = readLine();
        String text = new String(line, StandardCharsets.ISO_8859_1);
        switch (type) {
            case '+':
                return new String(line, StandardCharsets.UTF_8);
            case '-':
                return new Error(text);
            case ':':
                return Long.parseLong(text);
            case '$': {
                int len = Integer.parseInt(text);
                if (len < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(len + 2);
                if (data.length != len + 2) {
                    throw new IOException("connection closed inside a bulk string");
                }
                byte[] value = new byte[len];
                System.arraycopy(data, 0, value, 0, len);
                return value;
            }
            case '*': {
                int n = Integer.parseInt(text);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(readValue());
                }
                return items;
            }
            default:
                throw new IOException("unexpected reply type " + type + " (" + text + ")");
        }
    }

    private byte[] readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int prev = -1;
        for (int c; (c = in.read()) != -1; prev = c) {
            if (prev == '\r' && c == '\n') {
                byte[] all = buf.toByteArray();
                byte[] line = new byte[all.length - 1];
                System.arraycopy(all, 0, line, 0, line.length);
                return line;
            }
            buf.write(c);
        }
        throw new IOException("connection closed before a full reply");
    }

    /** A bulk or simple string reply as text. */
    static String text(Object reply) {
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (reply instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("not a string reply: " + reply);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
