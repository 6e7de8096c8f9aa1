package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link RespReplyDecoder} cuts a reply stream into exactly the frames it was made of, however split. */
class ReplyDecoderTest {

    /** One golden frame of every RESP2 and RESP3 type, nested and null forms included. */
    static final List<String> FRAMES = List.of(
            "+OK\r\n",
            "-ERR unknown command 'foo'\r\n",
            ":-42\r\n",
            "$5\r\nhello\r\n",
            "$0\r\n\r\n",
            "$-1\r\n",
            "*-1\r\n",
            "*0\r\n",
            "*3\r\n:1\r\n$1\r\na\r\n*2\r\n+x\r\n*0\r\n",
            "_\r\n",
            ",3.14\r\n",
            "#t\r\n",
            "(3492890328409238509324850943850943825024385\r\n",
            "!21\r\nSYNTAX invalid syntax\r\n",
            "=15\r\ntxt:Some string\r\n",
            "%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n:2\r\n",
            "~2\r\n+a\r\n+b\r\n",
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nmsg\r\n",
            "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
            "*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n:7\r\n");

    static List<String> split(byte[] stream, int[] chunks) {
        EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
        List<String> frames = new ArrayList<>();
        int pos = 0;
        for (int i = 0; pos < stream.length; i++) {
            int n = Math.min(chunks[i % chunks.length], stream.length - pos);
            ch.writeInbound(Unpooled.wrappedBuffer(stream, pos, n));
            pos += n;
            for (ByteBuf frame; (frame = ch.readInbound()) != null; ) {
                frames.add(frame.toString(StandardCharsets.ISO_8859_1));
                frame.release();
            }
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return frames;
    }

    @Test
    void everyFrameOfEveryType_comesOutWhole_atEverySplitPoint() {
        byte[] stream = String.join("", FRAMES).getBytes(StandardCharsets.ISO_8859_1);
        assertThat(split(stream, new int[] {Integer.MAX_VALUE})).isEqualTo(FRAMES);
        assertThat(split(stream, new int[] {1})).isEqualTo(FRAMES);
        for (String frame : FRAMES) {
            byte[] b = frame.getBytes(StandardCharsets.ISO_8859_1);
            for (int cut = 1; cut < b.length; cut++) {
                assertThat(split(b, new int[] {cut, Integer.MAX_VALUE})).containsExactly(frame);
            }
        }
        Random random = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            assertThat(split(stream, random.ints(6, 1, 40).toArray())).isEqualTo(FRAMES);
        }
    }

    @Test
    void frameHelpers_readTheTypeAndErrorCodeWithoutParsing() {
        ByteBuf moved = Unpooled.copiedBuffer("-MOVED 3999 127.0.0.1:6381\r\n", StandardCharsets.US_ASCII);
        ByteBuf ok = Unpooled.copiedBuffer("+OK\r\n", StandardCharsets.US_ASCII);
        try {
            assertThat(RespFrames.isError(moved)).isTrue();
            assertThat(RespFrames.errorCodeEquals(moved, io.netty.util.AsciiString.cached("MOVED"))).isTrue();
            assertThat(RespFrames.errorCodeEquals(moved, io.netty.util.AsciiString.cached("MOVE"))).isFalse();
            assertThat(RespFrames.isError(ok)).isFalse();
            assertThat(RespFrames.type(ok)).isEqualTo((byte) '+');
        } finally {
            moved.release();
            ok.release();
        }
    }

    @Test
    void aHugeArrayInManyChunks_isOneFrame() {
        int n = 200_000;
        StringBuilder sb = new StringBuilder("*").append(n).append("\r\n");
        for (int i = 0; i < n; i++) {
            sb.append("$6\r\n").append(String.format("%06d", i)).append("\r\n");
        }
        byte[] stream = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        List<String> frames = split(stream, new int[] {4096});
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0)).hasSize(stream.length);
    }

    @Test
    void malformedReplies_areRejected_andNothingLeaks() {
        for (String bad : List.of("?what\r\n", "$abc\r\nxyz\r\n", "$3\r\nabcde\r\n", "+OK\n", "*-5\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
            assertThatThrownBy(() -> ch.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.ISO_8859_1)))
                    .as(bad).isInstanceOf(DecoderException.class);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void nestingBeyondTheLimit_isRejected() {
        EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder(4));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.copiedBuffer("*1\r\n".repeat(5) + ":1\r\n",
                StandardCharsets.ISO_8859_1))).isInstanceOf(RespCodecException.class);
        ch.finishAndReleaseAll();
    }

    @Test
    void aLargeBulkReply_arrivesInChunks_andIsCopiedIntoTheCumulationOnlyOnce() {
        int size = 8 * 1024 * 1024;
        EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
        ch.writeInbound(Unpooled.copiedBuffer("$" + size + "\r\n", StandardCharsets.US_ASCII));
        int capacityChanges = ChunkedFeed.capacityChanges(ch,
                () -> ((RespReplyDecoder) ch.pipeline().first()).internalBufferForTest(), size);
        // room for the whole reply was reserved once, when its header arrived: no regrowth later
        assertThat(capacityChanges).isZero();
        ch.writeInbound(Unpooled.copiedBuffer("\r\n", StandardCharsets.US_ASCII));
        ByteBuf frame = ch.readInbound();
        try {
            assertThat(frame.readableBytes()).isEqualTo(String.valueOf(size).length() + 3 + size + 2);
        } finally {
            frame.release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aBigBulkBehindAReplyStillHeld_startsANewCumulation_leavingTheHeldBytesWhereTheyAre() {
        int size = 1 << 20;
        EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
        byte[] value = new byte[size];
        java.util.Arrays.fill(value, (byte) 'a');
        String header = "$" + size + "\r\n";
        // one growable buffer: the first reply whole, then the start of the second
        ByteBuf first = Unpooled.buffer(header.length() * 2 + size + 64 * 1024, Integer.MAX_VALUE);
        first.writeBytes(header.getBytes(StandardCharsets.US_ASCII)).writeBytes(value).writeBytes(new byte[] {'\r', '\n'});
        first.writeBytes(header.getBytes(StandardCharsets.US_ASCII)).writeBytes(value, 0, 64 * 1024);
        ch.writeInbound(first);
        ByteBuf held = ch.readInbound(); // not released yet: a client has not read it
        try {
            ChunkedFeed.capacityChanges(ch, () -> ((RespReplyDecoder) ch.pipeline().first()).internalBufferForTest(),
                    size - 64 * 1024);
            // the second reply's buffer is sized for the second reply alone (rounded up to 2 MB); grown in
            // place behind the held one it would have been 4 MB, the first reply copied along
            assertThat(((RespReplyDecoder) ch.pipeline().first()).internalBufferForTest().capacity())
                    .isLessThanOrEqualTo(2 * size);
            ch.writeInbound(Unpooled.copiedBuffer("\r\n", StandardCharsets.US_ASCII));
            ByteBuf second = ch.readInbound();
            try {
                assertThat(second.readableBytes()).isEqualTo(header.length() + size + 2);
                assertThat(second.getByte(second.readerIndex() + header.length())).isEqualTo((byte) 'a');
                assertThat(second.getByte(second.readerIndex() + header.length() + size - 1)).isEqualTo((byte) 'v');
            } finally {
                second.release();
            }
            assertThat(held.readableBytes()).isEqualTo(header.length() + size + 2);
            assertThat(held.toString(StandardCharsets.US_ASCII)).isEqualTo(header + "a".repeat(size) + "\r\n");
        } finally {
            held.release();
        }
        assertThat(ch.finish()).isFalse();
    }
}
