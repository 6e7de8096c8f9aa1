package io.moonshard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestDecodingExampleTest {

    @Test
    void decodesRespAndInlineCommands() {
        assertThat(RequestDecodingExample.decode("*2\r\n$3\r\nGET\r\n$1\r\na\r\nSET k \"hello world\"\r\n"))
                .containsExactly(List.of("GET", "a"), List.of("SET", "k", "hello world"));
    }

    @Test
    void reportsRedisProtocolErrors() {
        assertThat(RequestDecodingExample.decode("PING\r\n*1\r\n$x\r\n"))
                .containsExactly(List.of("PING"), List.of("-ERR Protocol error: invalid bulk length"));
    }
}
