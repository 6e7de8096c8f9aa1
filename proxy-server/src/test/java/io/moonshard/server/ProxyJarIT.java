package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real shaded jar ({@code target/moonshard-proxy.jar}, built by {@code package} before
 * failsafe runs) as a separate {@code java -jar} process, as a user would.
 */
class ProxyJarIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** The design note's CLUSTER NODES text; the proxy announces 127.0.0.1:5299 as in the note. */
    private static final String DESIGN_NOTE_NODES =
            "mydb________________9f8fca2805923328____ 127.0.0.1:5299 myself,master - 0 0 1 connected 0-8000\n"
                    + "mydb________________d458dd9b55cc9ad9____ 127.0.0.1:7000 master - 0 0 1 connected 8001-16383\n";

    @TempDir
    Path dir;

    private final List<JarProcess> jars = new ArrayList<>();
    private RedisProcess redis;

    @AfterEach
    void stopEverything() {
        jars.forEach(JarProcess::kill);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void reproducesTheDesignNoteSession_byteForByte() {
        redis = RedisProcess.start();
        int port = FreePorts.next();
        JarProcess proxy = startJar("transcript", "--address", "127.0.0.1:" + port,
                "--announce-address", "127.0.0.1:5299");
        proxy.awaitStarted();

        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-8000", "PEER", "127.0.0.1:7000", "1", "8001-16383")).isEqualTo("+OK\r\n");
            assertThat(client.call("CLUSTER", "NODES")).isEqualTo(
                    "$" + DESIGN_NOTE_NODES.getBytes(StandardCharsets.UTF_8).length + "\r\n" + DESIGN_NOTE_NODES + "\r\n");
            assertThat(client.call("get", "a")).isEqualTo("-MOVED 15495 127.0.0.1:7000\r\n");
            assertThat(client.call("set", "b", "1")).isEqualTo("+OK\r\n");
        }
        assertThat(redis.rawCommand("GET", "b")).isEqualTo("$1\r\n1\r\n");
    }

    @Test
    void aclFileUser_restrictedToItsKeysAndCommands_whileTheDefaultUserIsNot() throws IOException {
        redis = RedisProcess.start();
        int port = FreePorts.next();
        Path aclFile = Files.writeString(dir.resolve("users.acl"),
                "user app on >app-pw ~app:* &app:* +@all -@dangerous\n");
        JarProcess proxy = startJar("acl", "--address", "127.0.0.1:" + port, "--aclfile", aclFile.toString());
        proxy.awaitStarted();
        try (RawRedisClient admin = new RawRedisClient(port); RawRedisClient app = new RawRedisClient(port)) {
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-16383")).isEqualTo("+OK\r\n");
            assertThat(app.call("AUTH", "app", "wrong"))
                    .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            assertThat(app.call("AUTH", "app", "app-pw")).isEqualTo("+OK\r\n");
            assertThat(app.call("ACL", "WHOAMI")).isEqualTo("$3\r\napp\r\n");
            assertThat(app.call("SET", "app:1", "v")).isEqualTo("+OK\r\n");
            assertThat(app.call("GET", "app:1")).isEqualTo("$1\r\nv\r\n");
            String noKey = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
            assertThat(app.call("SET", "other", "v")).isEqualTo(noKey);
            assertThat(app.call("MSET", "app:2", "v", "other", "v")).isEqualTo(noKey);
            assertThat(app.call("PUBLISH", "news", "m")).isEqualTo(
                    "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n");
            for (String[] denied : List.of(new String[] {"FLUSHALL"}, new String[] {"CONFIG", "GET", "requirepass"},
                    new String[] {"CONFIG", "SET", "maxmemory", "1"}, new String[] {"CLIENT", "PAUSE", "100000"},
                    new String[] {"DEBUG", "SLEEP", "0"}, new String[] {"KEYS", "*"}, new String[] {"SAVE"},
                    new String[] {"MIGRATE", "127.0.0.1", "1", "app:1", "0", "10"},
                    new String[] {"ACL", "SETUSER", "app", "+@all"})) {
                String name = denied[0].toLowerCase() + (denied.length > 1 && !denied[0].equals("KEYS")
                        && !denied[0].equals("DEBUG") && !denied[0].equals("MIGRATE")
                        ? "|" + denied[1].toLowerCase() : "");
                assertThat(app.call(denied)).as(String.join(" ", denied))
                        .isEqualTo("-NOPERM this user has no permissions to run the '" + name + "' command\r\n");
            }
            assertThat(admin.call("CLIENT", "LIST")).contains(" user=app ");
            assertThat(admin.call("ACL", "LOG", "1")).contains("\r\nacl|setuser\r\n").contains("\r\napp\r\n");
            assertThat(redis.rawCommand("EXISTS", "other")).isEqualTo(":0\r\n");
            assertThat(redis.rawCommand("CONFIG", "GET", "maxmemory")).isEqualTo("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");

            // the default user (nopass, all permissions) still can
            assertThat(admin.call("CONFIG", "GET", "maxmemory")).startsWith("*2\r\n");
            assertThat(admin.call("CLIENT", "PAUSE", "10")).isEqualTo("+OK\r\n");
            assertThat(admin.call("SET", "other", "v")).isEqualTo("+OK\r\n");

            // ACL SAVE writes the canonical rules; ACL LOAD replaces the users and closes the removed ones' clients
            assertThat(admin.call("ACL", "SETUSER", "ops", "on", ">ops-pw", "+@admin")).isEqualTo("+OK\r\n");
            assertThat(admin.call("ACL", "SAVE")).isEqualTo("+OK\r\n");
            assertThat(Files.readString(aclFile)).contains(
                    "user app on #" + sha256("app-pw") + " ~app:* resetchannels &app:* +@all -@dangerous\n",
                    "user default on nopass ~* &* +@all\n", "user ops on #" + sha256("ops-pw"));
            Files.writeString(aclFile, "user ops on >ops-pw ~* +@all\n");
            assertThat(admin.call("ACL", "LOAD")).isEqualTo("+OK\r\n");
            assertThat(admin.call("ACL", "USERS")).isEqualTo("*2\r\n$7\r\ndefault\r\n$3\r\nops\r\n");
            assertThat(app.isClosedByServer()).as("the deleted user's connection").isTrue();
            Files.writeString(aclFile, "user ops on bogus\n");
            assertThat(admin.call("ACL", "LOAD")).isEqualTo("-ERR " + aclFile + ":1: Syntax error. WARNING: ACL "
                    + "errors detected, no change to the previously active ACL rules was performed\r\n");
            assertThat(admin.call("ACL", "USERS")).isEqualTo("*2\r\n$7\r\ndefault\r\n$3\r\nops\r\n");
        }
        assertThat(redis.rawCommand("GET", "other")).isEqualTo("$1\r\nv\r\n");
    }

    /**
     * Issue 12, item 6: a client of the jar can neither read the backend's password nor lock the proxy
     * out of its own Redis; the proxy's dedicated connections (BLPOP, SUBSCRIBE) keep working after.
     */
    @Test
    void backendPassword_neitherReadNorChangedThroughTheJar() {
        redis = RedisProcess.start("--requirepass", "backend-secret-91");
        int port = FreePorts.next();
        JarProcess proxy = startJar("protected", "--address", "127.0.0.1:" + port,
                "--backend-password", "backend-secret-91");
        proxy.awaitStarted();
        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "mydb", redis.address(), "1",
                    "0-16383")).isEqualTo("+OK\r\n");
            assertThat(client.call("CONFIG", "GET", "requirepass")).isEqualTo("*0\r\n");
            assertThat(client.call("CONFIG", "GET", "*")).doesNotContain("backend-secret-91").contains("\r\nmaxmemory\r\n");
            assertThat(client.call("CONFIG", "SET", "requirepass", "x")).isEqualTo("-ERR CONFIG SET failed (possibly "
                    + "related to argument 'requirepass') - can't set protected config; the proxy's own setting is "
                    + "'moonshard-password'\r\n");
            assertThat(client.call("CONFIG", "SET", "dir", "/tmp")).startsWith("-ERR CONFIG SET failed");
            assertThat(client.call("BLPOP", "{q}list", "0.05")).isEqualTo("*-1\r\n");
            assertThat(client.call("SUBSCRIBE", "news")).isEqualTo("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
        }
        try (RawRedisClient direct = new RawRedisClient(redis.port())) {
            assertThat(direct.call("AUTH", "backend-secret-91")).isEqualTo("+OK\r\n");
            assertThat(direct.call("CONFIG", "GET", "dir")).doesNotContain("\r\n/tmp\r\n");
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void logsOneStartLine_withAddressAnnounceThreadsAndVersion() {
        int port = FreePorts.next();
        JarProcess proxy = startJar("startline", "--address", "127.0.0.1:" + port,
                "--announce-address", "127.0.0.1:5299", "--thread-number", "2");

        String line = proxy.awaitStarted();

        assertThat(line).startsWith("ts=").contains(" level=INFO ", " msg=started ",
                " address=127.0.0.1:" + port, " announce=127.0.0.1:5299", " threads=2", " version=");
        assertThat(proxy.stdout().lines().filter(l -> l.contains(" msg=started "))).hasSize(1);
    }

    @Test
    void sigterm_finishesAndExitsWith143() throws InterruptedException {
        int port = FreePorts.next();
        JarProcess proxy = startJar("sigterm", "--address", "127.0.0.1:" + port);
        proxy.awaitStarted();
        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
        }

        proxy.process.destroy(); // SIGTERM

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s").isTrue();
        // the JVM exits with 128 + 15 when SIGTERM starts its shutdown, after our hook has closed the proxy
        assertThat(proxy.process.exitValue()).isEqualTo(143);
        assertThat(proxy.stdout()).contains(" msg=stopping reason=signal").contains(" msg=stopped reason=signal");
    }

    @Test
    void umctlShutdown_exitsWith0() throws InterruptedException {
        int port = FreePorts.next();
        JarProcess proxy = startJar("shutdown", "--address", "127.0.0.1:" + port);
        proxy.awaitStarted();

        try (RawRedisClient client = new RawRedisClient(port)) {
            client.send("UMCTL", "SHUTDOWN");
            assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s").isTrue();
        }

        assertThat(proxy.process.exitValue()).isZero();
        assertThat(proxy.stdout()).contains(" msg=stopped reason=shutdown-command");
    }

    @Test
    void badAclFile_exitsWith2_namingTheFileAndLine() throws IOException, InterruptedException {
        Path aclFile = Files.writeString(dir.resolve("users.acl"), "user app on ~app:*\nuser bad on +nosuch\n");

        JarProcess proxy = startJar("badacl", "--address", "127.0.0.1:" + FreePorts.next(), "--aclfile",
                aclFile.toString());

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isEqualTo(2);
        assertThat(proxy.stderr()).contains("moonshard: invalid configuration: aclfile: " + aclFile + ":2: Error in "
                + "applying operation '+nosuch': Unknown command or category name in ACL. ");
    }

    @Test
    void badConfigKey_exitsWith2_namingTheKey() throws IOException, InterruptedException {
        Path config = Files.writeString(dir.resolve("moonshard.toml"),
                "address = \"127.0.0.1:" + FreePorts.next() + "\"\nanounce_address = \"127.0.0.1:5299\"\n");

        JarProcess proxy = startJar("badkey", "--config", config.toString());

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isEqualTo(2);
        assertThat(proxy.stderr()).isEqualTo("moonshard: unknown key 'anounce_address' in " + config
                + " (did you mean 'announce_address'?)\n");
    }

    @Test
    void badEnvironmentValue_exitsWith2_namingTheVariable() throws InterruptedException {
        JarProcess proxy = startJar("badenv", Map.of("MOONSHARD_BACKEND_TIMEOUT", "soon"));

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isEqualTo(2);
        assertThat(proxy.stderr()).startsWith(
                "moonshard: backend_timeout: invalid value 'soon' (from MOONSHARD_BACKEND_TIMEOUT)");
    }

    @Test
    void helpFromTheJar_listsEveryOption() throws InterruptedException {
        JarProcess proxy = startJar("help", "--help");

        assertThat(proxy.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.process.exitValue()).isZero();
        String help = proxy.stdout().replaceAll("\\s+", " ");
        for (ConfigOption option : ConfigOptions.ALL) {
            assertThat(help).contains(option.flag() + "=").contains("Default: " + option.defaultText() + ".");
        }
    }

    private JarProcess startJar(String name, String... args) {
        return startJar(name, Map.of(), args);
    }

    private JarProcess startJar(String name, Map<String, String> env, String... args) {
        Path jar = ShadedJar.path();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // the developer's own MOONSHARD_*/UNDERMOON_* settings must not change what the test sees
        builder.environment().keySet().removeIf(k -> k.startsWith("MOONSHARD_") || k.startsWith("UNDERMOON_"));
        builder.environment().putAll(env);
        try {
            JarProcess p = new JarProcess(builder.start(), dir.resolve(name + ".out"), dir.resolve(name + ".err"));
            jars.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    /** A running jar, its output files, and how to wait for it. */
    private static final class JarProcess {
        final Process process;
        final Path out;
        final Path err;

        JarProcess(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        /** Waits for the "started" log line and returns it; fails at once if the process dies first. */
        String awaitStarted() {
            await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
                assertThat(process.isAlive())
                        .as("proxy exited with %s; stdout:%n%s%nstderr:%n%s",
                                process.isAlive() ? "-" : process.exitValue(), stdout(), stderr())
                        .isTrue();
                return stdout().contains(" msg=started ");
            });
            return stdout().lines().filter(l -> l.contains(" msg=started ")).findFirst().orElseThrow();
        }

        String stdout() {
            return read(out);
        }

        String stderr() {
            return read(err);
        }

        void kill() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
