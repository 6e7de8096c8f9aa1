package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @Test
    void helpListsEveryOption_withItsDefault() {
        int code = run(Map.of(), "--help");

        String help = out.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        assertThat(code).isZero();
        for (ConfigOption option : ConfigOptions.ALL) {
            assertThat(help).as(option.key())
                    .contains(option.flag() + "=" + option.paramLabel())
                    .contains("Default: " + option.defaultText() + ".");
        }
        assertThat(help).contains("--config=FILE", "--help", "--version");
        assertThat(help).contains("Default: 127.0.0.1:5299.");
        assertThat(help).contains("Precedence: flag > MOONSHARD_* > UNDERMOON_* > config file > default.");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void versionPrintsTheBuildVersion() {
        int code = run(Map.of(), "--version");

        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).matches("moonshard-proxy \\d+\\.\\d+\\.\\d+\\S*\\R");
    }

    @Test
    void unknownFlag_exits2_withOneLineNamingIt() {
        int code = run(Map.of(), "--adress", "127.0.0.1:1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("moonshard: ").contains("--adress")
                .hasLineCount(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void repeatedFlagOrMissingValue_exits2() {
        assertThat(run(Map.of(), "--address", "127.0.0.1:1", "--address", "127.0.0.1:2")).isEqualTo(2);
        assertThat(run(Map.of(), "--backend-timeout")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--address").contains("--backend-timeout");
    }

    @Test
    void unknownConfigKey_exits2_namingTheKey() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.toml"), "backend_timout = 10\n");

        int code = run(Map.of(), "--config", file.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("moonshard: unknown key 'backend_timout' in " + file
                        + " (did you mean 'backend_timeout'?)" + System.lineSeparator());
    }

    @Test
    void readsTheConfigFileNamedByMoonshardConfig() throws IOException {
        Path file = Files.writeString(dir.resolve("env.toml"), "nonsense_key = 1\n");

        int code = run(Map.of("MOONSHARD_CONFIG", file.toString()));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nonsense_key").contains(file.toString());
    }

    @Test
    void configFlagBeatsMoonshardConfig() {
        Cli.Parsed parsed = Cli.parse(new String[] {"-c", "/etc/flag.toml"}, Map.of("MOONSHARD_CONFIG", "/etc/env.toml"));
        Cli.Parsed fromEnv = Cli.parse(new String[0], Map.of("MOONSHARD_CONFIG", "/etc/env.toml"));
        Cli.Parsed none = Cli.parse(new String[0], Map.of("MOONSHARD_CONFIG", ""));

        assertThat(parsed.configFile()).isEqualTo(Path.of("/etc/flag.toml"));
        assertThat(fromEnv.configFile()).isEqualTo(Path.of("/etc/env.toml"));
        assertThat(none.configFile()).isNull();
    }

    @Test
    void badEnvironmentValue_exits2_namingTheVariable() {
        int code = run(Map.of("MOONSHARD_LOG_LEVEL", "chatty"));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("moonshard: log_level: invalid value 'chatty' (from MOONSHARD_LOG_LEVEL)");
    }

    @Test
    void addressInUse_exits1_withOneLineNamingTheAddress() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();

            // preemptive: if start() wrongly succeeded, run() would block until shutdown
            int code = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> run(Map.of(), "--address", address, "--thread-number", "1"));

            assertThat(code).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .startsWith("moonshard: cannot start on " + address + ": ").hasLineCount(1);
        }
    }

    @Test
    void missingTlsFile_exits2_withOneLineNamingTheOption() {
        Path missing = dir.resolve("missing.crt");

        int code = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(Map.of(),
                "--address", "127.0.0.1:1", "--thread-number", "1", "--tls-port", "2",
                "--tls-cert-file", missing.toString(), "--tls-key-file", missing.toString()));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("moonshard: invalid configuration: TLS: tls_cert_file " + missing
                        + " does not exist or is not a file" + System.lineSeparator());
    }

    private int run(Map<String, String> env, String... args) {
        return Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
