package io.moonshard.controller;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.moonshard.controller.model.Json;
import io.moonshard.testkit.EtcdCluster;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.JarProcess;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole Moonshard pool on this machine, every part a real process: an etcd of 1 or 3 members, proxies
 * of the shaded proxy jar on several loopback "hosts" (127.0.0.1, .2, .3), two Redis beside each, and
 * controllers of the shaded controller jar. Proxies are registered through the API as an operator
 * would. Everything is stopped by {@link #close}, by PID.
 */
public final class ControllerTestbed implements AutoCloseable {

    public static final String ADMIN = "adm-secret";
    public static final String SECRET = "cluster-secret";
    public static final String[] HOSTS = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
    private static final Duration START = Duration.ofSeconds(60);

    /** One proxy slot of the pool: its process and its two Redis. */
    public static final class PoolProxy {
        public final String host;
        public final int port;
        public final List<RedisProcess> redis = new ArrayList<>();
        public JarProcess process;
        int incarnation;

        PoolProxy(String host, int port) {
            this.host = host;
            this.port = port;
        }

        public String address() {
            return host + ":" + port;
        }

        public List<String> nodes() {
            return redis.stream().map(RedisProcess::address).toList();
        }
    }

    private final Path logs;
    private final EtcdCluster etcd;
    public final List<PoolProxy> proxies = new ArrayList<>();
    public final List<JarProcess> controllers = new ArrayList<>();
    public final List<Integer> apiPorts = new ArrayList<>();
    private final List<String> proxyArgs;
    private final List<String> controllerArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ControllerTestbed(Path logs, EtcdCluster etcd, List<String> proxyArgs, List<String> controllerArgs) {
        this.logs = logs;
        this.etcd = etcd;
        this.proxyArgs = proxyArgs;
        this.controllerArgs = controllerArgs;
    }

    /**
     * @param etcdMembers  1 or 3
     * @param proxyCount   proxies, spread round-robin over {@code hostCount} hosts
     * @param controllers  controller processes
     * @param proxyArgs    extra options for every proxy (e.g. {@code --write-ack replica})
     */
    public static ControllerTestbed start(Path logs, int etcdMembers, int proxyCount, int hostCount, int controllers,
                                          List<String> proxyArgs, List<String> controllerArgs) {
        deleteTree(logs); // a data directory left by an earlier run would hold another cluster's members
        // etcd with LAN timing (heartbeat 50 ms, election 500 ms): its default 1 s election alone can take
        // 2-3 s to replace a killed leader (EtcdFailoverIT); and with pre-vote: without it a member left
        // alone raises its term at every election timeout and, once the others are back, makes their new
        // leader step down (writes back 1.8-3.2 s after the restart instead of 0.5-1.4 s in 9 of 20 quorum trials). docs/controller.md says to
        // run it so
        EtcdCluster etcd = EtcdCluster.start(etcdMembers, logs.resolve("etcd"), "--heartbeat-interval", "50",
                "--election-timeout", "500", "--pre-vote");
        ControllerTestbed bed = new ControllerTestbed(logs, etcd, proxyArgs, controllerArgs);
        try {
            for (int i = 0; i < proxyCount; i++) {
                PoolProxy p = new PoolProxy(HOSTS[i % hostCount], FreePorts.next());
                for (int n = 0; n < 2; n++) {
                    p.redis.add(RedisProcess.startOn(p.host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                }
                bed.proxies.add(p);
                bed.startProxy(i);
            }
            for (int c = 0; c < controllers; c++) {
                bed.apiPorts.add(FreePorts.next());
                bed.controllers.add(null);
                bed.startController(c);
            }
            for (PoolProxy p : bed.proxies) {
                JsonNode body = Json.mapper().createObjectNode().put("address", p.address()).put("host", p.host)
                        .set("nodes", Json.mapper().valueToTree(p.nodes()));
                bed.expect(201, "POST", "/api/v1/proxies", body.toString());
            }
            return bed;
        } catch (RuntimeException | Error e) {
            bed.close();
            throw e;
        }
    }

    private static void deleteTree(Path dir) {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new proxy with two new Redis on {@code host}, started and registered: the pool grows by one. */
    public PoolProxy addProxy(String host) {
        PoolProxy p = new PoolProxy(host, FreePorts.next());
        for (int n = 0; n < 2; n++) {
            p.redis.add(RedisProcess.startOn(host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
        }
        proxies.add(p);
        startProxy(proxies.size() - 1);
        JsonNode body = Json.mapper().createObjectNode().put("address", p.address()).put("host", p.host)
                .set("nodes", Json.mapper().valueToTree(p.nodes()));
        expect(201, "POST", "/api/v1/proxies", body.toString());
        return p;
    }

    public EtcdCluster etcd() {
        return etcd;
    }

    public void startProxy(int i) {
        PoolProxy p = proxies.get(i);
        List<String> args = new ArrayList<>(List.of("--address", p.address(), "--thread-number", "1", "--admin-password", ADMIN,
                "--cluster-secret", SECRET));
        args.addAll(proxyArgs);
        p.process = JarProcess.start(Path.of(System.getProperty("moonshard.jar")), logs, "proxy-" + i + "." + (++p.incarnation),
                " msg=started ", START, List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args);
    }

    public void startController(int c) {
        List<String> args = new ArrayList<>(List.of("server", "--etcd", String.join(",", etcd.clientEndpoints()),
                "--listen", "127.0.0.1:" + apiPorts.get(c), "--id", "controller-" + c, "--proxy-admin-password", ADMIN,
                "--cluster-secret", SECRET));
        args.addAll(controllerArgs);
        controllers.set(c, JarProcess.start(Path.of(System.getProperty("moonshard.controller.jar")), logs,
                "controller-" + c + "." + System.nanoTime(), "msg=controller-started", START,
                List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args));
    }

    // ---- the API ----

    /** One API call to the first live controller; status and body. */
    public HttpResponse<String> api(String method, String path, String body) {
        IOException last = null;
        for (int c = 0; c < controllers.size(); c++) {
            if (controllers.get(c) == null || !controllers.get(c).isAlive()) {
                continue;
            }
            try {
                return api(c, method, path, body);
            } catch (IOException e) {
                last = e;
            }
        }
        throw new UncheckedIOException("no controller answers", last == null ? new IOException("none alive") : last);
    }

    public HttpResponse<String> api(int c, String method, String path, String body) throws IOException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPorts.get(c) + path))
                .timeout(Duration.ofSeconds(10));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(r.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public JsonNode expect(int status, String method, String path, String body) {
        HttpResponse<String> r = api(method, path, body);
        if (r.statusCode() != status) {
            throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The index of the leading controller (asked of each live one). */
    public int leaderIndex() {
        for (int c = 0; c < controllers.size(); c++) {
            if (controllers.get(c) == null || !controllers.get(c).isAlive()) {
                continue;
            }
            try {
                HttpResponse<String> r = api(c, "GET", "/api/v1/leader", null);
                if (r.statusCode() == 200 && Json.mapper().readTree(r.body()).path("this_instance_leads").asBoolean()) {
                    return c;
                }
            } catch (IOException e) {
                // not answering: not the leader
            }
        }
        return -1;
    }

    public int awaitLeader(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> leaderIndex() >= 0);
        return leaderIndex();
    }

    /** The cluster's status as the leader sees it (waiting up to 15 s for one, as after an etcd fault). */
    public JsonNode status(String cluster) {
        int leader = awaitLeader(Duration.ofSeconds(15));
        try {
            HttpResponse<String> r = api(leader, "GET", "/api/v1/clusters/" + cluster + "/status", null);
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void awaitHealthy(String cluster, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> status(cluster).path("healthy").asBoolean());
    }

    // ---- what the proxies say ----

    public PoolProxy proxy(String address) {
        return proxies.stream().filter(p -> p.address().equals(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no proxy " + address));
    }

    public String call(PoolProxy p, String... args) {
        try (RawRedisClient client = new RawRedisClient(p.host, p.port)) {
            return client.call(args);
        }
    }

    private static final Pattern SLOT_RANGE = Pattern.compile("\\*\\d+\r\n:(\\d+)\r\n:(\\d+)\r\n\\*\\d+\r\n\\$\\d+\r\n([0-9.]+)\r\n:(\\d+)");

    /**
     * Slot owners by proxy address from one proxy's CLUSTER SLOTS (the master of each range), as an
     * array of 16384 (null: none).
     */
    public String[] slotOwners(PoolProxy p) {
        String reply = call(p, "CLUSTER", "SLOTS");
        String[] owners = new String[16384];
        Matcher m = SLOT_RANGE.matcher(reply);
        while (m.find()) {
            int from = Integer.parseInt(m.group(1));
            int to = Integer.parseInt(m.group(2));
            String owner = m.group(3) + ":" + m.group(4);
            for (int s = from; s <= to; s++) {
                if (owners[s] != null) {
                    owners[s] = owners[s] + "+" + owner;
                } else {
                    owners[s] = owner;
                }
            }
        }
        return owners;
    }

    /**
     * Checks every live proxy of the cluster: each slot has exactly one owner, and all agree. Returns the
     * problems found (empty: coherent).
     */
    public List<String> slotProblems(List<String> clusterProxies) {
        List<String> problems = new ArrayList<>();
        String[] reference = null;
        String referenceProxy = null;
        for (String address : clusterProxies) {
            PoolProxy p = proxy(address);
            if (p.process == null || !p.process.isAlive()) {
                continue;
            }
            String[] owners = slotOwners(p);
            BitSet none = new BitSet();
            Map<String, Integer> doubled = new TreeMap<>();
            for (int s = 0; s < 16384; s++) {
                if (owners[s] == null) {
                    none.set(s);
                } else if (owners[s].contains("+")) {
                    doubled.merge(owners[s], 1, Integer::sum);
                }
            }
            if (!none.isEmpty()) {
                problems.add(address + " shows " + none.cardinality() + " slots owned by none, first " + none.nextSetBit(0));
            }
            if (!doubled.isEmpty()) {
                problems.add(address + " shows slots owned twice: " + doubled);
            }
            if (reference == null) {
                reference = owners;
                referenceProxy = address;
            } else {
                for (int s = 0; s < 16384; s++) {
                    if (!java.util.Objects.equals(reference[s], owners[s])) {
                        problems.add(address + " says slot " + s + " is " + owners[s] + ", " + referenceProxy + " says "
                                + reference[s]);
                        break;
                    }
                }
            }
        }
        return problems;
    }

    @Override
    public void close() {
        for (JarProcess c : controllers) {
            if (c != null) {
                c.close();
            }
        }
        for (PoolProxy p : proxies) {
            if (p.process != null) {
                p.process.close();
            }
            p.redis.forEach(RedisProcess::close);
        }
        etcd.close();
    }
}
