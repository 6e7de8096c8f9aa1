package io.moonshard.controller.proxyclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.resp.RespValue;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespStreamReaderTest {

    private static RespStreamReader reader(String bytes) {
        return new RespStreamReader(new ByteArrayInputStream(bytes.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsTheRepliesAProxyGivesTheController() throws IOException {
        RespStreamReader r = reader("+OK\r\n-OLD_EPOCH\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n*1\r\n$3\r\na:b\r\n*0\r\n");
        assertThat(r.read()).isEqualTo(new RespValue.SimpleString("OK"));
        assertThat(r.read()).isEqualTo(new RespValue.ErrorValue("OLD_EPOCH"));
        assertThat(r.read()).isEqualTo(new RespValue.IntegerValue(42));
        assertThat(r.read()).isEqualTo(RespValue.BulkString.of("hello"));
        assertThat(r.read()).isEqualTo(RespValue.NullValue.NULL_BULK);
        assertThat(r.read()).isEqualTo(new RespValue.ArrayValue(List.of(
                new RespValue.ArrayValue(List.of(RespValue.BulkString.of("a:b"))), new RespValue.ArrayValue(List.of()))));
    }

    @Test
    void aReplyCutShortOrMalformedIsAnErrorNotAValue() {
        assertThatThrownBy(() -> reader("$5\r\nhel").read()).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> reader("").read()).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> reader("%1\r\n").read()).hasMessageContaining("not a RESP2 reply type");
        assertThatThrownBy(() -> reader(":x\r\n").read()).hasMessageContaining("not a number");
        assertThatThrownBy(() -> reader("+OK\rX").read()).hasMessageContaining("CR without LF");
        assertThatThrownBy(() -> reader("*1\r\n".repeat(20)).read()).hasMessageContaining("nested deeper");
    }

    @Test
    void repliesMapToOutcomes() {
        assertThat(Reply.of(new RespValue.SimpleString("OK")).done()).isTrue();
        assertThat(Reply.of(new RespValue.ErrorValue("OLD_EPOCH")).outcome()).isEqualTo(Reply.Outcome.OLD_EPOCH);
        assertThat(Reply.of(new RespValue.ErrorValue("OLD_EPOCH")).done()).isTrue();
        Reply refused = Reply.of(new RespValue.ErrorValue("ERR n is behind 5"));
        assertThat(refused.done()).isFalse();
        assertThat(refused.detail()).isEqualTo("ERR n is behind 5");
    }
}
