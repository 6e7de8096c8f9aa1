package io.moonshard.proxy.internal.metadata;

/**
 * The addresses a TLS client is given. Moonshard knows every proxy by its plain address (SETCLUSTER,
 * node IDs); by convention every proxy of a cluster listens for TLS at its plain port plus the same
 * offset ({@code tls_port - port}, {@link io.moonshard.proxy.ProxyConfig#tlsPortOffset()}), so a TLS
 * client is shown each address with that offset added to its port, as Redis shows its
 * {@code tls-port} to TLS clients. Pure functions; CLUSTER NODES/SLOTS/SHARDS apply the same rule in
 * {@link io.moonshard.cluster.render.ClusterView} ({@code portOffset}).
 */
public final class TransportAddresses {

    private TransportAddresses() {
    }

    /** {@code host:port} with {@code offset} added to the port; unchanged when {@code offset} is 0. */
    static String shift(String hostPort, int offset) {
        if (offset == 0) {
            return hostPort;
        }
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            return hostPort;
        }
        try {
            int port = Integer.parseInt(hostPort, colon + 1, hostPort.length(), 10);
            return hostPort.substring(0, colon + 1) + (port + offset);
        } catch (NumberFormatException e) {
            return hostPort;
        }
    }

    /**
     * A {@code MOVED <slot> <host:port>} or {@code ASK <slot> <host:port>} error line (without the
     * leading {@code -}) with the address shifted by {@code offset}; any other line is returned as is.
     */
    public static CharSequence redirect(CharSequence errorLine, int offset) {
        if (offset == 0 || !(startsWith(errorLine, "MOVED ") || startsWith(errorLine, "ASK "))) {
            return errorLine;
        }
        String line = errorLine.toString();
        int space = line.lastIndexOf(' ');
        if (space <= line.indexOf(' ')) {
            return line; // no address part
        }
        return line.substring(0, space + 1) + shift(line.substring(space + 1), offset);
    }

    private static boolean startsWith(CharSequence s, String prefix) {
        if (s.length() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (s.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
