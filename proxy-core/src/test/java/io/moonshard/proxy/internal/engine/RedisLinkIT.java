package io.moonshard.proxy.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.proxy.internal.engine.RedisLink.ErrorReply;
import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RedisLink} against a real Redis: every RESP2 reply type, pipelines, a 100 MB value, AUTH. */
class RedisLinkIT {

    @Test
    void everyReplyType_andAPipeline() throws IOException {
        try (RedisProcess redis = RedisProcess.start();
             RedisLink link = RedisLink.connect(redis.address(), null, null, 10_000)) {
            assertThat(link.call("PING")).isEqualTo("PONG");
            assertThat(link.call("SET", "k", "v")).isEqualTo("OK");
            assertThat(link.call("INCRBY", "n", 5L)).isEqualTo(5L);
            assertThat(link.call("INCRBY", "n", -7)).isEqualTo(-2L);
            assertThat((byte[]) link.call("GET", "k".getBytes(StandardCharsets.UTF_8))).isEqualTo(new byte[] {'v'});
            assertThat(link.call("GET", "missing")).isNull();
            assertThat(link.call("GET", "")).isNull();
            assertThat(link.call("BLPOP", "nothing", "0.01")).isNull(); // nil array
            assertThat(link.call("LRANGE", "nothing", 0, -1)).isEqualTo(List.of());
            assertThat(link.call("NOSUCHCOMMAND")).isInstanceOf(ErrorReply.class)
                    .extracting(r -> ((ErrorReply) r).message()).asString().startsWith("ERR unknown command");
            link.call("RPUSH", "l", "a", "b");
            Object nested = link.call("EVAL", "return {1, 'x', {redis.call('lrange', KEYS[1], 0, -1)}, false}", 1, "l");
            assertThat(nested).asList().hasSize(4).startsWith(1L);

            for (int i = 0; i < 10_000; i++) {
                link.send("SET".getBytes(), ("p" + i).getBytes(), Integer.toString(i).getBytes());
                link.send(List.of("GET".getBytes(), ("p" + i).getBytes()));
            }
            link.flush();
            for (int i = 0; i < 10_000; i++) {
                assertThat(link.read()).isEqualTo("OK");
                assertThat(new String((byte[]) link.read(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i));
            }
        }
    }

    @Test
    void aHundredMegabyteValue_goesBothWays() throws IOException {
        try (RedisProcess redis = RedisProcess.start();
             RedisLink link = RedisLink.connect(redis.address(), null, null, 30_000)) {
            byte[] value = new byte[100 * 1024 * 1024];
            for (int i = 0; i < value.length; i++) {
                value[i] = (byte) (i * 31);
            }
            assertThat(link.call("SET", "big", value)).isEqualTo("OK");
            assertThat(link.call("STRLEN", "big")).isEqualTo((long) value.length);
            assertThat(Arrays.equals((byte[]) link.call("GET", "big"), value)).isTrue();
            assertThat(link.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void authWithPasswordOrUser_andARefusal() throws IOException {
        try (RedisProcess redis = RedisProcess.start("--requirepass", "secret")) {
            try (RedisLink link = RedisLink.connect(redis.address(), null, "secret", 5_000)) {
                assertThat(link.call("ACL", "SETUSER", "mover", "on", ">pw", "~*", "+@all")).isEqualTo("OK");
            }
            try (RedisLink link = RedisLink.connect(redis.address(), "mover", "pw", 5_000)) {
                assertThat(link.call("ACL", "WHOAMI")).isEqualTo("mover".getBytes(StandardCharsets.UTF_8));
            }
            assertThatThrownBy(() -> RedisLink.connect(redis.address(), null, "wrong", 5_000))
                    .isInstanceOf(IOException.class).hasMessageContaining("AUTH refused");
            try (RedisLink link = RedisLink.connect(redis.address(), null, null, 5_000)) {
                assertThat(link.call("GET", "k")).isInstanceOf(ErrorReply.class);
            }
        }
    }

    @Test
    void noReplyWithinTheTimeout_isAnIOException() throws IOException {
        try (RedisProcess redis = RedisProcess.start();
             RedisLink link = RedisLink.connect(redis.address(), null, null, 200)) {
            assertThatThrownBy(() -> link.call("BLPOP", "nothing", "0")).isInstanceOf(SocketTimeoutException.class);
        }
    }
}
