package io.moonshard.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.moonshard.controller.model.Json;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.Slots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The README's first command as a person runs it: {@code scripts/moonshard-cluster.sh start} in its
 * default mode (etcd, the controller, 4 proxies on 127.0.0.1 and 127.0.0.2, 8 Redis), then the real
 * {@code redis-cli -c} across both shards, {@code kill-master}, {@code status}, {@code scale} and
 * {@code stop}. The script gets its directory under target/ and free ports through its environment,
 * so a cluster a developer runs on the default ports is left alone. Each step leaves the cluster as
 * the next one needs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterScriptIT {

    private static final Path SCRIPT = Path.of("..", "scripts", "moonshard-cluster.sh").toAbsolutePath().normalize();
    private static final Path DIR = Path.of("target", "cluster-script").toAbsolutePath();
    private static final Path OUTPUT = Path.of("target", "cluster-script-output").toAbsolutePath();
    private static final String CLUSTER = "mycluster";
    /** etcd, the controller, 4 proxies, 8 Redis. */
    private static final int PROCESSES = 14;

    private final Map<String, String> env = new HashMap<>();
    private final List<Integer> proxyPorts = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int controllerPort;
    private int runs;
    /** The entry proxy's port, from start's "Connect:" line. */
    private int entryPort;
    /** Per shard id, a key written through redis-cli -c in test 1. */
    private final Map<Integer, String> keys = new HashMap<>();

    record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @BeforeAll
    void ports() throws IOException {
        for (int i = 0; i < 4; i++) {
            proxyPorts.add(FreePorts.next());
        }
        List<Integer> redisPorts = IntStream.range(0, 8).mapToObj(i -> FreePorts.next()).toList();
        controllerPort = FreePorts.next();
        env.put("MOONSHARD_CLUSTER_DIR", DIR.toString());
        env.put("MOONSHARD_CLUSTER_PROXY_PORTS", words(proxyPorts));
        env.put("MOONSHARD_CLUSTER_REDIS_PORTS", words(redisPorts));
        env.put("MOONSHARD_CLUSTER_ETCD_PORTS", FreePorts.next() + " " + FreePorts.next());
        env.put("MOONSHARD_CLUSTER_CONTROLLER_PORT", Integer.toString(controllerPort));
        env.put("MOONSHARD_CLUSTER_SCALE_TIMEOUT", "180");
        // 5 JVMs on a small shared machine
        env.put("MOONSHARD_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        env.put("MOONSHARD_THREAD_NUMBER", "1");
        Files.createDirectories(OUTPUT);
    }

    @AfterAll
    void stopWhateverRuns() {
        if (!pidFiles().isEmpty()) {
            run(Duration.ofSeconds(120), "stop");
        }
        // a stop that failed leaves pid files: those processes go by force, each checked to be ours
        for (Path f : pidFiles()) {
            long pid = Long.parseLong(read(f).strip());
            ProcessHandle.of(pid).filter(p -> commandLine(pid).matches(".*(redis-server|etcd|moonshard-).*"))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    @Order(1)
    void startPrintsHowToConnectAndRedisCliReachesEveryShard() {
        Run start = run(Duration.ofMinutes(5), "start");
        assertThat(start.exit()).as(start.all()).isZero();
        Matcher connect = Pattern.compile("Connect: +redis-cli -c -p (\\d+)").matcher(start.out());
        assertThat(connect.find()).as(start.out()).isTrue();
        entryPort = Integer.parseInt(connect.group(1));
        assertThat(proxyPorts).contains(entryPort);
        assertThat(pidFiles()).hasSize(PROCESSES);

        JsonNode status = status();
        assertThat(status.path("healthy").asBoolean()).as(status.toString()).isTrue();
        assertThat(status.path("shards")).hasSize(2);
        for (JsonNode shard : status.path("shards")) {
            String master = shard.path("master").path("node").asText();
            assertThat(shard.path("replicas")).hasSize(1);
            assertThat(host(shard.path("replicas").get(0).path("node").asText())).isNotEqualTo(host(master));
            int slot = Integer.parseInt(shard.path("slots").get(0).asText().split("-")[0]);
            String key = Slots.keyIn(slot, "script-shard" + shard.path("id").asInt());
            String value = "v" + shard.path("id").asInt();
            assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "SET", key, value)).isEqualTo("OK");
            assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", key)).isEqualTo(value);
            // the write went through the redirect to this shard's master, not just to the entry proxy's Redis
            assertThat(redisCli("-h", host(master), "-p", port(master), "GET", key)).isEqualTo(value);
            keys.put(shard.path("id").asInt(), key);
        }
    }

    @Test
    @Order(2)
    void killMasterReportsTheNewMasterAndNoWriteIsLost() {
        JsonNode shard = shard(status(), 0);
        String old = shard.path("master").path("node").asText();
        String replica = shard.path("replicas").get(0).path("node").asText();
        String key = keys.get(0);
        // what the killed master acknowledged has reached its replica (asynchronous replication)
        await().atMost(Duration.ofSeconds(10)).until(() -> "v0".equals(redisCli("-h", host(replica), "-p", port(replica), "GET", key)));
        long oldPid = pid("redis-" + old.replace(':', '-'));

        Run kill = run(Duration.ofMinutes(3), "kill-master", "0");
        assertThat(kill.exit()).as(kill.all()).isZero();
        Matcher m = Pattern.compile("new master of shard 0: (\\S+) after (\\d+) ms").matcher(kill.out());
        assertThat(m.find()).as(kill.out()).isTrue();
        String reported = m.group(1);
        assertThat(reported).isNotEqualTo(old).isEqualTo(shard(status(), 0).path("master").path("node").asText());
        assertThat(isGone(oldPid)).isTrue();
        // restarted empty beside its proxy, as a supervisor would
        long restarted = pid("redis-" + old.replace(':', '-'));
        assertThat(restarted).isNotEqualTo(oldPid);
        assertThat(redisCli("-h", host(old), "-p", port(old), "DBSIZE")).isEqualTo("0");
        assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", key)).isEqualTo("v0");
        assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", keys.get(1))).isEqualTo("v1");

        // the failover left both masters on one host: the controller hands one back once the cluster has
        // settled (docs/controller.md, "Rebalance after a failover"); status then shows one master per host
        org.awaitility.Awaitility.await("the rebalance after the failover").atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> !status().path("rebalancing").asBoolean(true) && status().path("healthy").asBoolean());
        JsonNode settled = status();
        String masterHost0 = host(shard(settled, 0).path("master").path("node").asText());
        String masterHost1 = host(shard(settled, 1).path("master").path("node").asText());
        assertThat(masterHost0).as("one master per host: %s", settled).isNotEqualTo(masterHost1);
        Run status = run(Duration.ofMinutes(1), "status");
        assertThat(status.exit()).as(status.all()).isZero();
        assertThat(status.out()).contains("healthy true")
                .contains("master   " + shard(settled, 0).path("master").path("node").asText())
                .doesNotContain("master   " + old);
        assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", key)).isEqualTo("v0");
    }

    @Test
    @Order(3)
    void scaleAsksTheControllerOrSaysPlainlyItCannot() {
        Run scale = run(Duration.ofMinutes(4), "scale", "3");
        if (scale.exit() == 0) {
            JsonNode status = status();
            assertThat(status.path("shards")).hasSize(3);
            assertThat(status.path("healthy").asBoolean()).isTrue();
            assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", keys.get(0))).isEqualTo("v0");
            assertThat(redisCli("-c", "-p", Integer.toString(entryPort), "GET", keys.get(1))).isEqualTo("v1");
        } else {
            // a controller without `cluster scale`: one plain sentence, and the cluster as it was
            assertThat(scale.err()).as(scale.all()).contains("this controller has no 'cluster scale' yet");
            assertThat(status().path("shards")).hasSize(2);
        }
    }

    @Test
    @Order(4)
    void stopLeavesNoProcessOfIt() {
        Map<String, Long> pids = pidFiles().stream().collect(Collectors.toMap(f -> f.getFileName().toString(),
                f -> Long.parseLong(read(f).strip())));
        assertThat(pids).hasSize(PROCESSES).containsKeys("etcd.pid", "controller.pid");
        Run stop = run(Duration.ofMinutes(2), "stop");
        assertThat(stop.exit()).as(stop.all()).isZero();
        assertThat(stop.out()).contains("stopped etcd").contains("stopped controller");
        assertThat(pidFiles()).isEmpty();
        // a process killed is reaped by init a moment later
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(pids.entrySet().stream().filter(e -> !isGone(e.getValue())).map(Map.Entry::getKey)).isEmpty());
        for (int i = 0; i < proxyPorts.size(); i++) {
            // the script puts the proxies on its two hosts in turn
            String host = i % 2 == 0 ? "127.0.0.1" : "127.0.0.2";
            assertThat(accepts(host, proxyPorts.get(i))).as("something still listens on " + host + ":" + proxyPorts.get(i))
                    .isFalse();
        }
        assertThat(accepts("127.0.0.1", controllerPort)).isFalse();
        Run status = run(Duration.ofMinutes(1), "status");
        assertThat(status.exit()).isEqualTo(3);
    }

    // ---- helpers ----

    /** Runs the script with this test's environment; its output goes to files (its children never hold a pipe). */
    private Run run(Duration timeout, String... args) {
        int n = ++runs;
        Path out = OUTPUT.resolve(n + "-" + args[0] + ".out");
        Path err = OUTPUT.resolve(n + "-" + args[0] + ".err");
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // nothing of the developer's own MOONSHARD_* settings (a mode, a port) reaches the script
        pb.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_"));
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", args) + " did not finish in " + timeout + "; stdout: " + read(out)
                        + " stderr: " + read(err));
            }
            return new Run(p.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The real redis-cli, its reply trimmed. */
    private static String redisCli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String reply = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("redis-cli " + String.join(" ", args) + " hangs");
            }
            return reply;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private JsonNode status() {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controllerPort + "/api/v1/clusters/" + CLUSTER
                + "/status")).timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode shard(JsonNode status, int id) {
        for (JsonNode s : status.path("shards")) {
            if (s.path("id").asInt() == id) {
                return s;
            }
        }
        throw new AssertionError("no shard " + id + " in " + status);
    }

    private static List<Path> pidFiles() {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".pid")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long pid(String name) {
        return Long.parseLong(read(DIR.resolve(name + ".pid")).strip());
    }

    /** No such process, or a zombie waiting for init (it has exited). */
    private static boolean isGone(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String s = Files.readString(stat);
            return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String words(List<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }

    private static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    private static String port(String address) {
        return address.substring(address.lastIndexOf(':') + 1);
    }
}
