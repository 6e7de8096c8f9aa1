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
 * @param tlsPort          {@code tls_port}: port of a second, TLS listener on the host of {@code address};
 *                         0 = no TLS listener. Every proxy of a cluster uses the same offset
 *                         {@code tls_port - port}: a TLS client is shown each proxy's address with
 *                         that offset added to its port (see {@link #tlsPortOffset()})
 * @param tlsCertFile      {@code tls_cert_file}: the server certificate (chain), PEM
 * @param tlsKeyFile       {@code tls_key_file}: the server certificate's private key, PEM (PKCS#8, unencrypted)
 * @param tlsCaFile        {@code tls_ca_file}: CA certificates (PEM) that client certificates must be signed by
 * @param tlsAuthClients   {@code tls_auth_clients}: TLS clients must present a certificate signed by
 *                         {@code tls_ca_file}
 * @param tlsOnly          {@code tls_only}: do not listen on {@code address} (like Redis's {@code port 0});
 *                         {@code address} still names the proxy (node IDs, announce, the port offset)
 * @param slowlogLogSlowerThan {@code slowlog_log_slower_than}: log a command in the proxy's SLOWLOG when it
 *                         takes at least this many microseconds from being read to its reply (Redis's
 *                         {@code slowlog-log-slower-than}); 0 logs every command, -1 disables the slow log
 * @param slowlogMaxLen    {@code slowlog_max_len}: entries the proxy's SLOWLOG keeps, the oldest dropped first
 *                         (Redis's {@code slowlog-max-len})
 * @param users            {@code users}: named users and their passwords for {@code AUTH <user> <password>}
 *                         and {@code HELLO ... AUTH}, beside {@code default} (whose password is
 *                         {@code password}); empty by default
 * @param allowDangerousCommands {@code allow_dangerous_commands}: pass {@code DEBUG SEGFAULT|PANIC|RESTART|...}
 *                         and {@code SHUTDOWN} on to a local backend instead of refusing them (for test
 *                         suites that crash or stop their server on purpose); false by default
 * @param aclFile          {@code aclfile}: users in Redis's ACL file format, loaded at start (when the file
 *                         exists) and by {@code ACL LOAD}, written by {@code ACL SAVE}; null for none
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
        String backendPassword,
        int tlsPort,
        String tlsCertFile,
        String tlsKeyFile,
        String tlsCaFile,
        boolean tlsAuthClients,
        boolean tlsOnly,
        long slowlogLogSlowerThan,
        int slowlogMaxLen,
        java.util.Map<String, String> users,
        boolean allowDangerousCommands,
        String aclFile) {

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
        requireAtLeast("slowlog_log_slower_than", slowlogLogSlowerThan, -1);
        requireAtLeast("slowlog_max_len", slowlogMaxLen, 0);
        users = users == null ? java.util.Map.of() : java.util.Map.copyOf(users);
        if (users.containsKey("default")) {
            throw new IllegalArgumentException("users: the default user's password is 'password'");
        }
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
        tlsCertFile = emptyToNull(tlsCertFile);
        tlsKeyFile = emptyToNull(tlsKeyFile);
        tlsCaFile = emptyToNull(tlsCaFile);
        checkTls(address, announceAddress, tlsPort, tlsCertFile, tlsKeyFile, tlsCaFile, tlsAuthClients, tlsOnly);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static void checkTls(String address, String announceAddress, int tlsPort, String certFile,
                                 String keyFile, String caFile, boolean authClients, boolean tlsOnly) {
        if (tlsPort < 0 || tlsPort > 65535) {
            throw new IllegalArgumentException("tls_port must be between 0 and 65535, got " + tlsPort);
        }
        if (tlsOnly && tlsPort == 0) {
            throw new IllegalArgumentException("tls_only needs tls_port");
        }
        if (authClients && caFile == null) {
            throw new IllegalArgumentException("tls_auth_clients needs tls_ca_file");
        }
        if (tlsPort == 0) {
            return;
        }
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("tls_port needs tls_cert_file and tls_key_file");
        }
        int port = HostPort.parse(address).port();
        if (port == 0) {
            throw new IllegalArgumentException("tls_port needs a fixed port in address (the TLS port offset is "
                    + "tls_port - port), got " + address);
        }
        if (port == tlsPort) {
            throw new IllegalArgumentException("tls_port must differ from the port of address, both are " + port);
        }
        int announced = HostPort.parse(announceAddress).port() + tlsPort - port;
        if (announced < 1 || announced > 65535) {
            throw new IllegalArgumentException("the announced TLS port (announce_address port + tls_port - port) is "
                    + announced + ", out of range");
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
        b.tlsPort = tlsPort;
        b.tlsCertFile = tlsCertFile;
        b.tlsKeyFile = tlsKeyFile;
        b.tlsCaFile = tlsCaFile;
        b.tlsAuthClients = tlsAuthClients;
        b.tlsOnly = tlsOnly;
        b.slowlogLogSlowerThan = slowlogLogSlowerThan;
        b.slowlogMaxLen = slowlogMaxLen;
        b.users = users;
        b.allowDangerousCommands = allowDangerousCommands;
        b.aclFile = aclFile;
        return b;
    }

    /** Whether the proxy has a TLS listener ({@code tls_port} set). */
    public boolean tlsEnabled() {
        return tlsPort > 0;
    }

    /**
     * What a TLS client is shown instead of a plain address: the same host with this added to the port,
     * {@code tls_port} minus the port of {@code address}; 0 without TLS. The same for every proxy of a
     * cluster by convention, so a peer's TLS address follows from its plain one.
     */
    public int tlsPortOffset() {
        return tlsPort > 0 ? tlsPort - HostPort.parse(address).port() : 0;
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
        private int tlsPort;
        private String tlsCertFile;
        private String tlsKeyFile;
        private String tlsCaFile;
        private boolean tlsAuthClients;
        private boolean tlsOnly;
        private long slowlogLogSlowerThan = 10_000;
        private int slowlogMaxLen = 128;
        private java.util.Map<String, String> users = java.util.Map.of();
        private boolean allowDangerousCommands;
        private String aclFile;

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
        public Builder tlsPort(int v) { tlsPort = v; return this; }
        public Builder tlsCertFile(String v) { tlsCertFile = v; return this; }
        public Builder tlsKeyFile(String v) { tlsKeyFile = v; return this; }
        public Builder tlsCaFile(String v) { tlsCaFile = v; return this; }
        public Builder tlsAuthClients(boolean v) { tlsAuthClients = v; return this; }
        public Builder tlsOnly(boolean v) { tlsOnly = v; return this; }
        public Builder slowlogLogSlowerThan(long v) { slowlogLogSlowerThan = v; return this; }
        public Builder slowlogMaxLen(int v) { slowlogMaxLen = v; return this; }
        public Builder users(java.util.Map<String, String> v) { users = v; return this; }
        public Builder allowDangerousCommands(boolean v) { allowDangerousCommands = v; return this; }
        public Builder aclFile(String v) { aclFile = v; return this; }

        public ProxyConfig build() {
            return new ProxyConfig(address, announceAddress, threads, backendConnNum, password, adminPassword,
                    sessionTimeout, backendTimeout, connectTimeout, maxClients, maxPendingCommands,
                    maxPendingReplyBytes, protoMaxBulkLen, nodeIdFormat, clusterBusPort, initialSetCluster,
                    maxDedicatedConnections, backendUser, backendPassword, tlsPort, tlsCertFile, tlsKeyFile,
                    tlsCaFile, tlsAuthClients, tlsOnly, slowlogLogSlowerThan, slowlogMaxLen, users,
                    allowDangerousCommands, aclFile);
        }
    }
}
