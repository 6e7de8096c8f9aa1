package io.moonshard.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScanPageTest {

    private static List<String> keys(String reply, String[] cursor) {
        ByteBuf buf = Unpooled.copiedBuffer(reply, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        try {
            cursor[0] = ScanPage.forEachKey(buf, (page, at, length) ->
                    out.add(page.toString(at, length, StandardCharsets.ISO_8859_1)));
        } finally {
            buf.release();
        }
        return out;
    }

    @Test
    void readsTheCursorAndEveryKeyInOrder() {
        String[] cursor = new String[1];
        assertThat(keys("*2\r\n$3\r\n136\r\n*3\r\n$1\r\na\r\n$0\r\n\r\n$4\r\nb\r\nc\r\n", cursor))
                .containsExactly("a", "", "b\r\nc"); // binary keys, CRLF inside included
        assertThat(cursor[0]).isEqualTo("136");
        assertThat(keys("*2\r\n$1\r\n0\r\n*0\r\n", cursor)).isEmpty();
        assertThat(cursor[0]).isEqualTo("0");
    }

    @Test
    void anythingElseIsNotAPage_andNoKeyIsSeen() {
        String[] cursor = {"unset"};
        assertThat(keys("-ERR unknown command\r\n", cursor)).isEmpty();
        assertThat(cursor[0]).isNull();
        assertThat(keys("*1\r\n$1\r\na\r\n", cursor)).isEmpty(); // KEYS' shape
        assertThat(cursor[0]).isNull();
        assertThat(keys("*2\r\n$1\r\n5\r\n*2\r\n$1\r\na\r\n", cursor)).as("cut short").isEmpty();
        assertThat(cursor[0]).isNull();
        assertThat(keys("", cursor)).isEmpty();
        assertThat(cursor[0]).isNull();
    }
}
