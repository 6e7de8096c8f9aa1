package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.ProxyConfig.NodeIdStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

    /** Two valid values per key: {@code a} differs from the default, {@code b} differs from {@code a}. */
    private record Sample(String a, Object aValue, String b, Object bValue, Function<ServerSettings, Object> read) {
    }

    private static final Map<String, Sample> SAMPLES = Map.ofEntries(
            Map.entry("address", new Sample("127.0.0.2:6000", "127.0.0.2:6000", "127.0.0.3:6001",
                    "127.0.0.3:6001", s -> s.proxy().address())),
            Map.entry("announce_address", new Sample("10.0.0.1:7000", "10.0.0.1:7000", "10.0.0.2:7001",
                    "10.0.0.2:7001", s -> s.proxy().announceAddress())),
            Map.entry("thread_number", new Sample("3", 3, "4", 4, s -> s.proxy().threads())),
            Map.entry("backend_conn_num", new Sample("2", 2, "3", 3, s -> s.proxy().backendConnNum())),
            Map.entry("password", new Sample("s3cret", "s3cret", "other", "other", s -> s.proxy().password())),
            Map.entry("admin_password", new Sample("adm1n", "adm1n", "adm2n", "adm2n",
                    s -> s.proxy().adminPassword())),
            Map.entry("cluster_secret", new Sample("s1", "s1", "s2", "s2", s -> s.proxy().clusterSecret())),
            Map.entry("session_timeout", new Sample("1500", Duration.ofMillis(1500), "2500",
                    Duration.ofMillis(2500), s -> s.proxy().sessionTimeout())),
            Map.entry("backend_timeout", new Sample("4000", Duration.ofMillis(4000), "5000",
                    Duration.ofMillis(5000), s -> s.proxy().backendTimeout())),
            Map.entry("backend_connect_timeout", new Sample("250", Duration.ofMillis(250), "350",
                    Duration.ofMillis(350), s -> s.proxy().connectTimeout())),
            Map.entry("max_clients", new Sample("100", 100, "200", 200, s -> s.proxy().maxClients())),
            Map.entry("max_pending_commands", new Sample("50", 50, "60", 60, s -> s.proxy().maxPendingCommands())),
            Map.entry("max_pending_reply_bytes", new Sample("1048576", 1048576L, "2097152", 2097152L,
                    s -> s.proxy().maxPendingReplyBytes())),
            Map.entry("proto_max_bulk_len", new Sample("1024", 1024L, "2048", 2048L,
                    s -> s.proxy().protoMaxBulkLen())),
            Map.entry("client_query_buffer_limit", new Sample("2097152", 2097152L, "3145728", 3145728L,
                    s -> s.proxy().clientQueryBufferLimit())),
            Map.entry("max_total_query_buffer_bytes", new Sample("8388608", 8388608L, "0", 0L,
                    s -> s.proxy().maxTotalQueryBufferBytes())),
            Map.entry("node_id_format", new Sample("undermoon", NodeIdStyle.UNDERMOON, "seed", NodeIdStyle.SEED,
                    s -> s.proxy().nodeIdFormat())),
            Map.entry("cluster_nodes_version", new Sample("v2", true, "v1", false, s -> s.proxy().clusterBusPort())),
            Map.entry("initial_setcluster", new Sample(
                    "UMCTL SETCLUSTER v2 1 NOFLAGS a 127.0.0.1:6379 1 0-16383",
                    "UMCTL SETCLUSTER v2 1 NOFLAGS a 127.0.0.1:6379 1 0-16383",
                    "UMCTL SETCLUSTER v2 2 NOFLAGS b 127.0.0.1:6380 1 0-16383",
                    "UMCTL SETCLUSTER v2 2 NOFLAGS b 127.0.0.1:6380 1 0-16383",
                    s -> s.proxy().initialSetCluster())),
            Map.entry("log_level", new Sample("debug", "debug", "warn", "warn", ServerSettings::logLevel)),
            Map.entry("shutdown_timeout", new Sample("2000", Duration.ofMillis(2000), "3000",
                    Duration.ofMillis(3000), ServerSettings::shutdownTimeout)),
            Map.entry("admin_port", new Sample("9100", 9100, "9101", 9101, ServerSettings::adminPort)),
            Map.entry("admin_address", new Sample("0.0.0.0", "0.0.0.0", "10.0.0.5", "10.0.0.5",
                    ServerSettings::adminAddress)),
            Map.entry("tls_port", new Sample("6380", 6380, "6381", 6381, s -> s.proxy().tlsPort())),
            Map.entry("tls_cert_file", new Sample("/etc/moonshard/a.crt", "/etc/moonshard/a.crt",
                    "/etc/moonshard/b.crt", "/etc/moonshard/b.crt", s -> s.proxy().tlsCertFile())),
            Map.entry("tls_key_file", new Sample("/etc/moonshard/a.key", "/etc/moonshard/a.key",
                    "/etc/moonshard/b.key", "/etc/moonshard/b.key", s -> s.proxy().tlsKeyFile())),
            Map.entry("tls_ca_file", new Sample("/etc/moonshard/ca-a.crt", "/etc/moonshard/ca-a.crt",
                    "/etc/moonshard/ca-b.crt", "/etc/moonshard/ca-b.crt", s -> s.proxy().tlsCaFile())),
            Map.entry("tls_auth_clients", new Sample("true", true, "false", false, s -> s.proxy().tlsAuthClients())),
            Map.entry("tls_only", new Sample("true", true, "false", false, s -> s.proxy().tlsOnly())),
            Map.entry("aclfile", new Sample("/etc/moonshard/a.acl", "/etc/moonshard/a.acl",
                    "/etc/moonshard/b.acl", "/etc/moonshard/b.acl", s -> s.proxy().aclFile())),
            Map.entry("allow_dangerous_commands", new Sample("true", true, "false", false,
                    s -> s.proxy().allowDangerousCommands())),
            Map.entry("allow_cross_slot_local", new Sample("true", true, "false", false,
                    s -> s.proxy().allowCrossSlotLocal())),
            Map.entry("show_replicas", new Sample("false", false, "true", true, s -> s.proxy().showReplicas())),
            Map.entry("write_ack", new Sample("replica", ProxyConfig.WriteAck.REPLICA, "async",
                    ProxyConfig.WriteAck.ASYNC, s -> s.proxy().writeAck())),
            Map.entry("transport", new Sample("io_uring", ProxyConfig.Transport.IO_URING, "nio",
                    ProxyConfig.Transport.NIO, s -> s.proxy().transport())),
            Map.entry("write_ack_timeout_ms", new Sample("250", Duration.ofMillis(250), "60000",
                    Duration.ofMillis(60000), s -> s.proxy().writeAckTimeout())),
            Map.entry("slowlog_log_slower_than", new Sample("5000", 5000L, "-1", -1L,
                    s -> s.proxy().slowlogLogSlowerThan())),
            Map.entry("slowlog_max_len", new Sample("1024", 1024, "0", 0, s -> s.proxy().slowlogMaxLen())),
            Map.entry("users", new Sample("alice:a1,bob:b:1", Map.of("alice", "a1", "bob", "b:1"), "carol:c1",
                    Map.of("carol", "c1"), s -> s.proxy().users())),
            Map.entry("backend_user", new Sample("moonshard", "moonshard", "proxy", "proxy",
                    s -> s.proxy().backendUser())),
            Map.entry("backend_password", new Sample("bpw1", "bpw1", "bpw2", "bpw2", s -> s.proxy().backendPassword())),
            Map.entry("max_dedicated_connections", new Sample("50", 50, "0", 0,
                    s -> s.proxy().maxDedicatedConnections())),
            Map.entry("client_output_buffer_limit", new Sample("normal 1mb 0 0",
                    "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
                    "pubsub 1k 2kb 3 normal 4gb 5 6",
                    "normal 4294967296 5 6 slave 268435456 67108864 60 pubsub 1000 2048 3",
                    s -> s.proxy().clientOutputBufferLimit().format())),
            Map.entry("max_client_output_bytes", new Sample("1048576", 1048576L, "0", 0L,
                    s -> s.proxy().maxClientOutputBytes())));

    /**
     * Flags a key's sample needs to form a valid configuration (ProxyConfig checks the combination);
     * they name other keys, so they never compete with the key under test.
     */
    private static final Map<String, List<String>> PREREQUISITES = Map.of(
            "tls_port", List.of("--tls-cert-file", "/c.pem", "--tls-key-file", "/k.pem"),
            "tls_auth_clients", List.of("--tls-ca-file", "/ca.pem"),
            "tls_only", List.of("--tls-port", "6380", "--tls-cert-file", "/c.pem", "--tls-key-file", "/k.pem"),
            "backend_user", List.of("--backend-password", "bpw"));

    @TempDir
    Path dir;

    static Stream<String> keys() {
        return ConfigOptions.ALL.stream().map(ConfigOption::key);
    }

    @Test
    void samplesCoverEveryOption() {
        assertThat(SAMPLES.keySet()).containsExactlyInAnyOrderElementsOf(keys().toList());
    }

    @Test
    void givesProxyConfigDefaults_whenNothingIsSet() {
        ServerSettings s = load(List.of(), Map.of(), null);

        assertThat(s.proxy()).isEqualTo(ProxyConfig.defaults());
        assertThat(s.proxy().address()).isEqualTo("127.0.0.1:5299");
        assertThat(s.proxy().announceAddress()).isEqualTo("127.0.0.1:5299");
        assertThat(s.logLevel()).isEqualTo("info");
        assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.configFile()).isNull();
        assertThat(s.warnings()).isEmpty();
        assertThat(s.adminPort()).isZero();
        assertThat(s.adminAddress()).isEqualTo("127.0.0.1");
        assertThat(s.adminEnabled()).isFalse();
    }

    @Test
    void adminEndpoint_isOnOnlyWithAPort() {
        assertThat(load(List.of("--admin-address", "0.0.0.0"), Map.of(), null).adminEnabled()).isFalse();
        assertThat(load(List.of("--admin-port", "0"), Map.of(), null).adminEnabled()).isFalse();
        ServerSettings on = load(List.of(), Map.of("MOONSHARD_ADMIN_PORT", "9100"), null);
        assertThat(on.adminEnabled()).isTrue();
        assertThat(on.adminAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void adminPort_andAdminAddress_fromTheFile() throws IOException {
        Path file = write("admin.toml", "admin_port = 9100\nadmin_address = \"0.0.0.0\"\n");

        ServerSettings s = load(List.of(), Map.of(), file);

        assertThat(s.adminPort()).isEqualTo(9100);
        assertThat(s.adminAddress()).isEqualTo("0.0.0.0");
    }

    @Test
    void adminAddress_acceptsNamesAndIpv6_withoutBrackets() {
        assertThat(load(List.of("--admin-address", "localhost"), Map.of(), null).adminAddress()).isEqualTo("localhost");
        assertThat(load(List.of("--admin-address", "::1"), Map.of(), null).adminAddress()).isEqualTo("::1");
        assertThat(load(List.of("--admin-address", "[::1]"), Map.of(), null).adminAddress()).isEqualTo("::1");
        assertThat(load(List.of("--admin-address", " 10.0.0.5 "), Map.of(), null).adminAddress()).isEqualTo("10.0.0.5");
    }

    @Test
    void rejectsBadAdminValues_namingKeyAndSource() throws IOException {
        assertThatThrownBy(() -> load(List.of("--admin-port", "65536"), Map.of(), null))
                .hasMessage("admin_port: invalid value '65536' (from --admin-port): "
                        + "expected a port number between 0 and 65535");
        assertThatThrownBy(() -> load(List.of(), Map.of("MOONSHARD_ADMIN_PORT", "-1"), null))
                .hasMessageStartingWith("admin_port: invalid value '-1' (from MOONSHARD_ADMIN_PORT)");
        assertThatThrownBy(() -> load(List.of("--admin-address", "127.0.0.1:9100"), Map.of(), null))
                .hasMessage("admin_address: invalid value '127.0.0.1:9100' (from --admin-address): "
                        + "expected a host name or IP address, without a port");
        assertThatThrownBy(() -> load(List.of("--admin-address", "my host"), Map.of(), null))
                .hasMessageStartingWith("admin_address: invalid value 'my host'");
        assertThatThrownBy(() -> load(List.of("--admin-address", ""), Map.of(), null))
                .hasMessageStartingWith("admin_address: invalid value ''");
        Path quoted = write("quoted.toml", "admin_port = \"9100\"\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), quoted))
                .hasMessage("admin_port: expected an integer in " + quoted + ", got a string");
    }

    @Test
    void announceAddressFollowsAddress_whenOnlyAddressIsSet() {
        ServerSettings s = load(List.of("--address", "127.0.0.1:6000"), Map.of(), null);

        assertThat(s.proxy().announceAddress()).isEqualTo("127.0.0.1:6000");
    }

    @ParameterizedTest
    @MethodSource("keys")
    void readsEveryKey_fromTheFile(String key) throws IOException {
        Sample sample = SAMPLES.get(key);
        ServerSettings s = loadKey(key, List.of(), Map.of(), toml(key, sample.a()));

        assertThat(sample.read().apply(s)).isEqualTo(sample.aValue());
    }

    @ParameterizedTest
    @MethodSource("keys")
    void readsEveryKey_fromTheFlag(String key) {
        Sample sample = SAMPLES.get(key);
        ServerSettings s = loadKey(key, List.of(option(key).flag(), sample.a()), Map.of(), null);

        assertThat(sample.read().apply(s)).isEqualTo(sample.aValue());
    }

    @ParameterizedTest
    @MethodSource("keys")
    void readsEveryKey_fromMoonshardAndUndermoonEnvironment(String key) {
        Sample sample = SAMPLES.get(key);
        ConfigOption option = option(key);

        ServerSettings ours = loadKey(key, List.of(), Map.of(option.envName(), sample.a()), null);
        ServerSettings theirs = loadKey(key, List.of(), Map.of(option.undermoonEnvName(), sample.a()), null);

        assertThat(sample.read().apply(ours)).isEqualTo(sample.aValue());
        assertThat(sample.read().apply(theirs)).isEqualTo(sample.aValue());
    }

    @ParameterizedTest
    @MethodSource("keys")
    void flagBeatsEnvironmentBeatsFile_forEveryKey(String key) throws IOException {
        Sample sample = SAMPLES.get(key);
        ConfigOption option = option(key);
        Path file = toml(key, sample.a());

        ServerSettings envOverFile = loadKey(key, List.of(), Map.of(option.envName(), sample.b()), file);
        ServerSettings flagOverEnv = loadKey(key, List.of(option.flag(), sample.a()),
                Map.of(option.envName(), sample.b(), option.undermoonEnvName(), sample.b()), file);
        ServerSettings oursOverUndermoon = loadKey(key, List.of(),
                Map.of(option.envName(), sample.a(), option.undermoonEnvName(), sample.b()), null);
        ServerSettings undermoonOverFile = loadKey(key, List.of(), Map.of(option.undermoonEnvName(), sample.b()),
                file);

        assertThat(sample.read().apply(envOverFile)).isEqualTo(sample.bValue());
        assertThat(sample.read().apply(flagOverEnv)).isEqualTo(sample.aValue());
        assertThat(sample.read().apply(oursOverUndermoon)).isEqualTo(sample.aValue());
        assertThat(sample.read().apply(undermoonOverFile)).isEqualTo(sample.bValue());
    }

    @Test
    void ignoresEmptyEnvironmentVariables() {
        ServerSettings s = load(List.of(), Map.of("MOONSHARD_BACKEND_TIMEOUT", "", "UNDERMOON_BACKEND_TIMEOUT", "7000"),
                null);

        assertThat(s.proxy().backendTimeout()).isEqualTo(Duration.ofMillis(7000));
    }

    @Test
    void acceptsChoicesInAnyCase() {
        ServerSettings s = load(List.of("--node-id-format", "UNDERMOON", "--log-level", "Debug"), Map.of(), null);

        assertThat(s.proxy().nodeIdFormat()).isEqualTo(NodeIdStyle.UNDERMOON);
        assertThat(s.logLevel()).isEqualTo("debug");
    }

    @Test
    void readsRealTomlSyntax() throws IOException {
        Path file = write("full.toml", String.join("\n",
                "# a comment",
                "address = '127.0.0.1:6000'   # literal string, trailing comment",
                "backend_timeout = 1_500",
                "max_pending_reply_bytes = 0x100000",
                "password = \"quote\\\"inside\"",
                ""));

        ServerSettings s = load(List.of(), Map.of(), file);

        assertThat(s.proxy().address()).isEqualTo("127.0.0.1:6000");
        assertThat(s.proxy().backendTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(s.proxy().maxPendingReplyBytes()).isEqualTo(1 << 20);
        assertThat(s.proxy().password()).isEqualTo("quote\"inside");
        assertThat(s.configFile()).isEqualTo(file);
    }

    @Test
    void loadsUndermoonsSampleFile_warningOncePerUnsupportedKey() throws IOException {
        // conf/server-proxy.toml as undermoon ships it (the spec's sample column)
        Path file = write("server-proxy.toml", String.join("\n",
                "address = \"127.0.0.1:5299\"",
                "announce_address = \"127.0.0.1:5299\"",
                "slowlog_len = 1024",
                "slowlog_log_slower_than = 20000",
                "slowlog_sample_rate = 1000",
                "thread_number = 2",
                "backend_conn_num = 2",
                "backend_batch_strategy = \"disabled\"",
                "backend_flush_size = 1024",
                "backend_low_flush_interval = 200000",
                "backend_high_flush_interval = 600000",
                "session_timeout = 0",
                "backend_timeout = 3000",
                "active_redirection = false",
                "max_redirections = 4",
                "default_redirection_address = \"\"",
                "cluster_nodes_version = \"v2\"",
                ""));

        ServerSettings s = load(List.of(), Map.of(), file);

        assertThat(s.proxy().threads()).isEqualTo(2);
        assertThat(s.proxy().backendConnNum()).isEqualTo(2);
        assertThat(s.proxy().clusterBusPort()).isTrue();
        // undermoon's slow log settings are honoured (slowlog_len is its name for slowlog_max_len)
        assertThat(s.proxy().slowlogMaxLen()).isEqualTo(1024);
        assertThat(s.proxy().slowlogLogSlowerThan()).isEqualTo(20000);
        assertThat(s.warnings()).hasSize(8).allSatisfy(w -> assertThat(w).contains("not implement").contains(file.toString()));
        assertThat(s.warnings()).anySatisfy(w -> assertThat(w).contains("slowlog_sample_rate"));
        assertThat(s.warnings()).noneSatisfy(w -> assertThat(w).contains("slowlog_len"));
    }

    @Test
    void refusesActiveRedirection_becauseIgnoringItWouldChangeReplies() throws IOException {
        Path file = toml("active_redirection", "true");

        assertThatThrownBy(() -> load(List.of(), Map.of(), file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("active_redirection")
                .hasMessageContaining("not supported");
    }

    @Test
    void rejectsUnknownKey_namingIt_withASuggestion() throws IOException {
        Path file = write("typo.toml", "adress = \"127.0.0.1:1\"\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), file))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown key 'adress' in " + file + " (did you mean 'address'?)");
    }

    @Test
    void rejectsUnknownKey_withoutSuggestion_whenNothingIsClose() throws IOException {
        Path file = write("unknown.toml", "colour = \"blue\"\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), file))
                .hasMessage("unknown key 'colour' in " + file);
    }

    @Test
    void rejectsTables_asUnknownKeys() throws IOException {
        Path file = write("table.toml", "[server]\naddress = \"127.0.0.1:1\"\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), file))
                .hasMessageStartingWith("unknown key 'server' in ");
    }

    @Test
    void rejectsWrongTomlTypes_namingKeyAndType() throws IOException {
        Path quotedNumber = write("a.toml", "backend_timeout = \"3000\"\n");
        Path numberAddress = write("b.toml", "address = 5299\n");
        Path floatNumber = write("c.toml", "thread_number = 2.5\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), quotedNumber))
                .hasMessage("backend_timeout: expected an integer in " + quotedNumber + ", got a string");
        assertThatThrownBy(() -> load(List.of(), Map.of(), numberAddress))
                .hasMessage("address: expected a string in " + numberAddress + ", got an integer");
        assertThatThrownBy(() -> load(List.of(), Map.of(), floatNumber))
                .hasMessage("thread_number: expected an integer in " + floatNumber + ", got a float");
    }

    @Test
    void rejectsBadValues_namingKeyAndSource() throws IOException {
        Path file = toml("backend_conn_num", "0");

        assertThatThrownBy(() -> load(List.of(), Map.of(), file))
                .hasMessage("backend_conn_num: invalid value '0' (from " + file
                        + "): expected a whole number between 1 and 2147483647");
        assertThatThrownBy(() -> load(List.of(), Map.of("MOONSHARD_BACKEND_TIMEOUT", "3s"), null))
                .hasMessage("backend_timeout: invalid value '3s' (from MOONSHARD_BACKEND_TIMEOUT): "
                        + "expected a whole number of milliseconds >= 1");
        assertThatThrownBy(() -> load(List.of(), Map.of("UNDERMOON_ADDRESS", "localhost"), null))
                .hasMessage("address: invalid value 'localhost' (from UNDERMOON_ADDRESS): expected host:port");
        assertThatThrownBy(() -> load(List.of("--log-level", "loud"), Map.of(), null))
                .hasMessage("log_level: invalid value 'loud' (from --log-level): "
                        + "expected one of trace, debug, info, warn, error, off");
        assertThatThrownBy(() -> load(List.of("--thread-number", "-1"), Map.of(), null))
                .hasMessageStartingWith("thread_number: invalid value '-1' (from --thread-number)");
        assertThatThrownBy(() -> load(List.of("--max-clients", "99999999999"), Map.of(), null))
                .hasMessageStartingWith("max_clients: invalid value '99999999999'");
        assertThatThrownBy(() -> load(List.of("--announce-address", "127.0.0.1:0"), Map.of(), null))
                .hasMessageStartingWith("announce_address: invalid value '127.0.0.1:0'");
        assertThatThrownBy(() -> load(List.of("--cluster-nodes-version", "v3"), Map.of(), null))
                .hasMessageStartingWith("cluster_nodes_version: invalid value 'v3'");
    }

    @Test
    void everyNumericKeyRejectsText() {
        for (ConfigOption option : ConfigOptions.ALL) {
            if (option.kind().numeric()) {
                assertThatThrownBy(() -> load(List.of(option.flag(), "many"), Map.of(), null))
                        .as(option.key())
                        .isInstanceOf(ConfigException.class)
                        .hasMessageStartingWith(option.key() + ": invalid value 'many' (from " + option.flag() + ")");
            }
        }
    }

    @Test
    void tlsOptions_fromTheFile_withTomlBooleans() throws IOException {
        Path file = write("tls.toml", String.join("\n",
                "address = \"0.0.0.0:6379\"",
                "tls_port = 16379",
                "tls_cert_file = \"/etc/moonshard/proxy.crt\"",
                "tls_key_file = \"/etc/moonshard/proxy.key\"",
                "tls_ca_file = \"/etc/moonshard/ca.crt\"",
                "tls_auth_clients = true",
                "tls_only = false",
                ""));

        ProxyConfig p = load(List.of(), Map.of(), file).proxy();

        assertThat(p.tlsPort()).isEqualTo(16379);
        assertThat(p.tlsEnabled()).isTrue();
        assertThat(p.tlsPortOffset()).isEqualTo(10000);
        assertThat(p.tlsCertFile()).isEqualTo("/etc/moonshard/proxy.crt");
        assertThat(p.tlsKeyFile()).isEqualTo("/etc/moonshard/proxy.key");
        assertThat(p.tlsCaFile()).isEqualTo("/etc/moonshard/ca.crt");
        assertThat(p.tlsAuthClients()).isTrue();
        assertThat(p.tlsOnly()).isFalse();
    }

    @Test
    void booleans_acceptTrueFalseYesNo_inFlagsAndVariables() {
        List<String> tls = List.of("--tls-ca-file", "/ca.pem");
        assertThat(load(concat(tls, "--tls-auth-clients", "YES"), Map.of(), null).proxy().tlsAuthClients()).isTrue();
        assertThat(load(concat(tls, "--tls-auth-clients", "no"), Map.of(), null).proxy().tlsAuthClients()).isFalse();
        assertThat(load(tls, Map.of("MOONSHARD_TLS_AUTH_CLIENTS", "True"), null).proxy().tlsAuthClients()).isTrue();
        assertThatThrownBy(() -> load(concat(tls, "--tls-auth-clients", "1"), Map.of(), null))
                .hasMessage("tls_auth_clients: invalid value '1' (from --tls-auth-clients): expected true or false");
    }

    @Test
    void rejectsQuotedBooleans_inTheFile() throws IOException {
        Path quoted = write("quoted-bool.toml", "tls_only = \"true\"\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), quoted))
                .hasMessage("tls_only: expected a boolean in " + quoted + ", got a string");
    }

    @Test
    void rejectsIncompleteTlsSettings_namingTheKeys() {
        assertThatThrownBy(() -> load(List.of("--tls-port", "6380"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid configuration: tls_port needs tls_cert_file and tls_key_file");
        assertThatThrownBy(() -> load(List.of("--tls-auth-clients", "true"), Map.of(), null))
                .hasMessage("invalid configuration: tls_auth_clients needs tls_ca_file");
        assertThatThrownBy(() -> load(List.of("--tls-only", "true"), Map.of(), null))
                .hasMessage("invalid configuration: tls_only needs tls_port");
        List<String> files = List.of("--tls-cert-file", "/c.pem", "--tls-key-file", "/k.pem");
        assertThatThrownBy(() -> load(concat(files, "--tls-port", "5299"), Map.of(), null))
                .hasMessage("invalid configuration: tls_port must differ from the port of address, both are 5299");
        assertThatThrownBy(() -> load(concat(files, "--tls-port", "6380", "--address", "127.0.0.1:0"), Map.of(), null))
                .hasMessageStartingWith("invalid configuration: tls_port needs a fixed port in address");
    }

    @Test
    void slowlog_defaultsLikeRedis_acceptsMinusOne_andRejectsLess() {
        ProxyConfig defaults = load(List.of(), Map.of(), null).proxy();
        assertThat(defaults.slowlogLogSlowerThan()).isEqualTo(10_000);
        assertThat(defaults.slowlogMaxLen()).isEqualTo(128);
        assertThat(load(List.of("--slowlog-log-slower-than", "-1"), Map.of(), null).proxy().slowlogLogSlowerThan())
                .isEqualTo(-1);
        assertThat(load(List.of("--slowlog-log-slower-than", "0"), Map.of(), null).proxy().slowlogLogSlowerThan())
                .isZero();
        assertThatThrownBy(() -> load(List.of(), Map.of("MOONSHARD_SLOWLOG_LOG_SLOWER_THAN", "-2"), null))
                .hasMessage("slowlog_log_slower_than: invalid value '-2' (from MOONSHARD_SLOWLOG_LOG_SLOWER_THAN): "
                        + "expected a whole number between -1 and 9223372036854775807");
        assertThatThrownBy(() -> load(List.of("--slowlog-max-len", "-1"), Map.of(), null))
                .hasMessageStartingWith("slowlog_max_len: invalid value '-1' (from --slowlog-max-len)");
    }

    @Test
    void undermoonsSlowlogLen_setsSlowlogMaxLen_fromTheFileAndItsVariable() throws IOException {
        Path file = write("undermoon-len.toml", "slowlog_len = 300\n");
        assertThat(load(List.of(), Map.of(), file).proxy().slowlogMaxLen()).isEqualTo(300);
        assertThat(load(List.of(), Map.of(), file).warnings()).isEmpty();
        assertThat(load(List.of(), Map.of("UNDERMOON_SLOWLOG_LEN", "400"), file).proxy().slowlogMaxLen()).isEqualTo(400);
        assertThat(load(List.of(), Map.of("UNDERMOON_SLOWLOG_LEN", "400", "UNDERMOON_SLOWLOG_MAX_LEN", "500"), null)
                .proxy().slowlogMaxLen()).isEqualTo(500);
        assertThat(load(List.of("--slowlog-max-len", "7"), Map.of("UNDERMOON_SLOWLOG_LEN", "400"), file)
                .proxy().slowlogMaxLen()).isEqualTo(7);

        Path both = write("both-len.toml", "slowlog_len = 300\nslowlog_max_len = 200\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), both))
                .isInstanceOf(ConfigException.class)
                .hasMessage("slowlog_len and slowlog_max_len are both set in " + both
                        + " (slowlog_len is undermoon's name for slowlog_max_len); keep one");
        Path quoted = write("quoted-len.toml", "slowlog_len = \"300\"\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), quoted))
                .hasMessage("slowlog_len: expected an integer in " + quoted + ", got a string");
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void neverEchoesPasswords() {
        // a secret cannot be malformed, so check the display rule the error path uses
        assertThat(ConfigOptions.byKey("password").orElseThrow().display("hunter2")).doesNotContain("hunter2");
        assertThat(ConfigOptions.byKey("admin_password").orElseThrow().display("hunter2")).doesNotContain("hunter2");
        assertThat(ConfigOptions.byKey("backend_password").orElseThrow().display("hunter2")).doesNotContain("hunter2");
        assertThat(ConfigOptions.byKey("cluster_secret").orElseThrow().display("hunter2")).doesNotContain("hunter2");
        assertThat(ConfigOptions.byKey("users").orElseThrow().display("alice:hunter2")).doesNotContain("hunter2");
    }

    @Test
    void users_fromATomlTable_orSectionOrString_withAnyPassword() throws IOException {
        Path inline = write("users-inline.toml", "users = { alice = \"a,1\", \"bob.smith\" = \"b:2\" }\n");
        Path section = write("users-section.toml", "address = \"127.0.0.1:6000\"\n[users]\nalice = \"a1\"\n");
        Path text = write("users-text.toml", "users = \"alice:a1, bob:b 2\"\n");

        assertThat(load(List.of(), Map.of(), inline).proxy().users())
                .isEqualTo(Map.of("alice", "a,1", "bob.smith", "b:2"));
        ServerSettings fromSection = load(List.of(), Map.of(), section);
        assertThat(fromSection.proxy().users()).isEqualTo(Map.of("alice", "a1"));
        assertThat(fromSection.proxy().address()).isEqualTo("127.0.0.1:6000");
        assertThat(load(List.of(), Map.of(), text).proxy().users()).isEqualTo(Map.of("alice", "a1", "bob", "b 2"));
        // the flag beats the file's table
        assertThat(load(List.of("--users", "carol:c1"), Map.of(), inline).proxy().users())
                .isEqualTo(Map.of("carol", "c1"));
        assertThat(load(List.of("--users", ""), Map.of(), null).proxy().users()).isEmpty();
    }

    @Test
    void users_rejectsMalformedEntries_withoutEchoingPasswords() throws IOException {
        assertThatThrownBy(() -> load(List.of("--users", "alice:hunter2,bobhunter3"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("users: invalid value (hidden) (from --users): expected user:password pairs separated "
                        + "by commas (e.g. alice:pw1,bob:pw2)");
        assertThatThrownBy(() -> load(List.of(), Map.of("MOONSHARD_USERS", "alice:"), null))
                .hasMessageStartingWith("users: invalid value (hidden) (from MOONSHARD_USERS): ")
                .hasMessageEndingWith("with a non-empty user and password");
        assertThatThrownBy(() -> load(List.of("--users", "default:hunter2"), Map.of(), null))
                .hasMessageContaining("the default user's password is the password option")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        assertThatThrownBy(() -> load(List.of("--users", "alice:hunter2,alice:hunter3"), Map.of(), null))
                .hasMessageEndingWith("user 'alice' is given twice")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter"));
        Path number = write("users-number.toml", "[users]\nalice = 1234\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), number))
                .hasMessage("users: expected a string password for user 'alice' in " + number + ", got an integer");
        Path array = write("users-array.toml", "users = [\"alice:a1\"]\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), array))
                .hasMessage("users: expected a table or a string in " + array + ", got an array");
        Path defaultUser = write("users-default.toml", "[users]\ndefault = \"hunter2\"\n");
        assertThatThrownBy(() -> load(List.of(), Map.of(), defaultUser))
                .hasMessageStartingWith("users: invalid value (hidden) (from " + defaultUser + "): ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    void backendUser_needsBackendPassword() {
        assertThatThrownBy(() -> load(List.of("--backend-user", "moonshard"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid configuration: backend_user needs backend_password");
        ProxyConfig p = load(List.of(), Map.of("MOONSHARD_BACKEND_PASSWORD", "bpw"), null).proxy();
        assertThat(p.backendPassword()).isEqualTo("bpw");
        assertThat(p.backendUser()).isNull();
    }

    @Test
    void writeAckTimeout_isBetweenOneMillisecondAndAMinute() {
        assertThatThrownBy(() -> load(List.of("--write-ack-timeout-ms", "60001"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid configuration: write_ack_timeout_ms must be between 1 and 60000, got 60001");
        assertThatThrownBy(() -> load(List.of("--write-ack-timeout-ms", "0"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("write_ack_timeout_ms");
        assertThatThrownBy(() -> load(List.of("--write-ack", "sync"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected one of async, replica");
    }

    @Test
    void maxDedicatedConnections_acceptsZero_andRejectsLess() {
        assertThat(load(List.of(), Map.of(), null).proxy().maxDedicatedConnections()).isEqualTo(10_000);
        assertThatThrownBy(() -> load(List.of("--max-dedicated-connections", "-1"), Map.of(), null))
                .hasMessage("max_dedicated_connections: invalid value '-1' (from --max-dedicated-connections): "
                        + "expected a whole number between 0 and 2147483647");
    }

    @Test
    void rejectsInvalidToml_andMissingFiles_namingTheFile() throws IOException {
        Path broken = write("broken.toml", "address = \"127.0.0.1:1\n");
        Path duplicate = write("dup.toml", "address = \"127.0.0.1:1\"\naddress = \"127.0.0.1:2\"\n");
        Path missing = dir.resolve("missing.toml");

        assertThatThrownBy(() -> load(List.of(), Map.of(), broken))
                .hasMessageStartingWith("config file " + broken + " is not valid TOML");
        assertThatThrownBy(() -> load(List.of(), Map.of(), duplicate))
                .hasMessageStartingWith("config file " + duplicate + " is not valid TOML");
        assertThatThrownBy(() -> load(List.of(), Map.of(), missing))
                .hasMessage("config file " + missing + " does not exist");
    }

    @Test
    void errorMessagesAreOneLine() throws IOException {
        Path broken = write("broken2.toml", "[a\nb = 1\n");

        assertThatThrownBy(() -> load(List.of(), Map.of(), broken))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r"));
    }

    private static ConfigOption option(String key) {
        return ConfigOptions.byKey(key).orElseThrow();
    }

    /** {@link #load} with the flags {@code key}'s sample needs ({@link #PREREQUISITES}) added. */
    private ServerSettings loadKey(String key, List<String> args, Map<String, String> env, Path file) {
        List<String> all = new ArrayList<>(PREREQUISITES.getOrDefault(key, List.of()));
        all.addAll(args);
        return load(all, env, file);
    }

    private ServerSettings load(List<String> args, Map<String, String> env, Path file) {
        List<String> all = new ArrayList<>(args);
        if (file != null) {
            all.add("--config");
            all.add(file.toString());
        }
        Cli.Parsed parsed = Cli.parse(all.toArray(String[]::new), new HashMap<>(env));
        return ConfigLoader.load(parsed.flags(), parsed.configFile(), env);
    }

    private Path toml(String key, String text) throws IOException {
        ConfigOption option = ConfigOptions.byKey(key).orElse(null);
        boolean bare = option == null || option.kind().numeric() || option.kind() == ConfigOption.Kind.BOOLEAN;
        String value = bare ? text : "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return write(key + ".toml", key + " = " + value + "\n");
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }
}
