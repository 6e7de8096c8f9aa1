package io.moonshard.benchmarks;

import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespReplyDecoder;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.util.ReferenceCountUtil;
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
 * Decoding a pipelined stream of {@value #COMMANDS} typical requests: Moonshard's zero-copy
 * {@link RespRequestDecoder} against netty-codec-redis's {@code RedisDecoder} +
 * {@code RedisBulkStringAggregator} + {@code RedisArrayAggregator}; and splitting a stream of replies
 * with {@link RespReplyDecoder}. Scores are per command (or reply).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RequestDecodeBenchmark {

    static final int COMMANDS = 1000;

    @Param({"GET", "SET_16", "SET_512", "SET_4096", "MSET_10"})
    public String workload;

    private ByteBuf requests;
    private ByteBuf replies;
    private EmbeddedChannel moonshard;
    private EmbeddedChannel netty;
    private EmbeddedChannel replySplitter;

    @Setup(Level.Trial)
    public void setUp() {
        StringBuilder req = new StringBuilder();
        StringBuilder rep = new StringBuilder();
        for (int i = 0; i < COMMANDS; i++) {
            String key = "key:" + (100000 + i);
            switch (workload) {
                case "GET" -> {
                    req.append(resp("GET", key));
                    rep.append("$16\r\n").append("v".repeat(16)).append("\r\n");
                }
                case "SET_16", "SET_512", "SET_4096" -> {
                    int size = Integer.parseInt(workload.substring(4));
                    req.append(resp("SET", key, "x".repeat(size)));
                    rep.append("+OK\r\n");
                }
                default -> {
                    String[] args = new String[21];
                    args[0] = "MSET";
                    for (int k = 0; k < 10; k++) {
                        args[1 + 2 * k] = key + ":" + k;
                        args[2 + 2 * k] = "value-" + k;
                    }
                    req.append(resp(args));
                    rep.append("+OK\r\n");
                }
            }
        }
        requests = direct(req.toString());
        replies = direct(rep.toString());
        moonshard = new EmbeddedChannel(new RespRequestDecoder());
        netty = new EmbeddedChannel(new RedisDecoder(), new RedisBulkStringAggregator(), new RedisArrayAggregator());
        replySplitter = new EmbeddedChannel(new RespReplyDecoder());
    }

    private static ByteBuf direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b);
    }

    private static String resp(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        moonshard.finishAndReleaseAll();
        netty.finishAndReleaseAll();
        replySplitter.finishAndReleaseAll();
        requests.release();
        replies.release();
    }

    @Benchmark
    @OperationsPerInvocation(COMMANDS)
    public int moonshardRequestDecoder() {
        moonshard.writeInbound(requests.retainedDuplicate());
        int n = 0;
        for (Object msg; (msg = moonshard.readInbound()) != null; n++) {
            ((RespCommand) msg).release();
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(COMMANDS)
    public int nettyCodecRedisPipeline() {
        netty.writeInbound(requests.retainedDuplicate());
        int n = 0;
        for (Object msg; (msg = netty.readInbound()) != null; n++) {
            ReferenceCountUtil.release(msg);
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(COMMANDS)
    public int moonshardReplySplitter() {
        replySplitter.writeInbound(replies.retainedDuplicate());
        int n = 0;
        for (Object msg; (msg = replySplitter.readInbound()) != null; n++) {
            ReferenceCountUtil.release(msg);
        }
        return n;
    }
}
