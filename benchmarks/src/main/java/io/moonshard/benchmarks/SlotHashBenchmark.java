package io.moonshard.benchmarks;

import io.moonshard.cluster.slot.Crc16;
import io.moonshard.cluster.slot.SlotHash;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hash slot of every routed command's key, read from the pooled direct buffer the request arrived
 * in: {@link SlotHash#slot(ByteBuf, int, int)} (eight bytes per buffer read) against the byte-at-a-time
 * loop it replaced (kept here as {@link #perByteBefore}), over {@value #KEYS} keys of
 * {@code redis-benchmark}'s shape ({@code key:000000012345}, 16 bytes) or 40-byte keys. Scores are per key.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SlotHashBenchmark {

    static final int KEYS = 1000;
    @Param({"16", "40"})
    public int keyLength;

    private ByteBuf keys;

    @Setup(Level.Trial)
    public void setUp() {
        keys = PooledByteBufAllocator.DEFAULT.directBuffer(KEYS * keyLength);
        for (int i = 0; i < KEYS; i++) {
            String key = String.format("key:%0" + (keyLength - 4) + "d", i * 7919L);
            keys.writeBytes(key.getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < KEYS; i++) {
            if (SlotHash.slot(keys, i * keyLength, keyLength) != perByteBefore(keys, i * keyLength, keyLength)) {
                throw new IllegalStateException("the two disagree on key " + i);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        keys.release();
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int eightBytesPerRead() {
        int sum = 0;
        for (int i = 0; i < KEYS; i++) {
            sum += SlotHash.slot(keys, i * keyLength, keyLength);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int perByteBefore() {
        int sum = 0;
        for (int i = 0; i < KEYS; i++) {
            sum += perByteBefore(keys, i * keyLength, keyLength);
        }
        return sum;
    }

    /** The slot as SlotHash computed it until 2026-12-02: a '{' search, then the CRC, one getByte per byte. */
    static int perByteBefore(ByteBuf buf, int offset, int len) {
        int end = offset + len;
        int open = -1;
        for (int i = offset; i < end; i++) {
            if (buf.getByte(i) == '{') {
                open = i;
                break;
            }
        }
        if (open >= 0) {
            for (int i = open + 1; i < end; i++) {
                if (buf.getByte(i) == '}') {
                    if (i > open + 1) {
                        return crc16(buf, open + 1, i - open - 1) & 16383;
                    }
                    break;
                }
            }
        }
        return crc16(buf, offset, len) & 16383;
    }

    private static int crc16(ByteBuf buf, int offset, int len) {
        int crc = 0;
        for (int i = offset, end = offset + len; i < end; i++) {
            crc = Crc16.update(crc, buf.getByte(i) & 0xFF);
        }
        return crc;
    }
}
