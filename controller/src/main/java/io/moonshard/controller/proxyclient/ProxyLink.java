package io.moonshard.controller.proxyclient;

import io.moonshard.resp.RespCommands;
import io.moonshard.resp.RespValue;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * One blocking connection to a proxy, authenticated with the admin password when one is configured.
 * {@link #call} pipelines commands and reads their replies, each read bounded by the timeout, so a
 * paused or black-holed proxy costs the caller at most the timeout. Any I/O failure closes the link;
 * the next call reconnects. Not thread-safe: {@link ProxyClients} hands a link to one caller at a time.
 */
final class ProxyLink implements AutoCloseable {

    private final String address;
    private final String adminPassword;
    private final int timeoutMillis;
    private Socket socket;
    private OutputStream out;
    private RespStreamReader in;

    ProxyLink(String address, String adminPassword, int timeoutMillis) {
        this.address = address;
        this.adminPassword = adminPassword;
        this.timeoutMillis = timeoutMillis;
    }

    /** Sends every command, then reads one reply per command, in order. */
    List<RespValue> call(List<List<String>> commands) throws IOException {
        try {
            connectIfNeeded();
            for (List<String> command : commands) {
                out.write(RespCommands.encode(command.toArray(String[]::new)));
            }
            out.flush();
            List<RespValue> replies = new ArrayList<>(commands.size());
            for (int i = 0; i < commands.size(); i++) {
                replies.add(in.read());
            }
            return replies;
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    private void connectIfNeeded() throws IOException {
        if (socket != null) {
            return;
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IOException("not host:port: " + address);
        }
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
            in = new RespStreamReader(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            socket = s;
            if (adminPassword != null) {
                out.write(RespCommands.encode("UMCTL", "AUTH", adminPassword));
                out.flush();
                RespValue answer = in.read();
                if (!(answer instanceof RespValue.SimpleString)) {
                    throw new IOException("UMCTL AUTH on " + address + " answered " + answer);
                }
            }
        } catch (IOException | RuntimeException e) {
            socket = s; // so close() releases it
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        out = null;
        in = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a broken socket: nothing more to do
            }
        }
    }
}
