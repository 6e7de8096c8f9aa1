package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The backends' parameters that {@code CONFIG} does not reach through the proxy, neither read nor
 * changed: what the proxy's own connections depend on, what reaches the backend's file system or
 * operating system, and what belongs to the coordinator. A client of a cluster node is the wrong party
 * to change any of them, and reading them tells it the backends' password and layout.
 *
 * <ul>
 *   <li>credentials: {@code requirepass} (the proxy's own login: changing it locks the proxy out of its
 *       backends), {@code masterauth}, {@code masteruser}, {@code aclfile};</li>
 *   <li>where the backend listens, which is where the proxy connects: {@code port}, {@code bind},
 *       {@code bind-source-addr}, {@code unixsocket}, {@code unixsocketperm}, {@code protected-mode},
 *       {@code tls-*};</li>
 *   <li>files: {@code dir}, {@code dbfilename}, {@code appendfilename}, {@code appenddirname},
 *       {@code logfile}, {@code pidfile}, {@code syslog-*};</li>
 *   <li>replication and cluster roles, which the coordinator sets ({@code UMCTL SETREPL}):
 *       {@code replicaof}/{@code slaveof}, {@code replica-*}/{@code slave-*}, {@code cluster-*};</li>
 *   <li>what the backend lets its own clients do: {@code enable-protected-configs},
 *       {@code enable-debug-command}, {@code enable-module-command}.</li>
 * </ul>
 * {@code CONFIG SET} of one of them is refused with Redis's error for a protected config;
 * {@code CONFIG GET} leaves them out of the backend's reply, whatever the pattern, so
 * {@code CONFIG GET requirepass} answers as for a name that matches nothing. A few of them describe the
 * node a client talks to, and for those {@code CONFIG GET} answers the proxy's own values instead
 * ({@link #nodeView}): clients and tools read {@code port} or {@code replicaof} to learn about the node.
 */
final class ProtectedConfig {

    private static final Set<String> NAMES = Set.of(
            "requirepass", "masterauth", "masteruser", "aclfile",
            "port", "bind", "bind-source-addr", "unixsocket", "unixsocketperm", "protected-mode",
            "dir", "dbfilename", "appendfilename", "appenddirname", "logfile", "pidfile",
            "syslog-enabled", "syslog-ident", "syslog-facility",
            "replicaof", "slaveof",
            "enable-protected-configs", "enable-debug-command", "enable-module-command");
    private static final List<String> PREFIXES = List.of("tls-", "replica-", "slave-", "cluster-");
    /** Redis 7.0.15's parameters under {@link #PREFIXES}: what a glob is checked against inside MULTI. */
    private static final List<String> PREFIXED_NAMES = List.of((
            "tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites "
            + "tls-client-cert-file tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file "
            + "tls-key-file tls-key-file-pass tls-port tls-prefer-server-ciphers tls-protocols tls-replication "
            + "tls-session-cache-size tls-session-cache-timeout tls-session-caching "
            + "replica-announce-ip replica-announce-port replica-announced replica-ignore-disk-write-errors "
            + "replica-ignore-maxmemory replica-lazy-flush replica-priority replica-read-only "
            + "replica-serve-stale-data slave-announce-ip slave-announce-port slave-ignore-maxmemory "
            + "slave-lazy-flush slave-priority slave-read-only slave-serve-stale-data "
            + "cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down cluster-allow-replica-migration "
            + "cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port "
            + "cluster-announce-tls-port cluster-config-file cluster-enabled cluster-link-sendbuf-limit "
            + "cluster-migration-barrier cluster-node-timeout cluster-port cluster-preferred-endpoint-type "
            + "cluster-replica-no-failover cluster-replica-validity-factor cluster-require-full-coverage "
            + "cluster-slave-no-failover cluster-slave-validity-factor").split(" "));
    /** Protected parameters the proxy has a setting of its own for. */
    private static final Map<String, String> PROXY_SETTING = Map.of("requirepass", LiveSettings.PASSWORD);

    private ProtectedConfig() {
    }

    /**
     * The protected parameters that describe the node itself, matched by {@code patterns} (Redis's glob,
     * each name once), with the proxy's values: where it listens, and {@code replicaof}/{@code slaveof}
     * empty, as at a Redis master, since the proxy presents every node as a master.
     */
    static List<Map.Entry<String, String>> nodeView(List<String> patterns, String listenAddress) {
        HostPort listen = HostPort.parse(listenAddress);
        List<Map.Entry<String, String>> view = new ArrayList<>(4);
        for (Map.Entry<String, String> parameter : List.of(
                Map.entry("bind", listen.host()),
                Map.entry("port", Integer.toString(listen.port())),
                Map.entry("replicaof", ""),
                Map.entry("slaveof", ""))) {
            for (String pattern : patterns) {
                if (LiveSettings.globMatch(pattern, parameter.getKey())) {
                    view.add(parameter);
                    break;
                }
            }
        }
        return view;
    }

    static boolean isProtected(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (NAMES.contains(lower)) {
            return true;
        }
        for (String prefix : PREFIXES) {
            if (lower.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Null when {@code CONFIG SET name value ...} sets no protected parameter, else the error for the
     * first that is one, as Redis names the first argument it refuses. An odd argument count is left
     * to Redis's {@code ERR syntax error}, which comes first. A node parameter set to the value
     * {@code CONFIG GET} shows for it ({@link #isNodeNoOp}) changes nothing and is not refused.
     *
     * @param listenAddress where the proxy listens, for the node parameters; null: refuse those too
     */
    static String setRefusal(RespCommand cmd, String listenAddress) {
        int argc = cmd.argCount();
        if ((argc & 1) != 0) {
            return null;
        }
        for (int i = 2; i < argc; i += 2) {
            String name = cmd.argString(i);
            if (isProtected(name) && !(listenAddress != null && isNodeNoOp(name, cmd.argString(i + 1), listenAddress))) {
                String own = PROXY_SETTING.get(name.toLowerCase(Locale.ROOT));
                return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - can't set protected config"
                        + (own == null ? "" : "; the proxy's own setting is '" + own + "'");
            }
        }
        return null;
    }

    /**
     * Whether {@code CONFIG SET name value} sets a node parameter to what {@link #nodeView} shows: a tool
     * that writes back what it read (Redis's "CONFIG sanity") changes nothing, and the pair is not sent on.
     */
    static boolean isNodeNoOp(String name, String value, String listenAddress) {
        for (Map.Entry<String, String> parameter : nodeView(List.of(name), listenAddress)) {
            if (parameter.getKey().equalsIgnoreCase(name) && parameter.getValue().equals(value)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Inside MULTI, CONFIG runs on the backend with the transaction, where the proxy cannot take a
     * parameter out of EXEC's reply: null when the queued CONFIG GET or SET cannot touch a protected
     * parameter, else the error that refuses it while queueing.
     */
    static String transactionRefusal(RespCommand cmd) {
        if (cmd.argCount() < 3) {
            return null;
        }
        String sub = cmd.argString(1);
        if (sub.equalsIgnoreCase("SET")) {
            for (int i = 2; i < cmd.argCount(); i += 2) {
                if (LiveSettings.isProxyName(cmd.argString(i))) {
                    // the proxy's own setting (moonshard-*, client-output-buffer-limit): at EXEC it would
                    // reach the backend instead, and limit the proxy's shared connections there
                    return "ERR CONFIG SET '" + cmd.argString(i) + "' inside MULTI is not supported by this proxy: "
                            + "it is the proxy's own setting; send it outside the transaction";
                }
            }
            return setRefusal(cmd, null);
        }
        if (!sub.equalsIgnoreCase("GET")) {
            return null;
        }
        for (int i = 2; i < cmd.argCount(); i++) {
            String pattern = cmd.argString(i);
            if (isProtected(pattern) || matchesSome(pattern)) {
                return "ERR CONFIG GET '" + pattern + "' inside MULTI would show parameters the proxy protects; "
                        + "send it outside the transaction";
            }
        }
        return null;
    }

    private static boolean matchesSome(String pattern) {
        for (String name : NAMES) {
            if (LiveSettings.globMatch(pattern, name)) {
                return true;
            }
        }
        for (String name : PREFIXED_NAMES) {
            if (LiveSettings.globMatch(pattern, name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The backend's {@code CONFIG GET} reply without the protected pairs. An error passes as it came; a
     * reply of another shape is replaced by an error rather than passed on unread. Consumes {@code reply}.
     */
    static ByteBuf filter(ByteBufAllocator alloc, ByteBuf reply) {
        if (FlatArrays.isError(reply)) {
            return reply;
        }
        int start = reply.readerIndex();
        int end = reply.writerIndex();
        byte type = start < end ? reply.getByte(start) : 0;
        int headerEnd = type == '*' || type == '%' ? reply.indexOf(start, end, (byte) '\r') : -1;
        long count = headerEnd < 0 ? -1 : parse(reply, start + 1, headerEnd);
        long elements = type == '%' ? 2 * count : count;
        if (count < 0 || (elements & 1) != 0) {
            return unexpected(alloc, reply);
        }
        List<int[]> kept = new ArrayList<>();
        boolean dropped = false;
        int pos = headerEnd + 2;
        for (long pair = 0; pair < elements / 2; pair++) {
            int nameStart = pos;
            int nameEnd = bulkEnd(reply, nameStart, end);
            int valueEnd = nameEnd < 0 ? -1 : bulkEnd(reply, nameEnd, end);
            if (valueEnd < 0) {
                return unexpected(alloc, reply);
            }
            int nameHeaderEnd = reply.indexOf(nameStart, end, (byte) '\r');
            String name = reply.toString(nameHeaderEnd + 2, nameEnd - 2 - (nameHeaderEnd + 2), StandardCharsets.UTF_8);
            if (isProtected(name)) {
                dropped = true;
            } else {
                kept.add(new int[] {nameStart, valueEnd});
            }
            pos = valueEnd;
        }
        if (pos != end) {
            return unexpected(alloc, reply);
        }
        if (!dropped) {
            return reply;
        }
        ByteBuf out = alloc.buffer(end - start);
        if (type == '%') {
            RespWriter.mapHeader(out, kept.size(), 3);
        } else {
            RespWriter.arrayHeader(out, 2 * kept.size());
        }
        for (int[] range : kept) {
            out.writeBytes(reply, range[0], range[1] - range[0]);
        }
        reply.release();
        return out;
    }

    /** Where the bulk string at {@code pos} ends (after its CRLF), or -1 when there is none. */
    private static int bulkEnd(ByteBuf reply, int pos, int end) {
        if (pos >= end || reply.getByte(pos) != '$') {
            return -1;
        }
        int cr = reply.indexOf(pos, end, (byte) '\r');
        long len = cr < 0 ? -1 : parse(reply, pos + 1, cr);
        long next = cr + 2 + len + 2;
        return len < 0 || next > end ? -1 : (int) next;
    }

    private static long parse(ByteBuf buf, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    private static ByteBuf unexpected(ByteBufAllocator alloc, ByteBuf reply) {
        reply.release();
        return Replies.error(alloc, "ERR unexpected CONFIG GET reply from the backend");
    }
}
