package io.moonshard.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A blocking RESP2 test client that returns replies as the exact bytes on the wire (as text), so a
 * test can assert a reply byte for byte: {@code "+OK\r\n"}, {@code "-MOVED 15495 127.0.0.1:7000\r\n"}.
 * It can also send arbitrary bytes (malformed RESP, inline commands, pipelines).
 */
public final class RawRedisClient implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    public RawRedisClient(int port) {
        this("127.0.0.1", port);
    }

    public RawRedisClient(String host, int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one command and returns its raw reply. */
    public String call(String... args) {
        send(args);
        return readReply();
    }

    /** Sends one command as a RESP array without reading the reply (for pipelines). */
    public void send(String... args) {
        sendRaw(encode(args));
    }

    /** RESP array encoding of {@code args}. */
    public static byte[] encode(String... args) {
        StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return req.toString().getBytes(StandardCharsets.UTF_8);
    }

    public void sendRaw(String bytes) {
        sendRaw(bytes.getBytes(StandardCharsets.ISO_8859_1));
    }

    public void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads exactly one reply (any RESP2 type, nested arrays included) and returns its raw text. */
    public String readReply() {
        try {
            StringBuilder sb = new StringBuilder();
            readValue(sb);
            return sb.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True when the server closed the connection: the next read sees end of stream (or a reset)
     * within the socket timeout.
     */
    public boolean isClosedByServer() {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    public void setReadTimeoutMillis(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void readValue(StringBuilder sb) throws IOException {
        String line = readLine();
        sb.append(line).append("\r\n");
        char type = line.charAt(0);
        if (type == '$' || type == '=' || type == '!') { // bulk string, verbatim string, bulk error
            int len = Integer.parseInt(line.substring(1));
            if (len >= 0) {
                byte[] data = in.readNBytes(len + 2);
                if (data.length != len + 2) {
                    throw new IOException("connection closed inside a bulk string");
                }
                sb.append(new String(data, StandardCharsets.ISO_8859_1));
            }
        } else if (type == '*' || type == '~' || type == '>') { // array, RESP3 set and push
            int n = Integer.parseInt(line.substring(1));
            for (int i = 0; i < n; i++) {
                readValue(sb);
            }
        } else if (type == '%' || type == '|') { // RESP3 map; an attribute precedes the value it describes
            int n = Integer.parseInt(line.substring(1));
            for (int i = 0; i < 2 * n; i++) {
                readValue(sb);
            }
            if (type == '|') {
                readValue(sb);
            }
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int prev = -1;
        for (int c; (c = in.read()) != -1; prev = c) {
            if (prev == '\r' && c == '\n') {
                sb.setLength(sb.length() - 1);
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed before a full reply (got '" + sb + "')");
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
