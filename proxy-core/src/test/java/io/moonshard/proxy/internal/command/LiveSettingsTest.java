package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.LogLevelControl;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.netty.bootstrap.Bootstrap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proxy's run-time settings: Redis's glob, CONFIG GET's and CONFIG SET's rules and errors, the owners' values. */
class LiveSettingsTest {

    /** A log level hook that only remembers. */
    static final class FakeLevels implements LogLevelControl {
        volatile String level = "info";

        @Override
        public String level() {
            return level;
        }

        @Override
        public void setLevel(String level) {
            this.level = level;
        }
    }

    private final FakeLevels levels = new FakeLevels();
    private final ProxyContext proxy = new ProxyContext(ProxyConfig.builder().address("127.0.0.1:5299")
            .password("pw").users(Map.of("alice", "alice-pw")).slowlogLogSlowerThan(5000).slowlogMaxLen(7)
            .maxClients(99).backendTimeout(Duration.ofMillis(1500)).maxDedicatedConnections(12).build(),
            new Bootstrap(), () -> { }, levels);
    private final LiveSettings live = proxy.live();

    @Test
    void glob_followsRedisStringmatch_ignoringCase() {
        assertThat(LiveSettings.globMatch("*", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("moonshard-*", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("MOONSHARD-*", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("*max*", "moonshard-slowlog-max-len")).isTrue();
        assertThat(LiveSettings.globMatch("*max", "moonshard-slowlog-max-len")).isFalse();
        assertThat(LiveSettings.globMatch("moonshard-?assword", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("moonshard-??assword", "moonshard-password")).isFalse();
        assertThat(LiveSettings.globMatch("moonshard-[lmp]*", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("moonshard-[^p]*", "moonshard-password")).isFalse();
        assertThat(LiveSettings.globMatch("moonshard-[a-o]*", "moonshard-max-clients")).isTrue();
        assertThat(LiveSettings.globMatch("moonshard-[O-A]*", "moonshard-max-clients")).isTrue(); // swapped range
        assertThat(LiveSettings.globMatch("moonshard-[a-l]*", "moonshard-max-clients")).isFalse();
        assertThat(LiveSettings.globMatch("moonshard\\-password", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("moonshard-pass\\*", "moonshard-password")).isFalse();
        assertThat(LiveSettings.globMatch("a\\*", "a*")).isTrue();
        assertThat(LiveSettings.globMatch("[abc", "b")).isTrue(); // unterminated class: to the end
        assertThat(LiveSettings.globMatch("**password", "moonshard-password")).isTrue();
        assertThat(LiveSettings.globMatch("", "moonshard-password")).isFalse();
        assertThat(LiveSettings.globMatch("moonshard-password*", "moonshard-password")).isTrue();
        // no pattern takes long: dynamic programming, not backtracking
        String nasty = "*a".repeat(200) + "*b";
        assertThat(LiveSettings.globMatch(nasty, "a".repeat(300))).isFalse();
    }

    @Test
    void get_globsAndNames_eachOnce_namesShownAsGiven() {
        assertThat(live.names()).containsExactly("moonshard-password", "moonshard-slowlog-log-slower-than",
                "moonshard-slowlog-max-len", "moonshard-max-clients", "moonshard-backend-timeout",
                "moonshard-max-dedicated-connections", "moonshard-write-ack", "moonshard-write-ack-timeout-ms",
                "client-output-buffer-limit",
                "moonshard-client-query-buffer-limit", "moonshard-max-total-query-buffer-bytes",
                "moonshard-migration-keys-per-second", "moonshard-migration-fence-timeout", "moonshard-show-replicas",
                "moonshard-migration-seed-by-replication",
                "moonshard-loglevel");
        assertThat(live.get(List.of("moonshard-*"))).containsExactly(
                Map.entry("moonshard-password", "pw"),
                Map.entry("moonshard-slowlog-log-slower-than", "5000"),
                Map.entry("moonshard-slowlog-max-len", "7"),
                Map.entry("moonshard-max-clients", "99"),
                Map.entry("moonshard-backend-timeout", "1500"),
                Map.entry("moonshard-max-dedicated-connections", "12"),
                Map.entry("moonshard-write-ack", "async"),
                Map.entry("moonshard-write-ack-timeout-ms", "100"),
                Map.entry("moonshard-client-query-buffer-limit", "1073741824"),
                Map.entry("moonshard-max-total-query-buffer-bytes", "0"),
                Map.entry("moonshard-migration-keys-per-second", "0"),
                Map.entry("moonshard-migration-fence-timeout", "100"),
                Map.entry("moonshard-show-replicas", "yes"),
                Map.entry("moonshard-migration-seed-by-replication", "yes"),
                Map.entry("moonshard-loglevel", "info"));
        assertThat(live.get(List.of("MOONSHARD-MAX-CLIENTS", "*max-clients", "maxmemory")))
                .containsExactly(Map.entry("MOONSHARD-MAX-CLIENTS", "99"));
        assertThat(live.get(List.of("*slowlog*"))).extracting(Map.Entry::getKey)
                .containsExactly("moonshard-slowlog-log-slower-than", "moonshard-slowlog-max-len");
        assertThat(live.get(List.of("maxmemory*", "moonshard-nothing"))).isEmpty();
    }

    @Test
    void matchesProxyOnly_whenThePatternStartsWithThePrefix() {
        assertThat(LiveSettings.matchesProxyOnly("moonshard-*")).isTrue();
        assertThat(LiveSettings.matchesProxyOnly("Moonshard-Password")).isTrue();
        assertThat(LiveSettings.matchesProxyOnly("*")).isFalse();
        assertThat(LiveSettings.matchesProxyOnly("moon*")).isFalse();
        assertThat(LiveSettings.matchesProxyOnly("maxmemory")).isFalse();
    }

    @Test
    void set_appliesEveryValue_toItsOwner() {
        live.prepare(List.of("moonshard-slowlog-log-slower-than", "-1", "MOONSHARD-SLOWLOG-MAX-LEN", "3",
                "moonshard-max-clients", "5", "moonshard-backend-timeout", "250",
                "moonshard-max-dedicated-connections", "0", "moonshard-loglevel", "DEBUG",
                "moonshard-write-ack", "Replica", "moonshard-write-ack-timeout-ms", "250")).apply();

        assertThat(proxy.slowlog().enabled()).isFalse();
        assertThat(proxy.slowlog().maxLen()).isEqualTo(3);
        assertThat(proxy.clients().maxClients()).isEqualTo(5);
        assertThat(live.backendTimeoutNanos()).isEqualTo(250_000_000L);
        assertThat(live.maxDedicatedConnections()).isZero();
        assertThat(proxy.tryAcquireDedicatedConnection()).isFalse();
        assertThat(levels.level).isEqualTo("debug");
        assertThat(proxy.limits().writeAck().waitsForReplica()).isTrue();
        assertThat(proxy.limits().writeAck().timeoutMillis()).isEqualTo(250);
        assertThat(live.get(List.of("moonshard-write-ack*"))).containsExactly(
                Map.entry("moonshard-write-ack", "replica"), Map.entry("moonshard-write-ack-timeout-ms", "250"));
        assertThat(live.get(List.of("moonshard-loglevel"))).containsExactly(Map.entry("moonshard-loglevel", "debug"));
        // the start configuration is what it was
        assertThat(proxy.config().maxClients()).isEqualTo(99);
    }

    @Test
    void password_isTheDefaultUsersPassword_keepingTheUsers_andEmptyMeansNone() {
        live.prepare(List.of("moonshard-password", "new-pw")).apply();
        assertThat(proxy.acl().authenticate("default", bytes("new-pw"))).isNotNull();
        assertThat(proxy.acl().authenticate("default", bytes("pw"))).isNull();
        assertThat(proxy.acl().authenticate("alice", bytes("alice-pw"))).isNotNull();
        assertThat(proxy.credentials().openByDefault()).isFalse();

        live.prepare(List.of("moonshard-password", "")).apply();
        assertThat(proxy.credentials().openByDefault()).isTrue();
        assertThat(live.get(List.of("moonshard-password"))).containsExactly(Map.entry("moonshard-password", ""));
        assertThat(proxy.acl().authenticate("alice", bytes("alice-pw"))).isNotNull();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void set_refusesWithRedisErrors_andChangesNothing() {
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-max-clients", "5", "moonshard-colour", "blue")))
                .hasMessage("ERR Unknown option or number of arguments for CONFIG SET - 'moonshard-colour'");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-max-clients", "5", "MOONSHARD-max-clients", "6")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'MOONSHARD-max-clients') - "
                        + "duplicate parameter");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-max-clients", "5", "moonshard-slowlog-max-len", "x")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-slowlog-max-len') - "
                        + "argument couldn't be parsed into an integer");
        assertThatThrownBy(() -> live.prepare(List.of("Moonshard-Max-Clients", "0")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-max-clients') - "
                        + "argument must be between 1 and 2147483647 inclusive");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-slowlog-log-slower-than", "-2")))
                .hasMessageEndingWith("argument must be between -1 and 9223372036854775807 inclusive");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-backend-timeout", "+5")))
                .hasMessageEndingWith("argument couldn't be parsed into an integer");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-backend-timeout", "05")))
                .hasMessageEndingWith("argument couldn't be parsed into an integer");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-backend-timeout", "99999999999999999999")))
                .hasMessageEndingWith("argument couldn't be parsed into an integer");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-loglevel", "loud")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-loglevel') - "
                        + "argument(s) must be one of the following: trace, debug, info, warn, error, off");
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-max-clients")))
                .hasMessage("ERR syntax error");

        assertThat(proxy.clients().maxClients()).isEqualTo(99);
        assertThat(levels.level).isEqualTo("info");
    }

    @Test
    void showReplicas_isARedisBoolean_appliedToTheClusterState() {
        assertThat(proxy.cluster().replicas().shown()).isTrue();
        live.prepare(List.of("moonshard-show-replicas", "NO")).apply();
        assertThat(proxy.cluster().replicas().shown()).isFalse();
        assertThat(live.get(List.of("moonshard-show-replicas"))).containsExactly(Map.entry("moonshard-show-replicas", "no"));
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-show-replicas", "true")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-show-replicas') - "
                        + "argument must be 'yes' or 'no'");
        live.prepare(List.of("moonshard-show-replicas", "yes")).apply();
        assertThat(proxy.cluster().replicas().shown()).isTrue();
    }

    @Test
    void describe_hidesThePassword() {
        assertThat(live.prepare(List.of("moonshard-password", "hunter2", "moonshard-max-clients", "5")).describe())
                .containsExactly("moonshard-password=(hidden)", "moonshard-max-clients=5");
    }

    @Test
    void queryBufferLimits_takeRedisMemoryValues_withRedisErrors() {
        live.prepare(List.of("moonshard-client-query-buffer-limit", "2mb",
                "moonshard-max-total-query-buffer-bytes", "3G")).apply();
        assertThat(proxy.queryBuffers().clientLimit()).isEqualTo(2L * 1024 * 1024);
        assertThat(proxy.queryBuffers().totalLimit()).isEqualTo(3_000_000_000L);
        live.prepare(List.of("moonshard-client-query-buffer-limit", "1048576",
                "moonshard-max-total-query-buffer-bytes", "0")).apply();
        assertThat(proxy.queryBuffers().clientLimit()).isEqualTo(1024 * 1024);
        assertThat(proxy.queryBuffers().totalLimit()).isEqualTo(ProxyConfig.defaultTotalQueryBufferBytes());
        assertThat(live.get(List.of("moonshard-max-total-query-buffer-bytes")))
                .containsExactly(Map.entry("moonshard-max-total-query-buffer-bytes", "0"));
        // Redis 7.0's texts for client-query-buffer-limit
        assertThatThrownBy(() -> live.prepare(List.of("moonshard-client-query-buffer-limit", "1000")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-client-query-buffer-limit')"
                        + " - argument must be between 1048576 and 9223372036854775807 inclusive");
        for (String bad : List.of("abc", "1tb", "-1", "", "mb", "99999999999999999999")) {
            assertThatThrownBy(() -> live.prepare(List.of("moonshard-client-query-buffer-limit", bad)))
                    .as(bad).hasMessageEndingWith(" - argument must be a memory value");
        }
        assertThat(proxy.queryBuffers().clientLimit()).isEqualTo(1024 * 1024);
    }

    @Test
    void migrationBudgetAndFenceTimeout_setLive_onTheEngineSettings() {
        ProxyContext plain = new ProxyContext(ProxyConfig.builder().address("127.0.0.1:5299").build(),
                new Bootstrap(), () -> { });
        plain.live().prepare(List.of("moonshard-migration-keys-per-second", "50000",
                "moonshard-migration-fence-timeout", "250")).apply();
        assertThat(plain.migration().settings().keysPerSecond()).isEqualTo(50_000);
        assertThat(plain.migration().settings().fenceTimeoutMillis()).isEqualTo(250);
        assertThatThrownBy(() -> plain.live().prepare(List.of("moonshard-migration-keys-per-second", "-1")))
                .hasMessageContaining("moonshard-migration-keys-per-second");
        assertThat(plain.migration().settings().keysPerSecond()).isEqualTo(50_000);

        assertThat(plain.migration().settings().seedByReplication()).isTrue();
        plain.live().prepare(List.of("moonshard-migration-seed-by-replication", "No")).apply();
        assertThat(plain.migration().settings().seedByReplication()).isFalse();
        assertThat(plain.live().get(List.of("moonshard-migration-seed-by-replication")))
                .containsExactly(Map.entry("moonshard-migration-seed-by-replication", "no"));
        // Redis's own error for a bool config
        assertThatThrownBy(() -> plain.live().prepare(List.of("moonshard-migration-seed-by-replication", "1")))
                .hasMessage("ERR CONFIG SET failed (possibly related to argument 'moonshard-migration-seed-by-replication')"
                        + " - argument must be 'yes' or 'no'");
        plain.live().prepare(List.of("moonshard-migration-seed-by-replication", "yes")).apply();
        assertThat(plain.migration().settings().seedByReplication()).isTrue();
    }

    @Test
    void withoutALogLevelHook_thereIsNoLoglevelSetting() {
        ProxyContext plain = new ProxyContext(ProxyConfig.builder().address("127.0.0.1:5299").build(),
                new Bootstrap(), () -> { });
        assertThat(plain.live().names()).doesNotContain("moonshard-loglevel").hasSize(15);
        assertThatThrownBy(() -> plain.live().prepare(List.of("moonshard-loglevel", "debug")))
                .hasMessage("ERR Unknown option or number of arguments for CONFIG SET - 'moonshard-loglevel'");
        assertThat(plain.live().get(List.of("moonshard-password"))).containsExactly(Map.entry("moonshard-password", ""));
    }

    @Test
    void slowlog_thresholdAndLength_changeAtRunTime() {
        SlowLog log = new SlowLog(-1, 2);
        assertThat(log.enabled()).isFalse();
        log.logSlowerThanMicros(100);
        assertThat(log.enabled()).isTrue();
        assertThat(log.isSlow(99)).isFalse();
        assertThat(log.isSlow(100)).isTrue();
        io.moonshard.resp.RespCommand cmd = io.moonshard.resp.RespCommand.of("PING");
        try {
            for (int i = 0; i < 2; i++) {
                log.add(cmd, 200, 0, "127.0.0.1:1", "", 1);
            }
            assertThat(log.size()).isEqualTo(2);
            log.maxLen(1); // as Redis: trimmed with the next entry
            assertThat(log.size()).isEqualTo(2);
            log.add(cmd, 200, 0, "127.0.0.1:1", "", 1);
            assertThat(log.size()).isEqualTo(1);
            assertThat(log.newest(-1).get(0).id()).isEqualTo(2);
        } finally {
            cmd.release();
        }
    }
}
