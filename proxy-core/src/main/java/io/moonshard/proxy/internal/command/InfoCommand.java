package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.LatencyHistogram;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.proxy.internal.metrics.LoopStats;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code INFO [section ...]}, answered as one Redis Cluster node holding this proxy's data would:
 * the data sections (memory, stats, keyspace, commandstats, ...) come from the local backends, merged
 * ({@link InfoMerge}: counts add up); the fields that describe the server the client talks to (its
 * version and mode, port, clients, blocked clients, replication role, cluster) are the proxy's. A
 * {@code # Proxy} section adds Moonshard's own figures. Section selection is Redis's own: the backends
 * get the client's arguments unchanged.
 */
final class InfoCommand {

    private final ProxyContext proxy;

    InfoCommand(ProxyContext proxy) {
        this.proxy = proxy;
    }

    void handle(ClientSession s, ReplySlot slot, RespCommand cmd) {
        Set<String> wanted = new LinkedHashSet<>();
        for (int i = 1; i < cmd.argCount(); i++) {
            wanted.add(cmd.argString(i).toLowerCase(Locale.ROOT));
        }
        boolean everything = wanted.isEmpty() || wanted.contains("default") || wanted.contains("all")
                || wanted.contains("everything");
        List<String> backends = new ArrayList<>(proxy.cluster().snapshot().localBackends());
        if (backends.isEmpty()) {
            Map<String, List<String>> own = new LinkedHashMap<>();
            for (String section : new String[] {"server", "clients", "stats", "replication", "cluster"}) {
                if (everything || wanted.contains(section)) {
                    own.put(title(section), new ArrayList<>(InfoMerge.lines(proxyFields(s, section))));
                }
            }
            finish(s, slot, own, everything || wanted.contains("proxy"), proxyStats(wanted));
            return;
        }
        String[] texts = new String[backends.size()];
        int[] remaining = {backends.size()};
        for (int i = 0; i < backends.size(); i++) {
            int index = i;
            // a RESP2 connection: the reply is a bulk string whatever the client speaks
            s.pool.connection(backends.get(i), s.id, 2).send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    texts[index] = bulkText(reply);
                    reply.release();
                    if (--remaining[0] == 0) {
                        merged(s, slot, texts, everything || wanted.contains("proxy"), proxyStats(wanted));
                    }
                }
            }, cmd.frame().retainedDuplicate());
        }
    }

    /** The proxy's own per-command sections: asked by name, or with {@code all}/{@code everything} (like commandstats). */
    private static boolean proxyStats(Set<String> wanted) {
        return wanted.contains("all") || wanted.contains("everything") || wanted.contains("proxy-commandstats")
                || wanted.contains("proxy-latencystats");
    }

    private void merged(ClientSession s, ReplySlot slot, String[] texts, boolean withProxySection,
                               boolean withProxyStats) {
        List<Map<String, List<String>>> parsed = new ArrayList<>();
        for (String text : texts) {
            if (text != null) {
                parsed.add(InfoMerge.parse(text));
            }
        }
        Map<String, List<String>> sections = InfoMerge.merge(parsed);
        for (Map.Entry<String, List<String>> section : sections.entrySet()) {
            Map<String, String> own = proxyFields(s, section.getKey().toLowerCase(Locale.ROOT));
            if (!own.isEmpty()) {
                Map<String, String> fields = InfoMerge.fields(section.getValue());
                String backendBlocked = fields.get("blocked_clients");
                fields.putAll(own);
                if (backendBlocked != null && own.containsKey("blocked_clients")) {
                    // clients waiting in a blocking command are the proxy's count; clients held by a
                    // CLIENT PAUSE wait at the backends, behind shared connections: the larger of the two
                    long backend = Long.parseLong(backendBlocked);
                    long mine = Long.parseLong(own.get("blocked_clients"));
                    fields.put("blocked_clients", Long.toString(Math.max(backend, mine)));
                }
                section.setValue(InfoMerge.lines(fields));
            }
        }
        finish(s, slot, sections, withProxySection, withProxyStats);
    }

    private void finish(ClientSession s, ReplySlot slot, Map<String, List<String>> sections, boolean withProxy,
                               boolean withProxyStats) {
        if (withProxy) {
            sections.put("Proxy", InfoMerge.lines(proxySection(proxy)));
        }
        if (withProxyStats) {
            sections.put("Proxy-commandstats", proxyCommandStats(proxy.meters()));
            sections.put("Proxy-latencystats", proxyLatencyStats(proxy.meters()));
        }
        s.reply(slot, reply(s.channel().alloc(), InfoMerge.render(sections), s.state().protocol()));
    }

    /**
     * The proxy's own view of each command, from the counters behind {@code moonshard_commands_total}:
     * Redis's {@code cmdstat_<name>:calls=..,failed_calls=..} shape, with the outcomes a proxy adds.
     */
    static List<String> proxyCommandStats(ProxyMeters m) {
        List<String> lines = new ArrayList<>();
        for (int command = 0; command < CommandOutcome.commandCount(); command++) {
            long calls = 0;
            StringBuilder outcomes = new StringBuilder();
            for (int outcome = 0; outcome < CommandOutcome.COUNT; outcome++) {
                long n = m.commands(command, outcome);
                calls += n;
                outcomes.append(',').append(CommandOutcome.outcomeName(outcome)).append('=').append(n);
            }
            if (calls > 0) {
                long failed = calls - m.commands(command, CommandOutcome.OK);
                lines.add("cmdstat_" + CommandOutcome.commandName(command) + ":calls=" + calls + ",failed_calls="
                        + failed + outcomes);
            }
        }
        return lines;
    }

    /** Percentiles of the proxy's latency histograms, as bucket upper bounds in microseconds. */
    static List<String> proxyLatencyStats(ProxyMeters m) {
        List<String> lines = new ArrayList<>();
        for (LatencyHistogram h : List.of(m.commandLatency(), m.backendLatency())) {
            StringBuilder line = new StringBuilder(h.name().replace('.', '_')).append(":count=").append(h.count());
            for (double p : new double[] {50, 99, 99.9}) {
                line.append(",p").append(p == 99.9 ? "99.9" : Integer.toString((int) p)).append("_usec=")
                        .append(percentileMicros(h, p));
            }
            lines.add(line.toString());
        }
        return lines;
    }

    private static String percentileMicros(LatencyHistogram h, double percentile) {
        long count = h.count();
        if (count == 0) {
            return "0";
        }
        long rank = (long) Math.ceil(count * percentile / 100.0);
        long seen = 0;
        long[] buckets = h.bucketCounts();
        double[] bounds = h.upperBoundsSeconds();
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i < bounds.length ? Long.toString(Math.round(bounds[i] * 1_000_000)) : "inf";
            }
        }
        return "inf";
    }

    /** A bulk string in RESP2, a verbatim {@code txt} string in RESP3, as Redis's INFO. */
    private static ByteBuf reply(ByteBufAllocator alloc, String text, int protocol) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = alloc.buffer(bytes.length + 24);
        if (protocol == 3) {
            out.writeByte('=');
            ByteBufUtil.writeAscii(out, Integer.toString(bytes.length + 4));
            out.writeBytes(new byte[] {'\r', '\n', 't', 'x', 't', ':'});
        } else {
            out.writeByte('$');
            ByteBufUtil.writeAscii(out, Integer.toString(bytes.length));
            out.writeByte('\r').writeByte('\n');
        }
        out.writeBytes(bytes).writeByte('\r').writeByte('\n');
        return out;
    }

    /** The text of a bulk string reply, or null (an error, a backend that is down). */
    private static String bulkText(ByteBuf reply) {
        if (!reply.isReadable() || reply.getByte(reply.readerIndex()) != '$') {
            return null;
        }
        int headerEnd = reply.indexOf(reply.readerIndex(), reply.writerIndex(), (byte) '\r');
        return reply.toString(headerEnd + 2, reply.writerIndex() - headerEnd - 4, StandardCharsets.UTF_8);
    }

    private static String title(String section) {
        return Character.toUpperCase(section.charAt(0)) + section.substring(1);
    }

    /** The fields the proxy answers itself in {@code section} (lower case); empty for data sections. */
    private Map<String, String> proxyFields(ClientSession s, String section) {
        ProxyContext p = proxy;
        ServerInfo info = p.serverInfo();
        Map<String, String> f = new LinkedHashMap<>();
        switch (section) {
            case "server" -> {
                f.put("redis_version", ServerInfo.REDIS_VERSION);
                f.put("redis_mode", "cluster");
                f.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
                f.put("multiplexing_api", p.transportName());
                f.put("process_id", Long.toString(info.processId));
                f.put("run_id", info.runId);
                f.put("tcp_port", Integer.toString(p.announce().port()));
                f.put("server_time_usec", Long.toString(System.currentTimeMillis() * 1000));
                f.put("uptime_in_seconds", Long.toString(info.uptimeSeconds()));
                f.put("uptime_in_days", Long.toString(info.uptimeSeconds() / 86400));
                f.put("moonshard_version", ServerInfo.MOONSHARD_VERSION);
                f.put("jvm", ServerInfo.jvm());
            }
            case "clients" -> {
                f.put("connected_clients", Integer.toString(p.clients().connected()));
                f.put("maxclients", Integer.toString(p.clients().maxClients()));
                f.put("blocked_clients", Integer.toString(p.blockedClients().get()));
            }
            case "stats" -> {
                f.put("total_connections_received", Long.toString(p.clients().totalConnections()));
                f.put("rejected_connections", Long.toString(p.metrics().rejectedClients()));
            }
            case "replication" -> {
                f.put("role", "master");
                f.put("connected_slaves", "0");
                f.put("master_repl_offset", "0");
            }
            case "cluster" -> f.put("cluster_enabled", "1");
            default -> {
                // a data section: the backends' figures stand
            }
        }
        return f;
    }

    private static Map<String, String> proxySection(ProxyContext p) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("proxy_announce_address", p.config().announceAddress());
        f.put("proxy_threads", Integer.toString(p.config().effectiveThreads()));
        f.put("proxy_cluster_name", p.clusterName());
        f.put("proxy_cluster_epoch", Long.toString(p.clusterEpoch()));
        f.put("proxy_commands_processed", Long.toString(p.metrics().commandsProcessed()));
        f.put("proxy_error_replies", Long.toString(p.metrics().errorReplies()));
        f.put("proxy_backend_requests", Long.toString(p.metrics().backendRequests()));
        f.put("proxy_backend_errors", Long.toString(p.metrics().backendErrors()));
        f.put("proxy_redirections", Long.toString(p.metrics().redirections()));
        f.put("proxy_dedicated_connections", Integer.toString(p.dedicatedConnectionCount()));
        // write_ack: the mode now, WAITs sent (one per batch holding a write), writes confirmed or not by a replica
        f.put("proxy_write_ack", p.limits().writeAck().modeName());
        f.put("proxy_write_ack_waits", Long.toString(p.metrics().writeAckWaits()));
        f.put("proxy_write_ack_confirmed", Long.toString(p.metrics().writesConfirmed()));
        f.put("proxy_write_ack_not_confirmed", Long.toString(p.metrics().writesNotConfirmed()));
        // clients' incomplete requests of 64 KB and more, against max_total_query_buffer_bytes
        f.put("proxy_query_buffer_bytes", Long.toString(p.queryBuffers().used()));
        f.put("proxy_query_buffer_budget", Long.toString(p.queryBuffers().totalLimit()));
        // the figures of the metrics endpoint, from the same counts: moonshard_commands_total by outcome
        // (summed over commands), bytes, pending commands, backend connections
        ProxyMeters m = p.meters();
        for (int outcome = 0; outcome < CommandOutcome.COUNT; outcome++) {
            f.put("proxy_commands_" + CommandOutcome.outcomeName(outcome), Long.toString(m.outcomes(outcome)));
        }
        f.put("proxy_client_received_bytes", Long.toString(m.total(LoopStats.CLIENT_RECEIVED_BYTES)));
        f.put("proxy_client_sent_bytes", Long.toString(m.total(LoopStats.CLIENT_SENT_BYTES)));
        f.put("proxy_backend_received_bytes", Long.toString(m.total(LoopStats.BACKEND_RECEIVED_BYTES)));
        f.put("proxy_backend_sent_bytes", Long.toString(m.total(LoopStats.BACKEND_SENT_BYTES)));
        f.put("proxy_pending_commands", Long.toString(m.total(LoopStats.PENDING)));
        for (int state = 0; state < ProxyMeters.BackendStats.STATE_NAMES.length; state++) {
            f.put("proxy_backend_connections_" + ProxyMeters.BackendStats.STATE_NAMES[state],
                    Long.toString(m.backendConnections(state)));
        }
        f.put("proxy_backend_reconnects", Long.toString(m.reconnects()));
        return f;
    }
}
