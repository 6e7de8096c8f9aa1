package io.moonshard.server;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.ProxyConfig.NodeIdStyle;
import io.moonshard.server.ConfigOption.Kind;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The catalogue of every option, in {@code --help} order. The config file, the flags, the
 * environment variables, {@code --help} and the docs table are all driven by this one list.
 */
final class ConfigOptions {

    private static final ProxyConfig D = ProxyConfig.defaults();

    static final List<ConfigOption> ALL = List.of(
            option("address", Kind.ADDRESS, 0, "HOST:PORT", D.address(),
                    "Address to listen on.",
                    (s, v) -> s.proxy.address((String) v)),
            option("announce_address", Kind.ADDRESS, 1, "HOST:PORT", "same as address",
                    "Address the proxy gives out in CLUSTER NODES/SLOTS and MOVED; its host must equal the "
                            + "host of every local Redis in UMCTL SETCLUSTER.",
                    (s, v) -> s.proxy.announceAddress((String) v)),
            option("thread_number", Kind.INT, 0, "N", D.threads() + " (one per two cores)",
                    "Event-loop threads; 0 means one per two cores, at least one.",
                    (s, v) -> s.proxy.threads((Integer) v)),
            choice("transport", List.of("auto", "io_uring", "epoll", "nio"), D.transport().name().toLowerCase(Locale.ROOT),
                    "Socket I/O of the event loops: auto (epoll on Linux, else nio), io_uring, epoll or nio. "
                            + "A transport named but missing on this machine fails the start.",
                    (s, v) -> s.proxy.transport(ProxyConfig.Transport.valueOf(((String) v).toUpperCase(Locale.ROOT)))),
            option("backend_conn_num", Kind.INT, 1, "N", Integer.toString(D.backendConnNum()),
                    "Connections to each backend Redis per event loop.",
                    (s, v) -> s.proxy.backendConnNum((Integer) v)),
            option("password", Kind.SECRET, 0, "PASSWORD", "none",
                    "Password clients must AUTH with. Prefer the file or the environment: flags show in ps.",
                    (s, v) -> s.proxy.password((String) v)),
            option("admin_password", Kind.SECRET, 0, "PASSWORD", "none",
                    "Password (UMCTL AUTH) that UMCTL SETCLUSTER, SETREPL and SHUTDOWN and CONFIG SET of moonshard-* "
                            + "settings need.",
                    (s, v) -> s.proxy.adminPassword((String) v)),
            option("cluster_secret", Kind.SECRET, 0, "SECRET", "none",
                    "Secret shared by the proxies of a cluster: a proxy proves it to its peers (UMCTL PEERAUTH) "
                            + "before relaying PUBLISH; without one, relays are refused when a password is set.",
                    (s, v) -> s.proxy.clusterSecret((String) v)),
            option("users", Kind.USERS, 0, "USER:PASSWORD,...", "none",
                    "Named users for AUTH <user> <password> and HELLO ... AUTH, beside default (whose password is "
                            + "password): user:password pairs separated by commas, or a TOML table in the file.",
                    (s, v) -> s.proxy.users(castUsers(v))),
            option("session_timeout", Kind.MILLIS, 0, "MS", D.sessionTimeout().toMillis() + " (never)",
                    "Close a client connection idle for this many milliseconds; 0 never does.",
                    (s, v) -> s.proxy.sessionTimeout((Duration) v)),
            option("backend_timeout", Kind.MILLIS, 1, "MS", Long.toString(D.backendTimeout().toMillis()),
                    "Fail a command when its backend has sent nothing for this many milliseconds while its reply is due (a big reply still arriving is not late).",
                    (s, v) -> s.proxy.backendTimeout((Duration) v)),
            option("backend_connect_timeout", Kind.MILLIS, 1, "MS", Long.toString(D.connectTimeout().toMillis()),
                    "Give up connecting to a backend after this many milliseconds.",
                    (s, v) -> s.proxy.connectTimeout((Duration) v)),
            option("backend_user", Kind.TEXT, 0, "USER", "none (default)",
                    "ACL user the proxy logs in to its backend Redis instances as; needs backend_password.",
                    (s, v) -> s.proxy.backendUser((String) v)),
            option("backend_password", Kind.SECRET, 0, "PASSWORD", "none",
                    "Password the proxy logs in to its backend Redis instances with (their requirepass).",
                    (s, v) -> s.proxy.backendPassword((String) v)),
            option("max_clients", Kind.INT, 1, "N", Integer.toString(D.maxClients()),
                    "Refuse client connections beyond this many.",
                    (s, v) -> s.proxy.maxClients((Integer) v)),
            option("max_dedicated_connections", Kind.INT, 0, "N", Integer.toString(D.maxDedicatedConnections()),
                    "Backend connections opened for single clients (blocking commands, WATCH, pub/sub), over all "
                            + "clients; a command needing one more is refused.",
                    (s, v) -> s.proxy.maxDedicatedConnections((Integer) v)),
            option("max_pending_commands", Kind.INT, 1, "N", Integer.toString(D.maxPendingCommands()),
                    "Per client: stop reading while this many commands await their replies.",
                    (s, v) -> s.proxy.maxPendingCommands((Integer) v)),
            option("max_pending_reply_bytes", Kind.LONG, 1, "BYTES", Long.toString(D.maxPendingReplyBytes()),
                    "Per client: stop reading its commands while more reply bytes than this are due (received "
                            + "from backends, not yet written to its socket).",
                    (s, v) -> s.proxy.maxPendingReplyBytes((Long) v)),
            option("client_output_buffer_limit", Kind.TEXT, 0, "LIMITS", D.clientOutputBufferLimit().format(),
                    "Redis's client-output-buffer-limit for the proxy's clients: class hard soft soft-seconds "
                            + "(normal, pubsub; replica accepted), e.g. 'normal 256mb 64mb 60'; classes not given "
                            + "keep Redis 7.0's defaults. A client over it is disconnected. CONFIG SET changes it.",
                    (s, v) -> s.proxy.clientOutputBufferLimit((String) v)),
            option("max_client_output_bytes", Kind.LONG, 0, "BYTES", Long.toString(D.maxClientOutputBytes()),
                    "Per client, whatever client_output_buffer_limit says: disconnect a client with more reply "
                            + "bytes than this due, unless they are one reply; 0 turns it off.",
                    (s, v) -> s.proxy.maxClientOutputBytes((Long) v)),
            option("proto_max_bulk_len", Kind.LONG, 1, "BYTES", Long.toString(D.protoMaxBulkLen()),
                    "Largest argument a client may send, like Redis's proto-max-bulk-len.",
                    (s, v) -> s.proxy.protoMaxBulkLen((Long) v)),
            option("client_query_buffer_limit", Kind.LONG, ProxyConfig.MIN_CLIENT_QUERY_BUFFER_LIMIT, "BYTES",
                    Long.toString(D.clientQueryBufferLimit()),
                    "Per client: the largest request buffered before it is complete, like Redis's "
                            + "client-query-buffer-limit; a client over it is closed. CONFIG SET "
                            + "client-query-buffer-limit changes it.",
                    (s, v) -> s.proxy.clientQueryBufferLimit((Long) v)),
            option("max_total_query_buffer_bytes", Kind.LONG, 0, "BYTES", "0 (a quarter of the heap)",
                    "All clients' incomplete requests together (those under 64 KB are not counted); a client whose "
                            + "request would take more is closed. 0 means a quarter of the JVM's heap (or of "
                            + "its direct memory limit, if smaller).",
                    (s, v) -> s.proxy.maxTotalQueryBufferBytes((Long) v)),
            option("slowlog_log_slower_than", Kind.LONG, -1, "MICROS", Long.toString(D.slowlogLogSlowerThan()),
                    "Log a command in the proxy's SLOWLOG when it takes at least this many microseconds, "
                            + "read to reply; 0 logs every command, -1 turns the slow log off.",
                    (s, v) -> s.proxy.slowlogLogSlowerThan((Long) v)),
            option("slowlog_max_len", Kind.INT, 0, "N", Integer.toString(D.slowlogMaxLen()),
                    "Entries the proxy's SLOWLOG keeps (undermoon's slowlog_len is read as this key).",
                    (s, v) -> s.proxy.slowlogMaxLen((Integer) v)),
            choice("node_id_format", List.of("seed", "undermoon"),
                    D.nodeIdFormat().name().toLowerCase(Locale.ROOT),
                    "Node IDs in CLUSTER replies: seed (name padded to 20, as in the design note) or "
                            + "undermoon (name padded to 24, as undermoon 0.6).",
                    (s, v) -> s.proxy.nodeIdFormat(NodeIdStyle.valueOf(((String) v).toUpperCase(Locale.ROOT)))),
            choice("cluster_nodes_version", List.of("v1", "v2"), D.clusterBusPort() ? "v2" : "v1",
                    "CLUSTER NODES addresses: v1 prints ip:port, v2 prints ip:port@cport.",
                    (s, v) -> s.proxy.clusterBusPort("v2".equals(v))),
            option("initial_setcluster", Kind.TEXT, 0, "COMMAND", "none",
                    "A full 'UMCTL SETCLUSTER ...' command applied at start.",
                    (s, v) -> s.proxy.initialSetCluster((String) v)),
            option("tls_port", Kind.PORT, 0, "PORT", "0 (off)",
                    "Port of a second client listener, with TLS, on the host of address; 0 turns it off. "
                            + "Every proxy of a cluster must use the same tls_port - port offset.",
                    (s, v) -> s.proxy.tlsPort((Integer) v)),
            option("tls_cert_file", Kind.TEXT, 0, "FILE", "none",
                    "Server certificate (chain) of the TLS listener, PEM.",
                    (s, v) -> s.proxy.tlsCertFile((String) v)),
            option("tls_key_file", Kind.TEXT, 0, "FILE", "none",
                    "Private key of tls_cert_file, PEM (PKCS#8, unencrypted).",
                    (s, v) -> s.proxy.tlsKeyFile((String) v)),
            option("tls_ca_file", Kind.TEXT, 0, "FILE", "none",
                    "CA certificates (PEM) that client certificates must be signed by.",
                    (s, v) -> s.proxy.tlsCaFile((String) v)),
            option("tls_auth_clients", Kind.BOOLEAN, 0, "true|false", "false",
                    "TLS clients must present a certificate signed by tls_ca_file.",
                    (s, v) -> s.proxy.tlsAuthClients((Boolean) v)),
            option("tls_only", Kind.BOOLEAN, 0, "true|false", "false",
                    "Listen on tls_port only, not on address (like Redis's port 0); address still names the proxy.",
                    (s, v) -> s.proxy.tlsOnly((Boolean) v)),
            option("allow_dangerous_commands", Kind.BOOLEAN, 0, "true|false", "false",
                    "Pass DEBUG SEGFAULT/PANIC/RESTART/... and SHUTDOWN on to a local backend instead of refusing them.",
                    (s, v) -> s.proxy.allowDangerousCommands((Boolean) v)),
            option("allow_cross_slot_local", Kind.BOOLEAN, 0, "true|false", "false",
                    "Split MGET/MSET/DEL/UNLINK/EXISTS/TOUCH whose keys span several slots over the local "
                            + "backends when this proxy serves them all, instead of CROSSSLOT (single-proxy "
                            + "deployments with clients that are not cluster-aware; not atomic).",
                    (s, v) -> s.proxy.allowCrossSlotLocal((Boolean) v)),
            option("show_replicas", Kind.BOOLEAN, 0, "true|false", Boolean.toString(D.showReplicas()),
                    "Show the replicas SETREPL describes in CLUSTER NODES/SLOTS/SHARDS (each at the proxy hosting "
                            + "it) and serve READONLY clients' reads from a local replica; false shows every "
                            + "proxy as a lone master, as undermoon does.",
                    (s, v) -> s.proxy.showReplicas((Boolean) v)),
            choice("write_ack", List.of("async", "replica"), D.writeAck().name().toLowerCase(Locale.ROOT),
                    "When a write is answered: async, once the master applied it (as Redis); replica, once a "
                            + "replica confirmed it too (WAIT 1 <write_ack_timeout_ms> after each pipelined batch "
                            + "holding a write; not confirmed in time: a NOTREPLICATED error). CONFIG SET "
                            + "moonshard-write-ack changes it.",
                    (s, v) -> s.proxy.writeAck(ProxyConfig.WriteAck.valueOf(((String) v).toUpperCase(Locale.ROOT)))),
            option("write_ack_timeout_ms", Kind.MILLIS, 1, "MS", Long.toString(D.writeAckTimeout().toMillis()),
                    "With write_ack replica: how long the WAIT after a batch waits for a replica (at most "
                            + ProxyConfig.MAX_WRITE_ACK_TIMEOUT_MILLIS + "); it holds that backend connection "
                            + "meanwhile. CONFIG SET moonshard-write-ack-timeout-ms changes it.",
                    (s, v) -> s.proxy.writeAckTimeout((Duration) v)),
            option("aclfile", Kind.TEXT, 0, "FILE", "none",
                    "Users in Redis's ACL file format: loaded at start when the file exists, by ACL LOAD; written by ACL SAVE.",
                    (s, v) -> s.proxy.aclFile((String) v)),
            choice("log_level", List.of("trace", "debug", "info", "warn", "error", "off"),
                    ServerSettings.DEFAULT_LOG_LEVEL,
                    "Log level of the proxy's one-line key=value log on standard output.",
                    (s, v) -> s.logLevel = (String) v),
            option("shutdown_timeout", Kind.MILLIS, 1, "MS",
                    Long.toString(ServerSettings.DEFAULT_SHUTDOWN_TIMEOUT.toMillis()),
                    "On SIGTERM or SIGINT, wait at most this many milliseconds for in-flight commands.",
                    (s, v) -> s.shutdownTimeout = (Duration) v),
            option("admin_port", Kind.PORT, 0, "PORT", "0 (off)",
                    "Port of the admin HTTP endpoint (GET /metrics, /health, /ready); 0 turns it off.",
                    (s, v) -> s.adminPort = (Integer) v),
            option("admin_address", Kind.HOST, 0, "HOST", ServerSettings.DEFAULT_ADMIN_ADDRESS,
                    "Address the admin HTTP endpoint listens on, when admin_port is set.",
                    (s, v) -> s.adminAddress = (String) v));

    /**
     * undermoon options Moonshard does not implement yet. A file that sets them still loads (so an
     * undermoon {@code server-proxy.toml} works), with one warning per key, except where ignoring the
     * value would change what clients see (see {@link #unsupportedValue}).
     */
    static final Set<String> IGNORED_UNDERMOON_KEYS = Set.of(
            "slowlog_sample_rate",
            "backend_batch_strategy", "backend_flush_size", "backend_low_flush_interval",
            "backend_high_flush_interval", "active_redirection", "max_redirections",
            "default_redirection_address");

    /**
     * undermoon's names of options Moonshard calls otherwise, to Moonshard's key: a file key and an
     * {@code UNDERMOON_<NAME>} variable with undermoon's name set Moonshard's option.
     */
    static final Map<String, String> UNDERMOON_ALIASES = Map.of("slowlog_len", "slowlog_max_len");

    private static final Map<String, ConfigOption> BY_KEY = index();

    private ConfigOptions() {
    }

    static Optional<ConfigOption> byKey(String key) {
        return Optional.ofNullable(BY_KEY.get(key));
    }

    /**
     * For an ignored undermoon key, a reason to refuse {@code value} instead of ignoring it, or null.
     * Active redirection changes replies (the proxy would forward instead of answering MOVED).
     */
    static String unsupportedValue(String key, Object value) {
        if (key.equals("active_redirection") && Boolean.TRUE.equals(value)) {
            return "active redirection is not supported yet; remove the key or set it to false";
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> castUsers(Object value) {
        return (Map<String, String>) value;
    }

    private static ConfigOption option(String key, Kind kind, long min, String label, String defaultText,
                                       String description, BiConsumer<ServerSettings.Builder, Object> apply) {
        return new ConfigOption(key, kind, min, List.of(), label, defaultText, description, apply);
    }

    private static ConfigOption choice(String key, List<String> choices, String defaultText, String description,
                                       BiConsumer<ServerSettings.Builder, Object> apply) {
        return new ConfigOption(key, Kind.CHOICE, 0, choices, String.join("|", choices), defaultText,
                description, apply);
    }

    private static Map<String, ConfigOption> index() {
        Map<String, ConfigOption> map = new LinkedHashMap<>();
        for (ConfigOption o : ALL) {
            if (map.put(o.key(), o) != null) {
                throw new AssertionError("duplicate option " + o.key());
            }
        }
        return Map.copyOf(map);
    }
}
