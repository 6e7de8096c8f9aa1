package io.moonshard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** Reading a raw socket until the server closes it: how tests see a server disconnect a client. */
public final class SocketDrain {

    private SocketDrain() {
    }

    /**
     * Reads (and drops) what the server sent until it closes the connection; true once it did (end of
     * stream, or a reset because it closed with unread data), false if it did not {@code within} that time.
     */
    public static boolean readsToEndOfStream(Socket socket, Duration within) throws IOException {
        socket.setSoTimeout(1000);
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[1 << 16];
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // nothing yet
            } catch (IOException e) {
                return true; // reset: closed with unread data
            }
        }
        return false;
    }
}
