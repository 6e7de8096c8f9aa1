package io.moonshard.proxy;

import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a proxy needs to know at start, as one immutable value. Option names in comments are
 * the config-file keys (undermoon's names where undermoon has the option).
 *
 * <p>Build one with {@link #builder()}; {@link #defaults()} reproduces the original design note
 * (listen and announce {@code 127.0.0.1:5299}).
 *
 * <p>Its length is the start options themselves, each with its default and its check in one place.
 *
 * @param address          {@code address}: host:port to listen on
 * @param announceAddress  {@code announce_address}: host:port shown in CLUSTER NODES/SLOTS and MOVED;
 *                         its host must equal the host of every local Redis in SETCLUSTER
 * @param threads          {@code thread_number}: event-loop threads (0 = one per two cores, at least one:
 *                         see {@link #effectiveThreads()})
 * @param backendConnNum   {@code backend_conn_num}: connections per backend address per event loop
 * @param password         {@code password}: client AUTH password, or null for none
 * @param adminPassword    {@code admin_password}: password that the cluster-changing UMCTL commands
 *                         (SETCLUSTER, SETREPL, SHUTDOWN) and CONFIG SET of the proxy's settings need,
 *                         or null: then they need no more than the client password
 * @param sessionTimeout   {@code session_timeout}: close a client idle this long (zero = never)
 * @param backendTimeout   {@code backend_timeout}: fail a command whose backend reply takes longer
 * @param connectTimeout   {@code backend_connect_timeout}: give up connecting to a backend after this
 * @param maxClients       {@code max_clients}: refuse connections beyond this many
 * @param maxPendingCommands  {@code max_pending_commands}: per client; stop reading over it
 * @param maxPendingReplyBytes {@code max_pending_reply_bytes}: per client; stop reading while more reply bytes
 *                         than this are due (received from backends, not yet written to the client's socket)
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
 * @param clusterSecret    {@code cluster_secret}: secret the proxies of one cluster share; a proxy sends
 *                         {@code UMCTL PEERAUTH <secret>} first on every connection to a peer, and only a
 *                         connection that did may run the peer commands ({@code UMCTL PUBLISH}); null for
 *                         none: peer commands are then refused whenever a client or admin password is set
 * @param clientOutputBufferLimit {@code client_output_buffer_limit}: Redis's {@code client-output-buffer-limit}
 *                         for the proxy's clients (a client over it is disconnected); Redis 7.0's defaults
 * @param maxClientOutputBytes {@code max_client_output_bytes}: per client, whatever its class: disconnect a client
 *                         with more reply bytes than this due, unless they are a single reply; 0 = no such cap
 * @param clientQueryBufferLimit {@code client_query_buffer_limit}: per client, the largest request that may be
 *                         buffered before it is complete (Redis's {@code client-query-buffer-limit}, 1 GB by
 *                         default, at least 1 MB); a client that exceeds it is closed, as Redis does
 * @param maxTotalQueryBufferBytes {@code max_total_query_buffer_bytes}: what all clients' incomplete requests
 *                         may hold together (those under 64 KB are not counted); a client whose request would
 *                         take more is closed. 0 (the default) means a quarter of the JVM's direct memory
 *                         limit (by default the heap's maximum), see {@link #effectiveMaxTotalQueryBufferBytes()}
 * @param allowCrossSlotLocal {@code allow_cross_slot_local}: MGET, MSET, DEL, UNLINK, EXISTS and TOUCH whose
 *                         keys span several slots, all served by this proxy, are split over its local
 *                         backends instead of answered {@code CROSSSLOT} (for single-proxy deployments
 *                         serving clients that are not cluster-aware); false by default, Redis Cluster's rule
 * @param aclFile          {@code aclfile}: users in Redis's ACL file format, loaded at start (when the file
 *                         exists) and by {@code ACL LOAD}, written by {@code ACL SAVE}; null for none
 * @param showReplicas     {@code show_replicas}: CLUSTER NODES/SLOTS/SHARDS show the replicas that SETREPL
 *                         describes (each at the proxy hosting it) and READONLY clients' reads are served
 *                         by a local replica; false shows every proxy as a lone master and never reads
 *                         from a replica, as undermoon does. True by default
 * @param writeAck         {@code write_ack}: when a write is answered: {@link WriteAck#ASYNC} (as Redis, once the
 *                         master applied it) or {@link WriteAck#REPLICA} (once a replica confirmed it too, one
 *                         {@code WAIT 1 <timeout>} per pipelined batch of writes)
 * @param writeAckTimeout  {@code write_ack_timeout_ms}: how long the WAIT of {@link WriteAck#REPLICA} waits for a
 *                         replica; a write not confirmed by then gets a {@code NOTREPLICATED} error (1 ms to 60 s)
 * @param transport        {@code transport}: the sockets' I/O: {@link Transport#AUTO} (the fastest this machine
 *                         offers), or one named, which the start fails without
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
        Map<String, String> users,
        boolean allowDangerousCommands,
        String clusterSecret,
        ClientOutputBufferLimits clientOutputBufferLimit,
        long maxClientOutputBytes,
        long clientQueryBufferLimit,
        long maxTotalQueryBufferBytes,
        boolean allowCrossSlotLocal,
        String aclFile,
        boolean showReplicas,
        WriteAck writeAck,
        Duration writeAckTimeout,
        Transport transport) {

    /** How node IDs look; both are 40 characters. */
    public enum NodeIdStyle {
        /** Cluster name padded with {@code _} to 20, then the address hash padded to 20 (the design note). */
        SEED,
        /** Cluster name padded to 24, then the address hash padded to 16 (undermoon 0.6). */
        UNDERMOON
    }

    /** When the proxy answers a write ({@code write_ack}). */
    public enum WriteAck {
        /** As Redis: once the master applied it; its replicas follow asynchronously. */
        ASYNC,
        /**
         * Once a replica confirmed it: each backend connection sends {@code WAIT 1 <timeout>} after every
         * pipelined batch holding a write and answers the batch when the WAIT does.
         */
        REPLICA
    }

    /** How the event loops do their socket I/O ({@code transport}). */
    public enum Transport {
        /** {@link #EPOLL} where Linux offers it, else {@link #NIO}; see docs/performance.md for why not io_uring. */
        AUTO,
        /** Linux io_uring (Netty's native transport): submissions and completions in shared rings. */
        IO_URING,
        /** Linux epoll (Netty's native transport): one read and one write system call per socket and turn. */
        EPOLL,
        /** The JDK's selector: any OS. */
        NIO
    }

    public static final String DEFAULT_ADDRESS = "127.0.0.1:5299";
    /** The longest {@code write_ack_timeout_ms}: a WAIT holds its backend connection that long. */
    public static final long MAX_WRITE_ACK_TIMEOUT_MILLIS = 60_000;
    /** Redis's default {@code client-query-buffer-limit}. */
    public static final long DEFAULT_CLIENT_QUERY_BUFFER_LIMIT = 1024L * 1024 * 1024;
    /** Redis's lowest {@code client-query-buffer-limit}. */
    public static final long MIN_CLIENT_QUERY_BUFFER_LIMIT = 1024L * 1024;

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
        requireAtLeast("max_client_output_bytes", maxClientOutputBytes, 0);
        Objects.requireNonNull(clientOutputBufferLimit, "client_output_buffer_limit");
        requireAtLeast("client_query_buffer_limit", clientQueryBufferLimit, MIN_CLIENT_QUERY_BUFFER_LIMIT);
        requireAtLeast("max_total_query_buffer_bytes", maxTotalQueryBufferBytes, 0);
        users = users == null ? Map.of() : Map.copyOf(users);
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
        Objects.requireNonNull(writeAck, "write_ack");
        Objects.requireNonNull(writeAckTimeout, "write_ack_timeout_ms");
        Objects.requireNonNull(transport, "transport");
        // WAIT 0 would wait forever, holding the backend connection and every client sharing it
        if (writeAckTimeout.toMillis() < 1 || writeAckTimeout.toMillis() > MAX_WRITE_ACK_TIMEOUT_MILLIS) {
            throw new IllegalArgumentException("write_ack_timeout_ms must be between 1 and "
                    + MAX_WRITE_ACK_TIMEOUT_MILLIS + ", got " + writeAckTimeout.toMillis());
        }
        clusterSecret = emptyToNull(clusterSecret);
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
        b.clusterSecret = clusterSecret;
        b.clientOutputBufferLimit = clientOutputBufferLimit.format();
        b.maxClientOutputBytes = maxClientOutputBytes;
        b.clientQueryBufferLimit = clientQueryBufferLimit;
        b.maxTotalQueryBufferBytes = maxTotalQueryBufferBytes;
        b.allowCrossSlotLocal = allowCrossSlotLocal;
        b.aclFile = aclFile;
        b.showReplicas = showReplicas;
        b.writeAck = writeAck;
        b.writeAckTimeout = writeAckTimeout;
        b.transport = transport;
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

    /**
     * {@code max_total_query_buffer_bytes} as it applies: the configured value, or for 0 a quarter of what
     * the JVM lets buffers take (Netty's direct memory limit, which is the heap's maximum unless
     * {@code -XX:MaxDirectMemorySize} says otherwise; the smaller of the two).
     */
    public long effectiveMaxTotalQueryBufferBytes() {
        return maxTotalQueryBufferBytes > 0 ? maxTotalQueryBufferBytes : defaultTotalQueryBufferBytes();
    }

    /** A quarter of the smaller of the heap's and the direct memory's maximum. */
    public static long defaultTotalQueryBufferBytes() {
        long direct = PlatformDependent.maxDirectMemory();
        long heap = Runtime.getRuntime().maxMemory();
        long base = direct > 0 ? Math.min(direct, heap) : heap;
        return Math.max(MIN_CLIENT_QUERY_BUFFER_LIMIT, base / 4);
    }

    /**
     * The effective number of event-loop threads: {@code thread_number}, or for 0 one per two cores (at
     * least one). A proxy shares its host with its Redis servers (one thread each) and with the kernel's
     * TCP work for both sides of every request; measured on 2 cores (docs/performance.md, "Thread count"),
     * one loop per core cost 10-40% more CPU per request and doubled p99 at P=1 against one loop, through
     * cross-core wake-ups and fewer requests per loop iteration to batch.
     */
    public int effectiveThreads() {
        return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
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
        private Map<String, String> users = Map.of();
        private boolean allowDangerousCommands;
        private String clusterSecret;
        private String clientOutputBufferLimit = "";
        private long maxClientOutputBytes = 256L * 1024 * 1024;
        private long clientQueryBufferLimit = DEFAULT_CLIENT_QUERY_BUFFER_LIMIT;
        private long maxTotalQueryBufferBytes;
        private boolean allowCrossSlotLocal;
        private String aclFile;
        private boolean showReplicas = true;
        private WriteAck writeAck = WriteAck.ASYNC;
        private Duration writeAckTimeout = Duration.ofMillis(100);
        private Transport transport = Transport.AUTO;

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
        public Builder users(Map<String, String> v) { users = v; return this; }
        public Builder allowDangerousCommands(boolean v) { allowDangerousCommands = v; return this; }
        public Builder clusterSecret(String v) { clusterSecret = v; return this; }
        /** Redis's {@code client-output-buffer-limit} value, applied over Redis's defaults ({@link ClientOutputBufferLimits#with}). */
        public Builder clientOutputBufferLimit(String v) { clientOutputBufferLimit = v; return this; }
        public Builder maxClientOutputBytes(long v) { maxClientOutputBytes = v; return this; }
        public Builder clientQueryBufferLimit(long v) { clientQueryBufferLimit = v; return this; }
        public Builder maxTotalQueryBufferBytes(long v) { maxTotalQueryBufferBytes = v; return this; }
        public Builder allowCrossSlotLocal(boolean v) { allowCrossSlotLocal = v; return this; }
        public Builder aclFile(String v) { aclFile = v; return this; }
        public Builder showReplicas(boolean v) { showReplicas = v; return this; }
        public Builder writeAck(WriteAck v) { writeAck = v; return this; }
        public Builder writeAckTimeout(Duration v) { writeAckTimeout = v; return this; }
        public Builder transport(Transport v) { transport = v; return this; }

        public ProxyConfig build() {
            return new ProxyConfig(address, announceAddress, threads, backendConnNum, password, adminPassword,
                    sessionTimeout, backendTimeout, connectTimeout, maxClients, maxPendingCommands,
                    maxPendingReplyBytes, protoMaxBulkLen, nodeIdFormat, clusterBusPort, initialSetCluster,
                    maxDedicatedConnections, backendUser, backendPassword, tlsPort, tlsCertFile, tlsKeyFile,
                    tlsCaFile, tlsAuthClients, tlsOnly, slowlogLogSlowerThan, slowlogMaxLen, users,
                    allowDangerousCommands, clusterSecret, outputLimits(), maxClientOutputBytes,
                    clientQueryBufferLimit, maxTotalQueryBufferBytes, allowCrossSlotLocal, aclFile, showReplicas,
                    writeAck, writeAckTimeout, transport);
        }

        private ClientOutputBufferLimits outputLimits() {
            try {
                return ClientOutputBufferLimits.parse(clientOutputBufferLimit == null ? "" : clientOutputBufferLimit);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("client_output_buffer_limit: " + e.getMessage());
            }
        }
    }
}
