package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authentication matrix of docs/operations.md ("Who may run what"), read from the doc and checked
 * cell by cell against the real jar: one jar per row, started with the row's configuration, each command
 * group probed on a fresh connection that first sends what the row says; and the PUBLISH relay between
 * two jars with the same and with different cluster secrets.
 */
class AuthMatrixIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final String CHANNEL = "matrix-channel";
    private static final List<String> COLUMNS = List.of("Redis commands", "`AUTH`, `HELLO`, `QUIT`",
            "`UMCTL` reads", "`UMCTL INFOREPL`", "`UMCTL` cluster-changing", "`UMCTL` peer commands",
            "`CONFIG SET moonshard-*`");
    /** INFOREPL has a column of its own: peers may read it too, to show each other's replicas. */
    private static final List<List<String>> UMCTL_READS = List.of(List.of("GETEPOCH"), List.of("LISTCLUSTER"),
            List.of("READY"), List.of("INFO"), List.of("INFOMGR"), List.of("INFOLEASE"), List.of("SLOWLOG", "GET"));

    @TempDir
    Path dir;

    private final List<Process> jars = new ArrayList<>();
    private final List<RedisProcess> redis = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        jars.forEach(AuthMatrixIT::stop);
        redis.forEach(RedisProcess::close);
    }

    private static void stop(Process jar) {
        if (jar.isAlive()) {
            jar.destroyForcibly();
            try {
                jar.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One row of the doc's table: the jar's flags, what the connection sends first, one cell per column. */
    private record Row(int line, List<String> flags, List<List<String>> sent, List<String> cells) {

        String cell(String column) {
            return cells.get(COLUMNS.indexOf(column));
        }

        /** The client password a subscriber needs, from the flags; null when connections start authenticated. */
        String password() {
            int i = flags.indexOf("--password");
            return i < 0 ? null : flags.get(i + 1);
        }

        @Override
        public String toString() {
            return "operations.md line " + line + ": " + (flags.isEmpty() ? "none" : String.join(" ", flags))
                    + " / " + (sent.isEmpty() ? "nothing" : sent);
        }
    }

    @Test
    void everyCellOfTheDocumentedMatrix_holdsForTheJar() {
        RedisProcess backend = RedisProcess.start();
        redis.add(backend);
        List<Row> rows = matrix();
        assertThat(rows).as("rows of the auth matrix in docs/operations.md").hasSizeGreaterThanOrEqualTo(17);
        for (Row row : rows) {
            int port = FreePorts.next();
            List<String> args = new ArrayList<>(List.of("--address", "127.0.0.1:" + port, "--thread-number", "1",
                    "--initial-setcluster", setCluster(1, backend)));
            args.addAll(row.flags());
            Process jar = startJar("row" + row.line(), args);
            awaitStarted(jar, "row" + row.line());

            probeRedisCommands(row, port);
            probeConnectionCommands(row, port);
            probeUmctlReads(row, port);
            probePeerCommands(row, port);
            probeProxySettings(row, port);
            probeClusterChanging(row, port, backend, jar); // last: SHUTDOWN may stop the jar
            stop(jar);
        }
    }

    @Test
    void publishRelay_reachesThePeer_onlyWithTheSameClusterSecret() {
        RedisProcess redisA = RedisProcess.start();
        RedisProcess redisB = RedisProcess.start();
        RedisProcess redisC = RedisProcess.start();
        redis.addAll(List.of(redisA, redisB, redisC));
        int portA = FreePorts.next();
        int portB = FreePorts.next();
        int portC = FreePorts.next();
        String a0 = "0-5000";
        String b0 = "5001-10000";
        String c0 = "10001-16383";
        // A and B share the secret; C, with the same passwords, has another one
        String[] common = {"--password", "pw", "--admin-password", "adm", "--thread-number", "1"};
        Process a = startJar("relay-a", concat(common, "--address", "127.0.0.1:" + portA, "--cluster-secret", "sec",
                "--initial-setcluster", setClusterWithPeers(redisA, a0, "127.0.0.1:" + portB, b0,
                        "127.0.0.1:" + portC, c0)));
        Process b = startJar("relay-b", concat(common, "--address", "127.0.0.1:" + portB, "--cluster-secret", "sec",
                "--initial-setcluster", setClusterWithPeers(redisB, b0, "127.0.0.1:" + portA, a0)));
        Process c = startJar("relay-c", concat(common, "--address", "127.0.0.1:" + portC, "--cluster-secret", "other",
                "--initial-setcluster", setClusterWithPeers(redisC, c0, "127.0.0.1:" + portA, a0)));
        awaitStarted(a, "relay-a");
        awaitStarted(b, "relay-b");
        awaitStarted(c, "relay-c");

        try (RawRedisClient onB = subscriber(portB, "pw");
             RawRedisClient onC = subscriber(portC, "pw");
             RawRedisClient publisher = client(portA, List.of(List.of("AUTH", "pw")))) {
            assertThat(publisher.call("PUBLISH", CHANNEL, "first")).isEqualTo(":0\r\n"); // nobody on A itself

            assertThat(onB.readReply()).isEqualTo(message("first"));
            // C refused A's secret, then the relay: A says so once C has answered the relay
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> stdout("relay-a").contains("event=publish_relay_refused peer=127.0.0.1:" + portC));
            assertThat(stdout("relay-a")).contains("event=peer_auth_failed peer=127.0.0.1:" + portC,
                    "WRONGPASS invalid cluster secret");
            try (RawRedisClient local = client(portC, List.of(List.of("AUTH", "pw")))) {
                assertThat(local.call("PUBLISH", CHANNEL, "control")).isEqualTo(":1\r\n");
            }
            assertThat(onC.readReply()).as("the refused relay reached no subscriber").isEqualTo(message("control"));
        }
        // a client cannot pass for a peer, even with every password
        try (RawRedisClient forger = client(portB, List.of(List.of("AUTH", "pw"), List.of("UMCTL", "AUTH", "adm")))) {
            assertThat(forger.call("UMCTL", "PEERAUTH", "guess")).isEqualTo("-WRONGPASS invalid cluster secret\r\n");
            assertThat(forger.call("UMCTL", "PUBLISH", CHANNEL, "forged"))
                    .isEqualTo("-NOAUTH UMCTL PUBLISH is for peer proxies: UMCTL PEERAUTH <cluster_secret> first\r\n");
        }
    }

    private void probeRedisCommands(Row row, int port) {
        try (RawRedisClient c = client(port, row.sent())) {
            expect(row, "Redis commands", c.call("SET", "matrix:key", "v"), "+OK\r\n");
        }
    }

    private void probeConnectionCommands(Row row, int port) {
        try (RawRedisClient c = client(port, row.sent())) {
            expect(row, "`AUTH`, `HELLO`, `QUIT`", c.call("QUIT"), "+OK\r\n");
        }
    }

    private void probeUmctlReads(Row row, int port) {
        probeUmctlReads(row, port, UMCTL_READS, "`UMCTL` reads");
        probeUmctlReads(row, port, List.of(List.of("INFOREPL")), "`UMCTL INFOREPL`");
    }

    private void probeUmctlReads(Row row, int port, List<List<String>> reads, String column) {
        for (List<String> read : reads) {
            try (RawRedisClient c = client(port, row.sent())) {
                List<String> command = new ArrayList<>(List.of("UMCTL"));
                command.addAll(read);
                String reply = c.call(command.toArray(String[]::new));
                String cell = row.cell(column);
                if (cell.equals("yes")) {
                    assertThat(reply).as("%s: UMCTL %s", row, read).doesNotStartWith("-");
                } else {
                    assertThat(reply).as("%s: UMCTL %s", row, read).isEqualTo(error(cell, read.get(0)));
                }
            }
        }
    }

    /**
     * UMCTL PUBLISH with a subscriber on the same proxy: when refused, a PUBLISH sent after the refusal
     * is the first message the subscriber gets, so the refused one reached nobody.
     */
    private void probePeerCommands(Row row, int port) {
        try (RawRedisClient sub = subscriber(port, row.password());
             RawRedisClient c = client(port, row.sent())) {
            String reply = c.call("UMCTL", "PUBLISH", CHANNEL, "probe");
            String cell = row.cell("`UMCTL` peer commands");
            if (cell.equals("yes")) {
                assertThat(reply).as("%s: UMCTL PUBLISH", row).isEqualTo(":1\r\n");
                assertThat(sub.readReply()).as("%s: the subscriber", row).isEqualTo(message("probe"));
                return;
            }
            assertThat(reply).as("%s: UMCTL PUBLISH", row).isEqualTo(error(cell, "PUBLISH"));
            try (RawRedisClient control = client(port, row.password() == null ? List.of()
                    : List.of(List.of("AUTH", row.password())))) {
                assertThat(control.call("PUBLISH", CHANNEL, "control")).isEqualTo(":1\r\n");
            }
            assertThat(sub.readReply()).as("%s: the refused message reached nobody", row).isEqualTo(message("control"));
        }
    }

    private void probeProxySettings(Row row, int port) {
        try (RawRedisClient c = client(port, row.sent())) {
            expect(row, "`CONFIG SET moonshard-*`", c.call("CONFIG", "SET", "moonshard-max-clients", "9999"), "+OK\r\n");
        }
    }

    private void probeClusterChanging(Row row, int port, RedisProcess backend, Process jar) {
        String cell = row.cell("`UMCTL` cluster-changing");
        try (RawRedisClient c = client(port, row.sent())) {
            String[] setCluster = setCluster(2, backend).split(" ");
            expect(row, "`UMCTL` cluster-changing", c.call(setCluster), "+OK\r\n", "SETCLUSTER");
        }
        try (RawRedisClient c = client(port, row.sent())) {
            expect(row, "`UMCTL` cluster-changing", c.call("UMCTL", "SETREPL", "1", "NOFLAGS"), "+OK\r\n", "SETREPL");
        }
        try (RawRedisClient c = client(port, row.sent())) {
            // ttl_ms 0: ends leasing, so the proxy stays unfenced for the probes after this one
            expect(row, "`UMCTL` cluster-changing", c.call("UMCTL", "LEASE", "1", "0"), "+OK\r\n", "LEASE");
        }
        try (RawRedisClient c = client(port, row.sent())) {
            expect(row, "`UMCTL` cluster-changing", c.call("UMCTL", "SHUTDOWN"), "+OK\r\n", "SHUTDOWN");
            if (cell.equals("yes")) {
                await().atMost(START_TIMEOUT).until(() -> !jar.isAlive());
                assertThat(jar.exitValue()).as("%s: exit code after UMCTL SHUTDOWN", row).isZero();
            } else {
                assertThat(c.call("PING")).as("%s: still serving after a refused SHUTDOWN", row)
                        .isIn("+PONG\r\n", "-NOAUTH Authentication required.\r\n");
                assertThat(jar.isAlive()).isTrue();
            }
        }
    }

    private static void expect(Row row, String column, String reply, String allowed) {
        expect(row, column, reply, allowed, null);
    }

    private static void expect(Row row, String column, String reply, String allowed, String command) {
        String cell = row.cell(column);
        assertThat(reply).as("%s: %s %s", row, column, command == null ? "" : command)
                .isEqualTo(cell.equals("yes") ? allowed : error(cell, command));
    }

    /** The cell's error as the proxy sends it; {@code <command>} stands for the command sent. */
    private static String error(String cell, String command) {
        assertThat(cell).startsWith("`").endsWith("`");
        String text = cell.substring(1, cell.length() - 1);
        return "-" + (command == null ? text : text.replace("<command>", command)) + "\r\n";
    }

    private static String message(String payload) {
        return "*3\r\n$7\r\nmessage\r\n$" + CHANNEL.length() + "\r\n" + CHANNEL + "\r\n$" + payload.length() + "\r\n"
                + payload + "\r\n";
    }

    /** A connection that has sent {@code sent} first, each answered +OK. */
    private static RawRedisClient client(int port, List<List<String>> sent) {
        RawRedisClient c = new RawRedisClient(port);
        for (List<String> command : sent) {
            assertThat(c.call(command.toArray(String[]::new))).as("%s", command).isEqualTo("+OK\r\n");
        }
        return c;
    }

    private static RawRedisClient subscriber(int port, String password) {
        RawRedisClient sub = client(port, password == null ? List.of() : List.of(List.of("AUTH", password)));
        assertThat(sub.call("SUBSCRIBE", CHANNEL))
                .isEqualTo("*3\r\n$9\r\nsubscribe\r\n$" + CHANNEL.length() + "\r\n" + CHANNEL + "\r\n:1\r\n");
        return sub;
    }

    /** The auth matrix of docs/operations.md; a blank configuration cell repeats the row above. */
    private static List<Row> matrix() {
        List<String> lines;
        try {
            lines = Files.readAllLines(docs().resolve("operations.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int start = lines.indexOf("<!-- auth-matrix: read by proxy-server AuthMatrixIT -->");
        int end = lines.indexOf("<!-- end auth-matrix -->");
        assertThat(start).as("the auth matrix markers in operations.md").isNotNegative().isLessThan(end);
        List<String> header = cells(lines.get(start + 1));
        assertThat(header.subList(2, header.size())).isEqualTo(COLUMNS);
        List<Row> rows = new ArrayList<>();
        Pattern code = Pattern.compile("`([^`]*)`");
        for (int i = start + 3; i < end; i++) {
            List<String> cells = cells(lines.get(i));
            assertThat(cells).as("line %d", i + 1).hasSize(2 + COLUMNS.size());
            List<String> flags = cells.get(0).equals("none") ? List.of()
                    : Arrays.asList(cells.get(0).replace("`", "").split(" "));
            List<List<String>> sent = new ArrayList<>();
            if (!cells.get(1).equals("nothing")) {
                Matcher m = code.matcher(cells.get(1));
                while (m.find()) {
                    sent.add(Arrays.asList(m.group(1).split(" ")));
                }
                assertThat(sent).as("line %d: what the connection sent", i + 1).isNotEmpty();
            }
            rows.add(new Row(i + 1, flags, sent, cells.subList(2, cells.size())));
        }
        return rows;
    }

    private static List<String> cells(String line) {
        String inner = line.trim();
        assertThat(inner).startsWith("|").endsWith("|");
        return Arrays.stream(inner.substring(1, inner.length() - 1).split("\\|", -1)).map(String::trim).toList();
    }

    private static String setCluster(long epoch, RedisProcess backend) {
        return "UMCTL SETCLUSTER v2 " + epoch + " NOFLAGS matrix " + backend.address() + " 1 0-16383";
    }

    /** SETCLUSTER for a proxy owning {@code ownSlots} on {@code backend}, then peer address, range, ... */
    private static String setClusterWithPeers(RedisProcess backend, String ownSlots, String... peers) {
        StringBuilder line = new StringBuilder("UMCTL SETCLUSTER v2 1 NOFLAGS relay " + backend.address() + " 1 "
                + ownSlots + " PEER");
        for (int i = 0; i < peers.length; i += 2) {
            line.append(' ').append(peers[i]).append(" 1 ").append(peers[i + 1]);
        }
        return line.toString();
    }

    private static String[] concat(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private Process startJar(String name, String... args) {
        return startJar(name, List.of(args));
    }

    private Process startJar(String name, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-jar", ShadedJar.path().toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // the developer's own MOONSHARD_*/UNDERMOON_* settings must not change what the test sees
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        try {
            Process p = builder.start();
            jars.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitStarted(Process jar, String name) {
        await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertThat(jar.isAlive()).as("%s exited; stdout:%n%s%nstderr:%n%s", name, stdout(name),
                    read(dir.resolve(name + ".err"))).isTrue();
            return stdout(name).contains(" msg=started ");
        });
    }

    private String stdout(String name) {
        return read(dir.resolve(name + ".out"));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    private static Path docs() {
        String configured = System.getProperty("moonshard.docs");
        return configured != null ? Path.of(configured) : Path.of("..", "docs");
    }
}
