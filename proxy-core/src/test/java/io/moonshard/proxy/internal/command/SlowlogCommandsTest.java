package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SLOWLOG and UMCTL SLOWLOG through the real client pipeline (decoder + session + dispatcher) in an
 * EmbeddedChannel, with commands the proxy answers itself: replies and Redis's errors, byte for byte.
 */
class SlowlogCommandsTest {

    private EmbeddedChannel channel;

    private void start(UnaryOperator<ProxyConfig.Builder> tuning) {
        ProxyConfig config = tuning.apply(ProxyConfig.builder().address("127.0.0.1:5299")).build();
        ProxyContext proxy = new ProxyContext(config, new Bootstrap(), () -> { });
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(new RespRequestDecoder());
        channel.pipeline().addLast(new ClientSession(proxy, proxy.poolFor(channel.eventLoop()), 9));
        channel.pipeline().fireChannelActive();
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private String call(String inline) {
        channel.writeInbound(Unpooled.copiedBuffer(inline + "\r\n", StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void thresholdZero_logsEveryCommand_withArgsClientAndName() {
        start(b -> b.slowlogLogSlowerThan(0));
        call("CLIENT SETNAME tester");
        call("ECHO hello");

        String reply = call("SLOWLOG GET 1");

        // one entry: id 1, a timestamp, a duration, [ECHO hello], the client address, the name
        assertThat(reply).matches("(?s)\\*1\r\n\\*6\r\n:1\r\n:\\d+\r\n:\\d+\r\n\\*2\r\n\\$4\r\nECHO\r\n\\$5\r\nhello\r\n"
                + "\\$\\d+\r\n[^\r]+\r\n\\$6\r\ntester\r\n");
        assertThat(call("SLOWLOG LEN")).isEqualTo(":3\r\n"); // CLIENT SETNAME, ECHO, SLOWLOG GET
        assertThat(call("SLOWLOG RESET")).isEqualTo("+OK\r\n");
        assertThat(call("SLOWLOG LEN")).isEqualTo(":1\r\n"); // the RESET itself, logged after its reply
        assertThat(call("SLOWLOG GET 0")).isEqualTo("*0\r\n");
    }

    @Test
    void getCount_defaultsTo10_andMinusOneMeansAll() {
        start(b -> b.slowlogLogSlowerThan(0));
        for (int i = 0; i < 15; i++) {
            call("PING");
        }
        assertThat(call("SLOWLOG GET")).startsWith("*10\r\n*6\r\n:14\r\n");
        assertThat(call("SLOWLOG GET -1")).startsWith("*16\r\n*6\r\n:15\r\n");
        assertThat(call("slowlog get 2")).startsWith("*2\r\n*6\r\n:16\r\n");
    }

    @Test
    void maxLen_boundsTheLog() {
        start(b -> b.slowlogLogSlowerThan(0).slowlogMaxLen(3));
        for (int i = 0; i < 10; i++) {
            call("PING");
        }
        assertThat(call("SLOWLOG LEN")).isEqualTo(":3\r\n");
    }

    @Test
    void defaultThreshold_doesNotLogFastCommands_andMinusOneLogsNothing() {
        start(b -> b);
        call("PING");
        assertThat(call("SLOWLOG LEN")).isEqualTo(":0\r\n");
        tearDown();

        start(b -> b.slowlogLogSlowerThan(-1));
        call("PING");
        assertThat(call("SLOWLOG LEN")).isEqualTo(":0\r\n");
        assertThat(call("SLOWLOG GET")).isEqualTo("*0\r\n");
    }

    @Test
    void badArguments_getRedis7Errors() {
        start(b -> b);
        assertThat(call("SLOWLOG GET -2")).isEqualTo("-ERR count should be greater than or equal to -1\r\n");
        assertThat(call("SLOWLOG GET many")).isEqualTo("-ERR count should be greater than or equal to -1\r\n");
        assertThat(call("SLOWLOG GET 1 2"))
                .isEqualTo("-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n");
        assertThat(call("SLOWLOG FOO")).isEqualTo("-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n");
        assertThat(call("SLOWLOG LEN x")).isEqualTo("-ERR wrong number of arguments for 'slowlog|len' command\r\n");
        assertThat(call("SLOWLOG RESET x")).isEqualTo("-ERR wrong number of arguments for 'slowlog|reset' command\r\n");
        assertThat(call("SLOWLOG HELP x")).isEqualTo("-ERR wrong number of arguments for 'slowlog|help' command\r\n");
        assertThat(call("SLOWLOG")).isEqualTo("-ERR wrong number of arguments for 'slowlog' command\r\n");
        assertThat(call("slowlog help")).startsWith("*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
    }

    @Test
    void umctlSlowlog_getLenReset_withTheBreakdown() {
        start(b -> b.slowlogLogSlowerThan(0));
        call("ECHO hi");

        String reply = call("UMCTL SLOWLOG GET 1");

        assertThat(reply).startsWith("*1\r\n*9\r\n$5\r\nid: 0\r\n$13\r\nsession_id: 9\r\n");
        assertThat(reply).contains("duration_us: ", "proxy_us: ", "backend_us: 0\r\n", "client_name: \r\n",
                "$16\r\ncommand: ECHO hi\r\n");
        assertThat(call("UMCTL SLOWLOG LEN")).isEqualTo(":2\r\n");
        assertThat(call("UMCTL SLOWLOG")).startsWith("*3\r\n");
        assertThat(call("UMCTL SLOWLOG GET nonsense")).startsWith("*4\r\n");
        assertThat(call("UMCTL SLOWLOG RESET")).isEqualTo("+OK\r\n");
        assertThat(call("UMCTL SLOWLOG LEN")).isEqualTo(":1\r\n");
        assertThat(call("UMCTL SLOWLOG FOO")).isEqualTo("-invalid slowlog sub-command\r\n");
    }

    @Test
    void authPassword_isRedactedInTheLog() {
        start(b -> b.slowlogLogSlowerThan(0).password("s3cret"));
        call("AUTH s3cret");

        String reply = call("SLOWLOG GET");

        assertThat(reply).contains("$4\r\nAUTH\r\n$10\r\n(redacted)\r\n").doesNotContain("s3cret");
    }
}
