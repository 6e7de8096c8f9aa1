package io.moonshard.proxy;

import io.moonshard.testkit.RawRedisClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One connection to a redis-server and one to a proxy, sent the same commands: every reply that
 * differs is recorded (the differential ITs assert none did), so one run shows all differences at once.
 */
final class ReplyPair implements AutoCloseable {

    final RawRedisClient redisSide;
    final RawRedisClient proxySide;
    final List<String> mismatches = new ArrayList<>();
    private final UnaryOperator<String> normalize;

    /** @param normalize what of a reply is compared (the identity for byte-for-byte) */
    ReplyPair(int redisPort, int proxyPort, UnaryOperator<String> normalize) {
        this.redisSide = new RawRedisClient(redisPort);
        this.proxySide = new RawRedisClient(proxyPort);
        this.normalize = normalize;
    }

    ReplyPair(int redisPort, int proxyPort) {
        this(redisPort, proxyPort, UnaryOperator.identity());
    }

    /** Sends {@code args} to both; records a difference; returns the proxy's reply. */
    String same(String... args) {
        return sameAs(normalize::apply, args);
    }

    /** Like {@link #same}, comparing what {@code view} makes of each reply (e.g. a sorted element list). */
    <T> String sameAs(Function<String, T> view, String... args) {
        String expected = redisSide.call(args);
        String actual = proxySide.call(args);
        if (!view.apply(expected).equals(view.apply(actual))) {
            mismatches.add(String.join(" ", args).replace("\n", "\\n") + "\n  redis: " + printable(expected)
                    + "\n  proxy: " + printable(actual));
        }
        return actual;
    }

    private static String printable(String reply) {
        return reply.replace("\r\n", "\\r\\n");
    }

    @Override
    public void close() {
        redisSide.close();
        proxySide.close();
    }
}
