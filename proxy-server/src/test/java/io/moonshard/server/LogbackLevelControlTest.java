package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.ProxyServer;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** CONFIG SET moonshard-loglevel in the server: the proxy's hook sets logback's root level at run time. */
class LogbackLevelControlTest {

    private final ch.qos.logback.classic.Logger root =
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
    private final Level before = root.getLevel();

    @AfterEach
    void restore() {
        root.setLevel(before);
    }

    @Test
    void readsAndSetsTheRootLevel() {
        LogbackLevelControl control = new LogbackLevelControl();

        control.setLevel("error");
        assertThat(root.getLevel()).isEqualTo(Level.ERROR);
        assertThat(control.level()).isEqualTo("error");
        control.setLevel("off");
        assertThat(control.level()).isEqualTo("off");
        root.setLevel(Level.ALL);
        assertThat(control.level()).isEqualTo("trace");
    }

    @Test
    void configSet_changesTheLogbackLevel_ofARunningProxy() throws Exception {
        ProxyLauncher.applyLogLevel(ServerSettings.DEFAULT_LOG_LEVEL); // the server's default, whatever the tests' config says
        try (ProxyServer proxy = ProxyServer.builder()
                .config(ProxyConfig.builder().address("127.0.0.1:" + FreePorts.next()).threads(1).build())
                .logLevelControl(new LogbackLevelControl()).build().start();
             RawRedisClient client = new RawRedisClient(proxy.boundAddress().getPort())) {
            assertThat(client.call("CONFIG", "GET", "moonshard-loglevel"))
                    .isEqualTo("*2\r\n$18\r\nmoonshard-loglevel\r\n$4\r\ninfo\r\n");

            assertThat(client.call("CONFIG", "SET", "moonshard-loglevel", "debug")).isEqualTo("+OK\r\n");

            assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
            assertThat(LoggerFactory.getLogger("io.moonshard.proxy.internal.backend.BackendConnection").isDebugEnabled()).isTrue();
            assertThat(client.call("CONFIG", "GET", "moonshard-loglevel"))
                    .isEqualTo("*2\r\n$18\r\nmoonshard-loglevel\r\n$5\r\ndebug\r\n");
            assertThat(client.call("CONFIG", "SET", "moonshard-loglevel", "chatty"))
                    .startsWith("-ERR CONFIG SET failed (possibly related to argument 'moonshard-loglevel')");
            assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
        }
    }
}
