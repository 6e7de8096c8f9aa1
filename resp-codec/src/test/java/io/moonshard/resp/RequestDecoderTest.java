package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
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
            assertThat(decode(bytes(input), chunks)).as("chunks %s", Arrays.toString(chunks))
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
    void aLargeValue_arrivesInChunks_isRegrownGeometrically_andCopiedAboutOnce() {
        int size = 64 * 1024 * 1024;
        byte[] header = bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + size + "\r\n");
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(header));
        ChunkedFeed.Growth growth = ChunkedFeed.growth(ch,
                () -> ((RespRequestDecoder) ch.pipeline().first()).internalBufferForTest(), size, header.length);
        // doubling from 128 KB: about 10 regrowths; the cumulation's own 4 MB steps would be over 20, copying
        // about 8 times the value (sum of 4, 8, ... 64 MB)
        assertThat(growth.changes()).isLessThanOrEqualTo(12);
        assertThat(growth.copiedBytes()).isLessThanOrEqualTo(2L * size + size / 4);
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
    void aDeclaredHugeBulk_costsOnlyTheBytesThatArrived() {
        EmbeddedChannel ch = new EmbeddedChannel(new RespRequestDecoder());
        Supplier<ByteBuf> buffer = () -> ((RespRequestDecoder) ch.pipeline().first()).internalBufferForTest();
        byte[] header = bytes("*1\r\n$536870912\r\n");
        ch.writeInbound(Unpooled.wrappedBuffer(header));
        assertThat(buffer.get().capacity()).isLessThan(1024 * 1024);
        // after N bytes of the 512 MB the buffer is O(N): within twice N plus one growth step
        // (Netty rounds a capacity up to a power of two below 4 MB and to a 4 MB multiple above)
        ChunkedFeed.Growth growth = ChunkedFeed.growth(ch, buffer, 24 * 1024 * 1024, header.length);
        assertThat(growth.worstExcess()).isLessThanOrEqualTo(4L * 1024 * 1024 + 256 * 1024);
        assertThat(buffer.get().capacity()).isLessThan(64 * 1024 * 1024);
        assertThat(ch.isOpen()).isTrue();
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /** A budget shared by guards, with a limit per connection; records breaches. */
    private static final class Budget {
        final AtomicLong used = new AtomicLong();
        final List<QueryBufferGuard.Breach> breaches = new ArrayList<>();
        final long total;

        Budget(long total) {
            this.total = total;
        }

        QueryBufferGuard guard(long limit) {
            return guard(() -> limit);
        }

        QueryBufferGuard guard(LongSupplier limit) {
            return new QueryBufferGuard() {
                @Override
                public long limit() {
                    return limit.getAsLong();
                }

                @Override
                public boolean reserve(long bytes) {
                    if (used.addAndGet(bytes) > total) {
                        used.addAndGet(-bytes);
                        return false;
                    }
                    return true;
                }

                @Override
                public void release(long bytes) {
                    assertThat(used.addAndGet(-bytes)).isNotNegative();
                }

                @Override
                public void breached(ChannelHandlerContext ctx, Breach breach, ByteBuf buffered, long declared) {
                    breaches.add(breach);
                    ctx.close();
                }
            };
        }
    }

    private static EmbeddedChannel channel(QueryBufferGuard guard) {
        return new EmbeddedChannel(new RespRequestDecoder(RespLimits.defaults(), guard));
    }

    private static void sendValueBytes(EmbeddedChannel ch, int n) {
        byte[] chunk = new byte[16 * 1024];
        Arrays.fill(chunk, (byte) 'v');
        for (int sent = 0; sent < n && ch.isOpen(); sent += chunk.length) {
            ch.writeInbound(Unpooled.wrappedBuffer(chunk, 0, Math.min(chunk.length, n - sent)));
        }
    }

    @Test
    void aPartialRequestOverTheClientLimit_closesTheConnection_withoutAReply() {
        Budget budget = new Budget(Long.MAX_VALUE);
        AtomicLong limit = new AtomicLong(4 * 1024 * 1024);
        EmbeddedChannel ch = channel(budget.guard(limit::get));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("PING\r\n*2\r\n$3\r\nGET\r\n$3000000\r\n")));
        sendValueBytes(ch, 1500 * 1000);
        assertThat(ch.isOpen()).isTrue();
        assertThat(budget.used.get()).isGreaterThan(1500L * 1000);
        // the limit is lowered (CONFIG SET) below what the client holds: the next bytes close it
        limit.set(1024 * 1024);
        sendValueBytes(ch, 1000);
        assertThat(ch.isOpen()).isFalse();
        assertThat(budget.breaches).containsExactly(QueryBufferGuard.Breach.CLIENT_LIMIT);
        assertThat(budget.used.get()).isZero();
        RespCommand ping = ch.readInbound();
        try {
            assertThat(ping.argString(0)).isEqualTo("PING");
        } finally {
            ping.release();
        }
        assertThat((Object) ch.readInbound()).isNull(); // no error reply: Redis closes such a client silently
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aRequestDeclaredOverTheClientLimit_closesTheConnectionAtItsHeader() {
        Budget budget = new Budget(Long.MAX_VALUE);
        EmbeddedChannel ch = channel(budget.guard(1024 * 1024));
        // each argument is under the limit, the request is not: refused at the second header
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("*3\r\n$3\r\nSET\r\n$600000\r\n")));
        sendValueBytes(ch, 600 * 1000);
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("\r\n$600000\r\n")));
        assertThat(ch.isOpen()).isFalse();
        assertThat(budget.breaches).containsExactly(QueryBufferGuard.Breach.CLIENT_LIMIT);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void theSharedBudget_refusesTheConnectionWhoseGrowthWouldExceedIt_andIsGivenBackOnCompletionOrClose() {
        Budget budget = new Budget(1024 * 1024);
        EmbeddedChannel first = channel(budget.guard(Long.MAX_VALUE));
        EmbeddedChannel second = channel(budget.guard(Long.MAX_VALUE));
        EmbeddedChannel small = channel(budget.guard(Long.MAX_VALUE));
        first.writeInbound(Unpooled.wrappedBuffer(bytes("*1\r\n$800000\r\n")));
        sendValueBytes(first, 700 * 1000);
        long held = budget.used.get();
        assertThat(held).isBetween(690L * 1000, 701L * 1000);
        second.writeInbound(Unpooled.wrappedBuffer(bytes("*1\r\n$800000\r\n")));
        sendValueBytes(second, 400 * 1000);
        assertThat(second.isOpen()).isFalse();
        assertThat(budget.breaches).containsExactly(QueryBufferGuard.Breach.TOTAL_BUDGET);
        assertThat(budget.used.get()).isEqualTo(held);
        // a partial request under 64 KB is never charged, so never refused for the budget
        small.writeInbound(Unpooled.wrappedBuffer(bytes("*1\r\n$60000\r\n")));
        sendValueBytes(small, 50 * 1000);
        assertThat(small.isOpen()).isTrue();
        assertThat(budget.used.get()).isEqualTo(held);
        // the first completes its request: its charge is given back
        sendValueBytes(first, 100 * 1000);
        first.writeInbound(Unpooled.wrappedBuffer(bytes("\r\n")));
        RespCommand done = first.readInbound();
        assertThat(done.argLength(0)).isEqualTo(800 * 1000);
        done.release();
        assertThat(budget.used.get()).isZero();
        // a connection that goes mid-request gives its charge back too
        first.writeInbound(Unpooled.wrappedBuffer(bytes("*1\r\n$800000\r\n")));
        sendValueBytes(first, 200 * 1000);
        assertThat(budget.used.get()).isGreaterThan(190L * 1000);
        first.close();
        assertThat(budget.used.get()).isZero();
        assertThat(first.finishAndReleaseAll()).isFalse();
        assertThat(second.finishAndReleaseAll()).isFalse();
        assertThat(small.finishAndReleaseAll()).isFalse();
    }

    /** A guard of a client that must AUTH first, authenticated by the first AUTH a later handler sees. */
    private static EmbeddedChannel unauthenticated() {
        boolean[] authenticated = {false};
        QueryBufferGuard guard = new Budget(Long.MAX_VALUE).guard(Long.MAX_VALUE);
        QueryBufferGuard beforeAuth = new QueryBufferGuard() {
            @Override
            public boolean authenticated() {
                return authenticated[0];
            }

            @Override
            public long limit() {
                return guard.limit();
            }

            @Override
            public boolean reserve(long bytes) {
                return guard.reserve(bytes);
            }

            @Override
            public void release(long bytes) {
                guard.release(bytes);
            }

            @Override
            public void breached(ChannelHandlerContext ctx, Breach breach, ByteBuf buffered, long declared) {
                guard.breached(ctx, breach, buffered, declared);
            }
        };
        return new EmbeddedChannel(new RespRequestDecoder(RespLimits.defaults(), beforeAuth),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof RespCommand c && c.argString(0).equalsIgnoreCase("AUTH")) {
                            authenticated[0] = true;
                        }
                        ctx.fireChannelRead(msg);
                    }
                });
    }

    private static List<String> drainAll(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        drain(ch, out);
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return out;
    }

    @Test
    void beforeAuth_redisLimitsOfTenArgumentsAnd16KB_apply_untilAnAuthPipelinedBeforeIsHandled() {
        EmbeddedChannel ch = unauthenticated();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("*11\r\n")));
        assertThat(drainAll(ch)).containsExactly("-ERR Protocol error: unauthenticated multibulk length");

        ch = unauthenticated();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$3\r\nGET\r\n$16384\r\n" + "k".repeat(16384)
                + "\r\n*1\r\n$536870912\r\n")));
        assertThat(drainAll(ch)).containsExactly("GET|" + "k".repeat(16384),
                "-ERR Protocol error: unauthenticated bulk length");

        ch = unauthenticated();
        String big = "v".repeat(20_000);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"
                + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n" + big + "\r\n")));
        assertThat(drainAll(ch)).containsExactly("AUTH|pw", "SET|k|" + big);
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
