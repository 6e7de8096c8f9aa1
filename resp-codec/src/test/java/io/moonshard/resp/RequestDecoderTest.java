package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link RespRequestDecoder} through an EmbeddedChannel, fed whole, byte by byte and in random chunks. */
class RequestDecoderTest {

    /** Decodes {@code input} split at the given chunk sizes; each command as its args, errors as "-text". */
    static List<String> decode(byte[] input, int[] chunks) {
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        List<String> out = new ArrayList<>();
        int pos = 0;
        for (int i = 0; pos < input.length; i++) {
            int n = Math.min(chunks[i % chunks.length], input.length - pos);
            ch.writeInbound(Unpooled.wrappedBuffer(input, pos, n));
            pos += n;
            drain(ch, out);
        }
        drain(ch, out);
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return out;
    }

    private static void drain(EmbeddedChannel ch, List<String> out) {
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            if (msg instanceof RespCommand c) {
                try {
                    StringBuilder sb = new StringBuilder(c.isInline() ? "inline:" : "");
                    for (int i = 0; i < c.argCount(); i++) {
                        sb.append(i == 0 ? "" : "|").append(c.argString(i));
                    }
                    // the frame is valid RESP for a backend, whatever the client sent
                    assertThat(c.frame().getByte(0)).isEqualTo((byte) '*');
                    out.add(sb.toString());
                } finally {
                    c.release();
                }
            } else {
                out.add("-" + ((RespProtocolError) msg).message());
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> whole(String s) {
        return decode(bytes(s), new int[] {Integer.MAX_VALUE});
    }

    @Test
    void respArraysAndInlineCommands_decodeTheSameWhateverTheSplit() {
        String input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
                + "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
                + "PING\r\n"
                + "set k \"a b\\n\\x41\" 'it''s'\r\n".replace("'it''s'", "'it\\'s'")
                + "\r\n"                 // empty inline line: ignored
                + "*0\r\n*-1\r\n*-10\r\n" // empty arrays: ignored
                + "ECHO x\n";           // LF alone ends an inline command too
        List<String> expected = List.of("SET|k|hello", "GET|", "inline:PING", "inline:set|k|a b\nA|it's", "inline:ECHO|x");
        assertThat(whole(input)).isEqualTo(expected);
        assertThat(decode(bytes(input), new int[] {1})).isEqualTo(expected);
        Random random = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            int[] chunks = random.ints(8, 1, 24).toArray();
            assertThat(decode(bytes(input), chunks)).as("chunks %s", java.util.Arrays.toString(chunks))
                    .isEqualTo(expected);
        }
    }

    @Test
    void binaryArgumentsAreKeptByteForByte() {
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        RespCommand source = RespCommand.of("SET".getBytes(StandardCharsets.US_ASCII), "k".getBytes(StandardCharsets.US_ASCII), value);
        byte[] wire = new byte[source.frame().readableBytes()];
        source.frame().getBytes(0, wire);
        source.release();
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(wire));
        RespCommand decoded = ch.readInbound();
        try {
            assertThat(decoded.argBytes(2)).isEqualTo(value);
            // zero copy: the frame is the client's bytes, unchanged
            byte[] frame = new byte[decoded.frame().readableBytes()];
            decoded.frame().getBytes(0, frame);
            assertThat(frame).isEqualTo(wire);
        } finally {
            decoded.release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void protocolErrors_haveRedisExactTexts_afterTheCommandsBeforeThem() {
        assertThat(whole("*3000000000\r\n")).containsExactly("-ERR Protocol error: invalid multibulk length");
        assertThat(whole("*1\r\n$foo\r\n")).containsExactly("-ERR Protocol error: invalid bulk length");
        assertThat(whole("*1\r\n$-10\r\n")).containsExactly("-ERR Protocol error: invalid bulk length");
        assertThat(whole("*1\r\n$2000000000\r\n")).containsExactly("-ERR Protocol error: invalid bulk length");
        assertThat(whole("*1\r\n$blabla\r\n")).containsExactly("-ERR Protocol error: invalid bulk length");
        assertThat(whole("*20\r\nfoo\r\n")).containsExactly("-ERR Protocol error: expected '$', got 'f'");
        assertThat(whole("set \"unbalanced\r\n")).containsExactly("-ERR Protocol error: unbalanced quotes in request");
        assertThat(whole("PING\r\n*1\r\n$x\r\nPING\r\n"))
                .containsExactly("inline:PING", "-ERR Protocol error: invalid bulk length");
    }

    @Test
    void protocolDesync_isRefusedWithinBoundedInput() {
        // Redis's "protocol desync" tests: a bad first byte, then an endless stream without CR or LF
        String flood = "payload".repeat(10_000);
        assertThat(whole("\u0000" + flood)).containsExactly("-ERR Protocol error: too big inline request");
        assertThat(whole("*\u0000" + flood)).containsExactly("-ERR Protocol error: too big mbulk count string");
        assertThat(whole("$\u0000" + flood)).containsExactly("-ERR Protocol error: too big inline request");
        assertThat(whole("*1\r\n$" + "9".repeat(70_000))).containsExactly("-ERR Protocol error: too big bulk count string");
    }

    @Test
    void aDeclaredHugeBulk_isAnsweredAtOnce() {
        assertThat(whole("*1\r\n$2147483648\r\n")).containsExactly("-ERR Protocol error: invalid bulk length");
    }

    @Test
    void aLargeValue_arrivesInChunks_andIsCopiedIntoTheCumulationOnlyOnce() {
        int size = 8 * 1024 * 1024;
        byte[] header = bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + size + "\r\n");
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(header));
        int capacityChanges = ChunkedFeed.capacityChanges(ch,
                () -> ((RespRequestDecoder) ch.pipeline().first()).internalBufferForTest(), size);
        // room for the whole frame was reserved once, when the header arrived: no regrowth later
        assertThat(capacityChanges).isZero();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("\r\n")));
        RespCommand command = ch.readInbound();
        try {
            assertThat(command.argLength(2)).isEqualTo(size);
        } finally {
            command.release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void closingMidFrame_leaksNothing() {
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$3\r\nGET\r\n$5\r\nab")));
        assertThat((Object) ch.readInbound()).isNull();
        ch.close();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
