package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Differential: each malformed request gets the same error from a real redis-server and from our decoder. */
class ProtocolErrorsIT {

    private static RedisProcess redis;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void ourErrorTextEqualsRedisForEveryMalformedInput() {
        List<String> inputs = List.of(
                "*3000000000\r\n",
                "*1\r\n$foo\r\n",
                "*1\r\n$-10\r\n",
                "*1\r\n$2000000000\r\n",
                "*1\r\n$blabla\r\n",
                "*20\r\nfoo\r\n",
                "*2\r\n$3\r\nGET\r\n:1\r\n",
                "set \"unbalanced\r\n",
                "set 'unbalanced\r\n",
                "set \"a\"b\r\n",
                "*abc\r\n");
        for (String input : inputs) {
            String fromRedis;
            try (RawRedisClient client = new RawRedisClient(redis.port())) {
                client.sendRaw(input);
                fromRedis = client.readReply();
                assertThat(client.isClosedByServer()).as("redis closes after %s", input).isTrue();
            }
            List<String> ours = RequestDecoderTest.decode(input.getBytes(StandardCharsets.ISO_8859_1),
                    new int[] {Integer.MAX_VALUE});
            assertThat(ours).as("for %s", input.replace("\r\n", "\\r\\n")).containsExactly(fromRedis.strip());
        }
    }

    @Test
    void ignoredInputsAreIgnoredByBoth() {
        String input = "\r\n*-10\r\n*0\r\nPING\r\n";
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            client.sendRaw(input);
            assertThat(client.readReply()).isEqualTo("+PONG\r\n");
        }
        assertThat(RequestDecoderTest.decode(input.getBytes(StandardCharsets.ISO_8859_1), new int[] {3}))
                .containsExactly("inline:PING");
    }
}
