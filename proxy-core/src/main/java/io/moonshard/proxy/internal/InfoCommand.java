package io.moonshard.proxy.internal;

import io.moonshard.resp.RespCommand;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code INFO [section ...]} about the proxy itself, shaped like Redis 7's reply so tools that read
 * {@code redis_version}, {@code redis_mode}, {@code connected_clients}, {@code master_repl_offset} or
 * {@code cluster_enabled} work. A {@code # Proxy} section adds Moonshard's own figures.
 */
final class InfoCommand {

    private static final Set<String> DEFAULT_SECTIONS =
            Set.of("server", "clients", "stats", "replication", "cluster", "proxy");

    private InfoCommand() {
    }

    static void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        Set<String> wanted = new LinkedHashSet<>();
        for (int i = 1; i < cmd.argCount(); i++) {
            wanted.add(cmd.argString(i).toLowerCase(Locale.ROOT));
        }
        boolean everything = wanted.isEmpty() || wanted.contains("default") || wanted.contains("all")
                || wanted.contains("everything");
        StringBuilder sb = new StringBuilder(1024);
        for (String section : new String[] {"server", "clients", "stats", "replication", "cluster", "proxy"}) {
            if ((everything && DEFAULT_SECTIONS.contains(section)) || wanted.contains(section)) {
                if (!sb.isEmpty()) {
                    sb.append("\r\n");
                }
                appendSection(s, section, sb);
            }
        }
        s.reply(slot, Replies.bulk(s.channel().alloc(), sb.toString()));
    }

    private static void appendSection(ClientSession s, String section, StringBuilder sb) {
        ProxyContext p = s.proxy;
        ServerInfo info = p.serverInfo();
        switch (section) {
            case "server" -> sb.append("# Server\r\n")
                    .append("redis_version:").append(ServerInfo.REDIS_VERSION).append("\r\n")
                    .append("redis_git_sha1:00000000\r\n")
                    .append("redis_git_dirty:0\r\n")
                    .append("redis_build_id:moonshard\r\n")
                    .append("redis_mode:cluster\r\n")
                    .append("os:").append(System.getProperty("os.name")).append(' ')
                    .append(System.getProperty("os.version")).append(' ').append(System.getProperty("os.arch"))
                    .append("\r\n")
                    .append("arch_bits:64\r\n")
                    .append("multiplexing_api:").append(p.transportName()).append("\r\n")
                    .append("process_id:").append(info.processId).append("\r\n")
                    .append("run_id:").append(info.runId).append("\r\n")
                    .append("tcp_port:").append(p.announce().port()).append("\r\n")
                    .append("server_time_usec:").append(System.currentTimeMillis() * 1000).append("\r\n")
                    .append("uptime_in_seconds:").append(info.uptimeSeconds()).append("\r\n")
                    .append("uptime_in_days:").append(info.uptimeSeconds() / 86400).append("\r\n")
                    .append("moonshard_version:").append(ServerInfo.MOONSHARD_VERSION).append("\r\n")
                    .append("jvm:").append(ServerInfo.jvm()).append("\r\n");
            case "clients" -> sb.append("# Clients\r\n")
                    .append("connected_clients:").append(p.clients().connected()).append("\r\n")
                    .append("maxclients:").append(p.config().maxClients()).append("\r\n")
                    .append("blocked_clients:0\r\n");
            case "stats" -> sb.append("# Stats\r\n")
                    .append("total_connections_received:").append(p.clients().totalConnections()).append("\r\n")
                    .append("total_commands_processed:").append(p.metrics().commandsProcessed()).append("\r\n")
                    .append("rejected_connections:").append(p.metrics().rejectedClients()).append("\r\n")
                    .append("total_error_replies:").append(p.metrics().errorReplies()).append("\r\n");
            case "replication" -> sb.append("# Replication\r\n")
                    .append("role:master\r\n")
                    .append("connected_slaves:0\r\n")
                    .append("master_repl_offset:0\r\n");
            case "cluster" -> sb.append("# Cluster\r\n").append("cluster_enabled:1\r\n");
            case "proxy" -> sb.append("# Proxy\r\n")
                    .append("proxy_announce_address:").append(p.config().announceAddress()).append("\r\n")
                    .append("proxy_threads:").append(p.config().effectiveThreads()).append("\r\n")
                    .append("proxy_cluster_name:").append(p.clusterName()).append("\r\n")
                    .append("proxy_cluster_epoch:").append(p.clusterEpoch()).append("\r\n")
                    .append("proxy_backend_requests:").append(p.metrics().backendRequests()).append("\r\n")
                    .append("proxy_backend_errors:").append(p.metrics().backendErrors()).append("\r\n")
                    .append("proxy_redirections:").append(p.metrics().redirections()).append("\r\n");
            default -> throw new IllegalArgumentException(section);
        }
    }
}
