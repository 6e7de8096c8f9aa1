package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ValueModelTest {

    private static String encode(RespValue v, int protocol) {
        ByteBuf out = Unpooled.buffer();
        try {
            RespEncoder.encode(v, out, protocol);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    private static Map.Entry<RespValue, RespValue> entry(RespValue k, RespValue v) {
        return new AbstractMap.SimpleImmutableEntry<>(k, v);
    }

    @Test
    void resp3TypesAndTheirRedisResp2Downgrade() {
        RespValue map = new RespValue.MapValue(List.of(entry(new RespValue.SimpleString("a"), new RespValue.IntegerValue(1))));
        assertThat(encode(map, 3)).isEqualTo("%1\r\n+a\r\n:1\r\n");
        assertThat(encode(map, 2)).isEqualTo("*2\r\n+a\r\n:1\r\n");
        RespValue set = new RespValue.SetValue(List.of(RespValue.BulkString.of("x")));
        assertThat(encode(set, 3)).isEqualTo("~1\r\n$1\r\nx\r\n");
        assertThat(encode(set, 2)).isEqualTo("*1\r\n$1\r\nx\r\n");
        assertThat(encode(new RespValue.DoubleValue(3.14), 3)).isEqualTo(",3.1400000000000001\r\n");
        assertThat(encode(new RespValue.DoubleValue(3.14), 2)).isEqualTo("$18\r\n3.1400000000000001\r\n");
        assertThat(encode(new RespValue.BooleanValue(true), 3)).isEqualTo("#t\r\n");
        assertThat(encode(new RespValue.BooleanValue(false), 2)).isEqualTo(":0\r\n");
        assertThat(encode(RespValue.NullValue.NULL, 3)).isEqualTo("_\r\n");
        assertThat(encode(RespValue.NullValue.NULL, 2)).isEqualTo("$-1\r\n");
        assertThat(encode(RespValue.NullValue.NULL_ARRAY, 2)).isEqualTo("*-1\r\n");
        assertThat(encode(new RespValue.BigNumberValue(new BigInteger("12345678901234567890")), 3))
                .isEqualTo("(12345678901234567890\r\n");
        assertThat(encode(new RespValue.BigNumberValue(new BigInteger("12345678901234567890")), 2))
                .isEqualTo("$20\r\n12345678901234567890\r\n");
        assertThat(encode(new RespValue.VerbatimValue("txt", "Some string"), 3)).isEqualTo("=15\r\ntxt:Some string\r\n");
        assertThat(encode(new RespValue.VerbatimValue("txt", "Some string"), 2)).isEqualTo("$11\r\nSome string\r\n");
        assertThat(encode(new RespValue.PushValue(List.of(new RespValue.IntegerValue(1))), 2)).isEqualTo("*1\r\n:1\r\n");
        assertThat(encode(new RespValue.ErrorValue("ERR x\r\ny"), 2)).isEqualTo("-ERR x  y\r\n");
    }

    @Test
    void doublesAreFormattedLikeCPercent17g() {
        assertThat(RespEncoder.formatDouble(1.5)).isEqualTo("1.5");
        assertThat(RespEncoder.formatDouble(10)).isEqualTo("10");
        assertThat(RespEncoder.formatDouble(-0.1)).isEqualTo("-0.10000000000000001");
        assertThat(RespEncoder.formatDouble(1e20)).isEqualTo("1e+20");
        assertThat(RespEncoder.formatDouble(0.0001)).isEqualTo("0.0001");
        assertThat(RespEncoder.formatDouble(1e-5)).isEqualTo("1.0000000000000001e-05");
        assertThat(RespEncoder.formatDouble(123456789012345678.0)).isEqualTo("1.2345678901234568e+17");
        assertThat(RespEncoder.formatDouble(Double.POSITIVE_INFINITY)).isEqualTo("inf");
    }

    @Test
    void randomValueTrees_roundTripThroughEncoderSplitterAndParser() {
        Random random = new Random(1234);
        for (int trial = 0; trial < 500; trial++) {
            RespValue value = randomValue(random, 0);
            ByteBuf encoded = Unpooled.buffer();
            RespEncoder.encode(value, encoded, 3);
            byte[] bytes = new byte[encoded.readableBytes()];
            encoded.readBytes(bytes);
            encoded.release();
            String wire = new String(bytes, StandardCharsets.ISO_8859_1);
            EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
            for (int i = 0; i < bytes.length; i += 7) {
                ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(7, bytes.length - i)));
            }
            ByteBuf frame = ch.readInbound();
            try {
                assertThat(frame.readableBytes()).isEqualTo(bytes.length);
                assertThat(RespParser.parse(frame)).as(wire).isEqualTo(value);
            } finally {
                frame.release();
            }
            assertThat(ch.finish()).isFalse();
        }
    }

    private static RespValue randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 3 ? 7 : 11);
        switch (kind) {
            case 0: return new RespValue.SimpleString("s" + r.nextInt(1000));
            case 1: return new RespValue.ErrorValue("ERR e" + r.nextInt(100));
            case 2: return new RespValue.IntegerValue(r.nextLong());
            case 3: {
                byte[] b = new byte[r.nextInt(20)];
                r.nextBytes(b);
                return new RespValue.BulkString(b);
            }
            case 4: return RespValue.NullValue.NULL;
            case 5: return new RespValue.BooleanValue(r.nextBoolean());
            case 6: return new RespValue.BigNumberValue(new BigInteger(80, r));
            case 7: return new RespValue.ArrayValue(children(r, depth));
            case 8: return new RespValue.SetValue(children(r, depth));
            case 9: return new RespValue.PushValue(children(r, depth));
            default: {
                List<Map.Entry<RespValue, RespValue>> entries = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    entries.add(entry(randomValue(r, depth + 1), randomValue(r, depth + 1)));
                }
                return new RespValue.MapValue(entries);
            }
        }
    }

    private static List<RespValue> children(Random r, int depth) {
        List<RespValue> out = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            out.add(randomValue(r, depth + 1));
        }
        return out;
    }

    @Test
    void constantRepliesSurviveStrayReleasesAndIndependentWrites() {
        ByteBuf a = RespReplies.ok();
        ByteBuf b = RespReplies.ok();
        a.skipBytes(a.readableBytes()); // a channel consumed it
        assertThat(a.release()).isFalse();
        assertThat(b.toString(StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
        assertThat(RespReplies.ok().toString(StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
        assertThat(RespReplies.nullBulk().isReadOnly()).isTrue();
    }

    @Test
    void testFriendlyEncodeParseAndFormat() {
        assertThat(new String(RespCommands.encode("SET", "k", "v"), StandardCharsets.US_ASCII))
                .isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
        RespValue reply = RespParser.parse("*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n*0\r\n");
        assertThat(RespFormatter.format(reply)).isEqualTo("1) \"a\"\n2) 1) (integer) 1\n   2) (nil)\n3) (empty array)\n");
    }
}
