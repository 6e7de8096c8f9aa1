package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CONFIG through the real client pipeline (decoder + session + dispatcher) in EmbeddedChannels sharing
 * one proxy, without backends: the proxy's moonshard-* settings, its errors, the log level hook, and a
 * password rotation seen by new connections only.
 */
class ConfigCommandsTest {

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final LiveSettingsTest.FakeLevels levels = new LiveSettingsTest.FakeLevels();
    private ProxyContext proxy;

    private void start(UnaryOperator<ProxyConfig.Builder> tuning) {
        ProxyConfig config = tuning.apply(ProxyConfig.builder().address("127.0.0.1:5299")).build();
        proxy = new ProxyContext(config, new Bootstrap(), () -> { }, levels);
    }

    private EmbeddedChannel connect() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(new RespRequestDecoder());
        channel.pipeline().addLast(new ClientSession(proxy, proxy.poolFor(channel.eventLoop()), channels.size() + 1));
        channel.pipeline().fireChannelActive();
        channels.add(channel);
        return channel;
    }

    @AfterEach
    void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private static String call(EmbeddedChannel channel, String... args) {
        channel.writeInbound(Unpooled.wrappedBuffer(io.moonshard.testkit.RawRedisClient.encode(args)));
        channel.runPendingTasks();
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void get_proxyPatterns_answeredWithoutBackends_inResp2AndResp3() {
        start(b -> b.maxClients(77));
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "GET", "moonshard-max-clients"))
                .isEqualTo("*2\r\n$21\r\nmoonshard-max-clients\r\n$2\r\n77\r\n");
        assertThat(call(c, "config", "get", "moonshard-max-c*", "MOONSHARD-MAX-CLIENTS"))
                .isEqualTo("*2\r\n$21\r\nmoonshard-max-clients\r\n$2\r\n77\r\n");
        assertThat(call(c, "CONFIG", "GET", "moonshard-nothing")).isEqualTo("*0\r\n");
        String all = call(c, "CONFIG", "GET", "moonshard-*");
        assertThat(all).startsWith("*30\r\n").contains("$18\r\nmoonshard-password\r\n$0\r\n\r\n",
                "$18\r\nmoonshard-loglevel\r\n$4\r\ninfo\r\n", "$25\r\nmoonshard-backend-timeout\r\n$4\r\n3000\r\n");
        assertThat(call(c, "HELLO", "3")).startsWith("%");
        assertThat(call(c, "CONFIG", "GET", "moonshard-slowlog-max-len"))
                .isEqualTo("%1\r\n$25\r\nmoonshard-slowlog-max-len\r\n$3\r\n128\r\n");
    }

    @Test
    void get_withRedisPatterns_needsTheBackends_asBefore() {
        start(b -> b);
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "GET", "*")).isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
        assertThat(call(c, "CONFIG", "GET", "maxmemory", "moonshard-max-clients"))
                .isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
        assertThat(call(c, "CONFIG", "SET", "maxmemory", "1mb")).isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
        assertThat(call(c, "CONFIG", "RESETSTAT")).isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
    }

    @Test
    void set_changesTheProxy_withRedisErrors_forAnyMistake() {
        start(b -> b);
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients", "5", "moonshard-slowlog-max-len", "9"))
                .isEqualTo("+OK\r\n");
        assertThat(proxy.clients().maxClients()).isEqualTo(5);
        assertThat(call(c, "CONFIG", "GET", "moonshard-slowlog-max-len"))
                .isEqualTo("*2\r\n$25\r\nmoonshard-slowlog-max-len\r\n$1\r\n9\r\n");
        assertThat(call(c, "INFO", "clients")).contains("maxclients:5\r\n");

        assertThat(call(c, "CONFIG", "SET", "moonshard-colour", "blue"))
                .isEqualTo("-ERR Unknown option or number of arguments for CONFIG SET - 'moonshard-colour'\r\n");
        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients", "6", "moonshard-max-clients"))
                .isEqualTo("-ERR syntax error\r\n");
        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients", "6", "moonshard-backend-timeout", "0"))
                .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'moonshard-backend-timeout') - "
                        + "argument must be between 1 and 2147483647 inclusive\r\n");
        assertThat(proxy.clients().maxClients()).isEqualTo(5); // nothing applied
        // a mixed command is checked before anything goes to the backends
        assertThat(call(c, "CONFIG", "SET", "maxmemory", "1mb", "moonshard-max-clients", "x"))
                .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'moonshard-max-clients') - "
                        + "argument couldn't be parsed into an integer\r\n");
        assertThat(call(c, "CONFIG", "SET", "maxmemory", "1mb", "moonshard-max-clients", "7"))
                .isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
        assertThat(proxy.clients().maxClients()).isEqualTo(5);
        // table errors stay Redis's
        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients"))
                .isEqualTo("-ERR wrong number of arguments for 'config|set' command\r\n");
        assertThat(call(c, "CONFIG", "NOPE")).isEqualTo("-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n");
        assertThat(call(c, "CONFIG")).isEqualTo("-ERR wrong number of arguments for 'config' command\r\n");
    }

    @Test
    void loglevel_goesThroughTheHook() {
        start(b -> b);
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "SET", "moonshard-loglevel", "WARN")).isEqualTo("+OK\r\n");
        assertThat(levels.level).isEqualTo("warn");
        assertThat(call(c, "CONFIG", "GET", "moonshard-loglevel"))
                .isEqualTo("*2\r\n$18\r\nmoonshard-loglevel\r\n$4\r\nwarn\r\n");
        assertThat(call(c, "CONFIG", "SET", "moonshard-loglevel", "verbose")).startsWith(
                "-ERR CONFIG SET failed (possibly related to argument 'moonshard-loglevel') - argument(s) must be one of");
        assertThat(levels.level).isEqualTo("warn");
    }

    @Test
    void passwordRotation_newConnectionsNeedTheNewPassword_authenticatedOnesKeepWorking() {
        start(b -> b.password("old").users(Map.of("alice", "alice-pw")));
        EmbeddedChannel authenticated = connect();
        EmbeddedChannel waiting = connect();
        assertThat(call(authenticated, "AUTH", "old")).isEqualTo("+OK\r\n");

        assertThat(call(authenticated, "CONFIG", "SET", "moonshard-password", "new")).isEqualTo("+OK\r\n");

        assertThat(call(authenticated, "PING")).isEqualTo("+PONG\r\n");
        assertThat(call(waiting, "PING")).isEqualTo("-NOAUTH Authentication required.\r\n");
        EmbeddedChannel fresh = connect();
        assertThat(call(fresh, "PING")).isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(call(fresh, "AUTH", "old"))
                .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assertThat(call(fresh, "AUTH", "new")).isEqualTo("+OK\r\n");
        assertThat(call(fresh, "CONFIG", "GET", "moonshard-password"))
                .isEqualTo("*2\r\n$18\r\nmoonshard-password\r\n$3\r\nnew\r\n");
        EmbeddedChannel named = connect();
        assertThat(call(named, "AUTH", "alice", "alice-pw")).isEqualTo("+OK\r\n");

        // no password at all: as in Redis, even a connection that never authenticated may go on
        assertThat(call(fresh, "CONFIG", "SET", "moonshard-password", "")).isEqualTo("+OK\r\n");
        assertThat(call(waiting, "PING")).isEqualTo("+PONG\r\n");
        assertThat(call(connect(), "PING")).isEqualTo("+PONG\r\n");
        // and a password again: the one that never authenticated needs it again, as in Redis
        assertThat(call(fresh, "CONFIG", "SET", "moonshard-password", "third")).isEqualTo("+OK\r\n");
        assertThat(call(waiting, "PING")).isEqualTo("-NOAUTH Authentication required.\r\n");
    }

    @Test
    void passwordChange_isRedactedInTheSlowlog() {
        start(b -> b.slowlogLogSlowerThan(0));
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "SET", "moonshard-password", "hunter2")).isEqualTo("+OK\r\n");

        assertThat(call(c, "SLOWLOG", "GET", "1")).contains("(redacted)").doesNotContain("hunter2");
    }

    @Test
    void withAnAdminPassword_changingTheProxyNeedsUmctlAuth() {
        start(b -> b.adminPassword("adm"));
        EmbeddedChannel c = connect();

        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients", "5"))
                .isEqualTo("-NOAUTH CONFIG SET of the proxy's settings needs the admin password (UMCTL AUTH)\r\n");
        assertThat(call(c, "CONFIG", "GET", "moonshard-max-clients")).contains("10000");
        assertThat(call(c, "UMCTL", "AUTH", "adm")).isEqualTo("+OK\r\n");
        assertThat(call(c, "CONFIG", "SET", "moonshard-max-clients", "5")).isEqualTo("+OK\r\n");
        assertThat(proxy.clients().maxClients()).isEqualTo(5);
    }

    @Test
    void theAdminPassword_setsAndClearsTheClientPassword_withoutIt_butReachesNothingElse() {
        start(b -> b.password("old").adminPassword("adm"));
        EmbeddedChannel controller = connect();

        assertThat(call(controller, "CONFIG", "SET", "moonshard-password", "new"))
                .isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(call(controller, "UMCTL", "AUTH", "adm")).isEqualTo("+OK\r\n");
        assertThat(call(controller, "CONFIG", "SET", "moonshard-password", "new")).isEqualTo("+OK\r\n");
        assertThat(call(controller, "CONFIG", "GET", "moonshard-pass*"))
                .isEqualTo("*2\r\n$18\r\nmoonshard-password\r\n$3\r\nnew\r\n");
        // the backends' parameters and the data still need the client password
        assertThat(call(controller, "CONFIG", "SET", "moonshard-max-clients", "7", "maxmemory", "1mb"))
                .isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(call(controller, "CONFIG", "GET", "maxmemory")).isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(call(controller, "PING")).isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(proxy.clients().maxClients()).isEqualTo(10000);
        EmbeddedChannel client = connect();
        assertThat(call(client, "AUTH", "new")).isEqualTo("+OK\r\n");

        // cleared: as Redis with requirepass "", a new connection needs no AUTH
        assertThat(call(controller, "CONFIG", "SET", "moonshard-password", "")).isEqualTo("+OK\r\n");
        assertThat(call(connect(), "PING")).isEqualTo("+PONG\r\n");
        assertThat(call(controller, "PING")).isEqualTo("+PONG\r\n");
    }

    @Test
    void appendPairs_extendsTheBackendsReply_inEitherProtocol_andPassesErrorsOn() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        List<Map.Entry<String, String>> own = List.of(Map.entry("moonshard-max-clients", "5"));
        String pair = "$21\r\nmoonshard-max-clients\r\n$1\r\n5\r\n";

        assertThat(text(ConfigCommands.appendPairs(alloc, buf("*2\r\n$6\r\nmaxmem\r\n$1\r\n0\r\n"), own)))
                .isEqualTo("*4\r\n$6\r\nmaxmem\r\n$1\r\n0\r\n" + pair);
        assertThat(text(ConfigCommands.appendPairs(alloc, buf("%1\r\n$6\r\nmaxmem\r\n$1\r\n0\r\n"), own)))
                .isEqualTo("%2\r\n$6\r\nmaxmem\r\n$1\r\n0\r\n" + pair);
        assertThat(text(ConfigCommands.appendPairs(alloc, buf("*0\r\n"), own))).isEqualTo("*2\r\n" + pair);
        assertThat(text(ConfigCommands.appendPairs(alloc, buf("-ERR nope\r\n"), own))).isEqualTo("-ERR nope\r\n");
    }

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }
}
