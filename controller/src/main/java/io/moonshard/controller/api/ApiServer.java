package io.moonshard.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.reconcile.ClusterAdmin;
import io.moonshard.controller.reconcile.Observation;
import io.moonshard.controller.reconcile.PoolState;
import io.moonshard.controller.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint. With an API token configured, every {@code /api/} request needs {@code
 * Authorization: Bearer <token>} (401 otherwise); {@code /health}, {@code /ready} and {@code /metrics}
 * stay open, as a probe and a scraper need them. Request bodies are capped at 64 KiB.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final int MAX_BODY = 64 * 1024;
    private static final String PREFIX = "/api/v1/";

    private final HttpServer http;
    private final ExecutorService executor;
    private final ControllerView view;
    private final byte[] token;

    private ApiServer(HttpServer http, ExecutorService executor, ControllerView view, String token) {
        this.http = http;
        this.executor = executor;
        this.view = view;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    public static ApiServer start(InetSocketAddress listen, ControllerView view, String token) throws IOException {
        HttpServer http = HttpServer.create(listen, 64);
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "moonshard-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ApiServer server = new ApiServer(http, executor, view, token);
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        return server;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            try {
                if (path.equals("/health")) {
                    text(exchange, 200, "OK\n");
                } else if (path.equals("/ready")) {
                    boolean ready = view.storeReachable();
                    text(exchange, ready ? 200 : 503, ready ? "READY\n" : "STORE UNREACHABLE\n");
                } else if (path.equals("/metrics")) {
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    send(exchange, 200, view.scrape().getBytes(StandardCharsets.UTF_8));
                } else if (path.startsWith(PREFIX)) {
                    if (!authorised(exchange)) {
                        json(exchange, 401, error("missing or wrong API token (Authorization: Bearer <token>)"));
                        return;
                    }
                    api(exchange, method, path.substring(PREFIX.length()));
                } else {
                    json(exchange, 404, error("no such endpoint: " + path));
                }
            } catch (ClusterAdmin.Refused e) {
                json(exchange, e.status(), error(e.getMessage()));
            } catch (IllegalArgumentException e) {
                json(exchange, 400, error(e.getMessage()));
            } catch (StoreException e) {
                json(exchange, 503, error("the store does not answer: " + e.getMessage()));
            } catch (RuntimeException e) {
                LOG.warn("{} {} failed", method, path, e);
                json(exchange, 500, error(e.toString()));
            }
        }
    }

    private void api(HttpExchange exchange, String method, String rest) throws IOException {
        List<String> parts = List.of(rest.split("/", -1)).stream().map(p -> URLDecoder.decode(p, StandardCharsets.UTF_8))
                .toList();
        ClusterAdmin admin = view.admin();
        String route = method + " " + parts.get(0) + (parts.size() > 1 ? "/*" : "") + (parts.size() > 2 ? "/" + parts.get(2) : "");
        switch (route) {
            case "GET leader" -> {
                ObjectNode out = Json.mapper().createObjectNode();
                out.set("leader", Json.mapper().valueToTree(view.leader()));
                out.put("this_instance_leads", view.isLeader());
                json(exchange, 200, out);
            }
            case "GET proxies" -> json(exchange, 200, proxies(admin.state()));
            case "POST proxies" -> {
                ProxyRecord p = Json.mapper().convertValue(body(exchange), ProxyRecord.class);
                json(exchange, 201, Json.mapper().valueToTree(admin.registerProxy(p)));
            }
            case "POST proxies/*/drain" -> {
                ObjectNode out = Json.mapper().createObjectNode();
                ArrayNode handed = out.putArray("handed_over");
                view.switchover().drain(parts.get(1)).forEach(handed::add);
                json(exchange, 200, out);
            }
            case "DELETE proxies/*" -> {
                admin.removeProxy(parts.get(1));
                json(exchange, 200, Json.mapper().createObjectNode().put("removed", parts.get(1)));
            }
            case "GET clusters" -> {
                ObjectNode out = Json.mapper().createObjectNode();
                PoolState state = admin.state();
                ArrayNode names = out.putArray("clusters");
                ArrayNode deleting = out.putArray("deleting");
                state.clusters().forEach((name, record) -> {
                    names.add(name);
                    if (record.deleting()) {
                        deleting.add(name);
                    }
                });
                json(exchange, 200, out);
            }
            case "POST clusters" -> {
                JsonNode b = body(exchange);
                ClusterSpec spec = new ClusterSpec(text(b, "name"), b.path("shards").asInt(0), b.path("replicas").asInt(1),
                        b.hasNonNull("password") ? b.get("password").asText() : null);
                ClusterRecord record = admin.createCluster(spec);
                json(exchange, 201, describe(record, admin.state()));
            }
            case "GET clusters/*" -> json(exchange, 200, describe(cluster(admin.state(), parts.get(1)), admin.state()));
            case "DELETE clusters/*" -> {
                // marked: the leader wipes its proxies, then the record goes (GET answers 404 then)
                admin.deleteCluster(parts.get(1));
                PoolState state = admin.state();
                ClusterRecord marked = state.clusters().get(parts.get(1));
                json(exchange, 202, marked == null ? Json.mapper().createObjectNode().put("deleted", parts.get(1))
                        : describe(marked, state));
            }
            case "POST clusters/*/scale" -> {
                JsonNode b = body(exchange);
                if (!b.path("shards").canConvertToInt() || b.path("shards").asInt() < 1) {
                    throw new IllegalArgumentException("shards must be a positive integer");
                }
                admin.scale(parts.get(1), b.path("shards").asInt());
                PoolState state = admin.state();
                json(exchange, 202, describe(cluster(state, parts.get(1)), state));
            }
            case "POST clusters/*/failover" -> {
                JsonNode b = body(exchange);
                if (!b.path("shard").canConvertToInt()) {
                    throw new IllegalArgumentException("shard must be an integer");
                }
                view.switchover().run(parts.get(1), b.path("shard").asInt());
                PoolState state = admin.state();
                json(exchange, 200, describe(cluster(state, parts.get(1)), state));
            }
            case "GET clusters/*/status" -> {
                PoolState state = admin.state();
                json(exchange, 200, status(cluster(state, parts.get(1)), state));
            }
            default -> json(exchange, route.startsWith("GET") || route.startsWith("POST") || route.startsWith("DELETE") ? 404 : 405,
                    error("no such endpoint: " + method + " " + PREFIX + rest));
        }
    }

    private static ClusterRecord cluster(PoolState state, String name) {
        ClusterRecord r = state.clusters().get(name);
        if (r == null) {
            throw new ClusterAdmin.Refused(404, "no cluster " + name);
        }
        return r;
    }

    private ObjectNode proxies(PoolState state) {
        ObjectNode out = Json.mapper().createObjectNode();
        ArrayNode list = out.putArray("proxies");
        Map<String, Observation> observed = view.observations();
        for (ProxyRecord p : state.proxies().values()) {
            ObjectNode n = Json.mapper().valueToTree(p);
            n.put("cluster", state.owners().get(p.address()));
            // let go by a scale-in (or failed), not free yet: it is wiped first
            state.clusters().values().stream().filter(c -> c.retired().contains(p.address()) || c.wiping().contains(p.address()))
                    .findFirst().ifPresent(c -> n.put("released_by", c.name()));
            Observation o = observed.get(p.address());
            if (o != null) {
                n.put("reachable", o.reachable());
                n.put("epoch", o.reachable() ? o.last().epoch() : -1);
            }
            list.add(n);
        }
        return out;
    }

    private static ObjectNode describe(ClusterRecord record, PoolState state) {
        ObjectNode out = Json.mapper().createObjectNode();
        long revision = state.revision(record.name());
        out.put("name", record.name());
        out.put("revision", revision);
        out.put("epoch", revision == 0 ? 0 : Epochs.metadata(revision));
        out.set("spec", Json.mapper().valueToTree(new ClusterSpec(record.spec().name(), record.spec().shards(),
                record.spec().replicas(), record.spec().password() == null ? null : "(set)")));
        out.set("shards", Json.mapper().valueToTree(record.shards()));
        out.set("moves", Json.mapper().valueToTree(record.moves()));
        out.put("scaling", !record.moves().isEmpty() || record.shards().size() != record.spec().shards()
                || !evenlySpread(record));
        // a failover left masters to even out over the hosts; cleared once they are (or by a handover asked for)
        out.put("rebalancing", record.rebalance());
        out.set("proxies", Json.mapper().valueToTree(record.proxies()));
        // proxies a scale-in let go, free once wiped; and a delete under way (the record goes once all are wiped)
        out.set("wiping", Json.mapper().valueToTree(record.wiping()));
        out.put("deleting", record.deleting());
        return out;
    }

    /** Whether every shard owns its even share of the slots (what a finished scale leaves). */
    private static boolean evenlySpread(ClusterRecord record) {
        int[] shares = io.moonshard.controller.placement.SlotSplit.shares(record.shards().size());
        List<Integer> owned = new java.util.ArrayList<>();
        for (Shard s : record.shards()) {
            owned.add(io.moonshard.controller.model.SlotRanges.parse(s.slots()).size());
        }
        List<Integer> expected = new java.util.ArrayList<>();
        for (int share : shares) {
            expected.add(share);
        }
        owned.sort(null);
        expected.sort(null);
        return owned.equals(expected);
    }

    private ObjectNode status(ClusterRecord record, PoolState state) {
        ObjectNode out = describe(record, state);
        Map<String, Observation> observed = view.observations();
        out.put("observed_by_leader", !observed.isEmpty());
        long epoch = Epochs.metadata(state.revision(record.name()));
        ArrayNode shards = out.putArray("shard_status");
        boolean healthy = true;
        for (Shard s : record.shards()) {
            ObjectNode n = shards.addObject();
            n.put("id", s.id());
            n.set("master", node(s.master(), true, observed));
            ArrayNode replicas = n.putArray("replicas");
            for (NodeRef r : s.replicas()) {
                replicas.add(node(r, false, observed));
            }
            healthy &= "master".equals(n.get("master").path("state").asText());
        }
        ArrayNode proxies = out.putArray("proxy_epochs");
        boolean synced = true;
        for (String p : record.servingProxies()) {
            Observation o = observed.get(p);
            ObjectNode n = proxies.addObject();
            n.put("proxy", p);
            long e = o != null && o.reachable() ? o.last().epoch() : -1;
            n.put("epoch", e);
            synced &= e >= epoch;
        }
        out.put("in_sync", !observed.isEmpty() && synced);
        out.put("healthy", !observed.isEmpty() && healthy && synced && !record.deleting());
        if (record.deleting()) {
            // the proxies not seen at the delete's epoch yet: each is wiped once it answers (or removed by hand)
            ArrayNode pending = out.putArray("wipe_pending");
            for (String p : record.allProxies()) {
                Observation o = observed.get(p);
                if (state.proxies().containsKey(p) && (o == null || !o.reachable() || o.last().epoch() < epoch)) {
                    pending.add(p);
                }
            }
        }
        return out;
    }

    private static ObjectNode node(NodeRef ref, boolean master, Map<String, Observation> observed) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("proxy", ref.proxy());
        n.put("node", ref.node());
        Observation o = observed.get(ref.proxy());
        InfoReplEntry e = o == null || !o.reachable() ? null : o.last().entry(ref.node(), master);
        n.put("proxy_reachable", o != null && o.reachable());
        n.put("state", e == null ? null : e.state());
        n.put("offset", e == null ? -1 : e.offset());
        return n;
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing text field " + field);
        }
        return v.asText();
    }

    private boolean authorised(HttpExchange exchange) {
        if (token == null) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring(7).getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new IllegalArgumentException("request body over " + MAX_BODY + " bytes");
            }
            if (bytes.length == 0) {
                throw new IllegalArgumentException("a JSON body is needed");
            }
            return Json.mapper().readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
    }

    private static ObjectNode error(String message) {
        return Json.mapper().createObjectNode().put("error", message);
    }

    private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
    }

    private static void text(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
