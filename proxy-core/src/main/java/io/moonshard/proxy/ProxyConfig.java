package io.moonshard.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything a proxy needs to know at start, as one immutable value. Option names in comments are
 * the config-file keys (undermoon's names where undermoon has the option).
 *
 * <p>Build one with {@link #builder()}; {@link #defaults()} reproduces the original design note
 * (listen and announce {@code 127.0.0.1:5299}).
 *
 * @param address          {@code address}: host:port to listen on
 * @param announceAddress  {@code announce_address}: host:port shown in CLUSTER NODES/SLOTS and MOVED;
 *                         its host must equal the host of every local Redis in SETCLUSTER
 * @param threads          {@code thread_number}: event-loop threads (0 = number of cores)
 * @param backendConnNum   {@code backend_conn_num}: connections per backend address per event loop
 * @param password         {@code password}: client AUTH password, or null for none
 * @param adminPassword    {@code admin_password}: password that UMCTL SHUTDOWN needs, or null for none
 * @param sessionTimeout   {@code session_timeout}: close a client idle this long (zero = never)
 * @param backendTimeout   {@code backend_timeout}: fail a command whose backend reply takes longer
 * @param connectTimeout   {@code backend_connect_timeout}: give up connecting to a backend after this
 * @param maxClients       {@code max_clients}: refuse connections beyond this many
 * @param maxPendingCommands  {@code max_pending_commands}: per client; stop reading over it
 * @param maxPendingReplyBytes {@code max_pending_reply_bytes}: per client; stop reading over it
 * @param protoMaxBulkLen  {@code proto_max_bulk_len}: largest argument a client may send, like Redis
 * @param nodeIdFormat     {@code node_id_format}: how node IDs are formed in CLUSTER replies
 * @param clusterBusPort   {@code cluster_nodes_version}: true prints {@code ip:port@cport} in
 *                         CLUSTER NODES (undermoon v2), false prints {@code ip:port} (v1)
 * @param initialSetCluster {@code initial_setcluster}: a full {@code UMCTL SETCLUSTER ...} line applied at
 *                         start, or null
 * @param maxDedicatedConnections {@code max_dedicated_connections}: backend connections the proxy opens for
 *                         single clients (blocking commands, WATCH, pub/sub), over all clients; a command
 *                         needing one more is refused
 * @param backendUser      {@code backend_user}: ACL user the proxy authenticates to its backends as, or null
 *                         (the {@code default} user)
 * @param backendPassword  {@code backend_password}: password for the backends ({@code requirepass}), or null
 */
public record ProxyConfig(
        String address,
        String announceAddress,
        int threads,
        int backendConnNum,
        String password,
        String adminPassword,
        Duration sessionTimeout,
        Duration backendTimeout,
        Duration connectTimeout,
        int maxClients,
        int maxPendingCommands,
        long maxPendingReplyBytes,
        long protoMaxBulkLen,
        NodeIdStyle nodeIdFormat,
        boolean clusterBusPort,
        String initialSetCluster,
        int maxDedicatedConnections,
        String backendUser,
        String backendPassword) {

    /** How node IDs look; both are 40 characters. */
    public enum NodeIdStyle {
        /** Cluster name padded with {@code _} to 20, then the address hash padded to 20 (the design note). */
        SEED,
        /** Cluster name padded to 24, then the address hash padded to 16 (undermoon 0.6). */
        UNDERMOON
    }

    public static final String DEFAULT_ADDRESS = "127.0.0.1:5299";

    public ProxyConfig {
        Objects.requireNonNull(address, "address");
        announceAddress = announceAddress == null || announceAddress.isEmpty() ? address : announceAddress;
        HostPort.parse(address);
        HostPort.parse(announceAddress);
        requireAtLeast("thread_number", threads, 0);
        requireAtLeast("backend_conn_num", backendConnNum, 1);
        requireAtLeast("max_clients", maxClients, 1);
        requireAtLeast("max_pending_commands", maxPendingCommands, 1);
        requireAtLeast("max_pending_reply_bytes", maxPendingReplyBytes, 1);
        requireAtLeast("proto_max_bulk_len", protoMaxBulkLen, 1);
        requireAtLeast("max_dedicated_connections", maxDedicatedConnections, 0);
        if (backendUser != null && backendPassword == null) {
            throw new IllegalArgumentException("backend_user needs backend_password");
        }
        Objects.requireNonNull(sessionTimeout, "session_timeout");
        Objects.requireNonNull(backendTimeout, "backend_timeout");
        Objects.requireNonNull(connectTimeout, "backend_connect_timeout");
        Objects.requireNonNull(nodeIdFormat, "node_id_format");
        if (backendTimeout.isNegative() || backendTimeout.isZero()) {
            throw new IllegalArgumentException("backend_timeout must be positive");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("backend_connect_timeout must be positive");
        }
        if (sessionTimeout.isNegative()) {
            throw new IllegalArgumentException("session_timeout must not be negative");
        }
    }

    private static void requireAtLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }

    public static ProxyConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset with this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.address = address;
        b.announceAddress = announceAddress;
        b.threads = threads;
        b.backendConnNum = backendConnNum;
        b.password = password;
        b.adminPassword = adminPassword;
        b.sessionTimeout = sessionTimeout;
        b.backendTimeout = backendTimeout;
        b.connectTimeout = connectTimeout;
        b.maxClients = maxClients;
        b.maxPendingCommands = maxPendingCommands;
        b.maxPendingReplyBytes = maxPendingReplyBytes;
        b.protoMaxBulkLen = protoMaxBulkLen;
        b.nodeIdFormat = nodeIdFormat;
        b.clusterBusPort = clusterBusPort;
        b.initialSetCluster = initialSetCluster;
        b.maxDedicatedConnections = maxDedicatedConnections;
        b.backendUser = backendUser;
        b.backendPassword = backendPassword;
        return b;
    }

    /** The effective number of event-loop threads. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** Mutable builder with the defaults documented on each setter's config key. */
    public static final class Builder {
        private String address = DEFAULT_ADDRESS;
        private String announceAddress;
        private int threads;
        private int backendConnNum = 1;
        private String password;
        private String adminPassword;
        private Duration sessionTimeout = Duration.ZERO;
        private Duration backendTimeout = Duration.ofSeconds(3);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private int maxClients = 10_000;
        private int maxPendingCommands = 10_000;
        private long maxPendingReplyBytes = 64L * 1024 * 1024;
        private long protoMaxBulkLen = 512L * 1024 * 1024;
        private NodeIdStyle nodeIdFormat = NodeIdStyle.SEED;
        private boolean clusterBusPort;
        private String initialSetCluster;
        private int maxDedicatedConnections = 10_000;
        private String backendUser;
        private String backendPassword;

        private Builder() {
        }

        public Builder address(String v) { address = v; return this; }
        public Builder announceAddress(String v) { announceAddress = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder backendConnNum(int v) { backendConnNum = v; return this; }
        public Builder password(String v) { password = v; return this; }
        public Builder adminPassword(String v) { adminPassword = v; return this; }
        public Builder sessionTimeout(Duration v) { sessionTimeout = v; return this; }
        public Builder backendTimeout(Duration v) { backendTimeout = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder maxClients(int v) { maxClients = v; return this; }
        public Builder maxPendingCommands(int v) { maxPendingCommands = v; return this; }
        public Builder maxPendingReplyBytes(long v) { maxPendingReplyBytes = v; return this; }
        public Builder protoMaxBulkLen(long v) { protoMaxBulkLen = v; return this; }
        public Builder nodeIdFormat(NodeIdStyle v) { nodeIdFormat = v; return this; }
        public Builder clusterBusPort(boolean v) { clusterBusPort = v; return this; }
        public Builder initialSetCluster(String v) { initialSetCluster = v; return this; }
        public Builder maxDedicatedConnections(int v) { maxDedicatedConnections = v; return this; }
        public Builder backendUser(String v) { backendUser = v; return this; }
        public Builder backendPassword(String v) { backendPassword = v; return this; }

        public ProxyConfig build() {
            return new ProxyConfig(address, announceAddress, threads, backendConnNum, password, adminPassword,
                    sessionTimeout, backendTimeout, connectTimeout, maxClients, maxPendingCommands,
                    maxPendingReplyBytes, protoMaxBulkLen, nodeIdFormat, clusterBusPort, initialSetCluster,
                    maxDedicatedConnections, backendUser, backendPassword);
        }
    }
}
