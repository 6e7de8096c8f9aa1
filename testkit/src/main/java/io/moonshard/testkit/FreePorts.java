package io.moonshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free TCP ports on 127.0.0.1, never the same one twice in one JVM. */
public final class FreePorts {

    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /**
     * A port that was free a moment ago. Ports below 55000 are preferred so that a Redis cluster bus
     * port (port + 10000) stays below 65536.
     */
    public static synchronized int next() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                candidate = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (candidate < 55000 && HANDED_OUT.add(candidate) && isFree(candidate + 10000)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free loopback port found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
