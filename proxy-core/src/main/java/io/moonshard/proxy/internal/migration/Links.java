package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A source task's three connections, each on the task's own thread: the source Redis (enumerate,
 * read, trim, its register), the destination Redis (write), and the destination proxy (the
 * handshake, authenticated with the cluster secret). The proxy link reconnects on demand: a
 * destination that restarts answers again.
 */
final class Links implements AutoCloseable {

    private static final int REDIS_TIMEOUT_MILLIS = 10_000;
    private static final int PEER_TIMEOUT_MILLIS = 1_000;

    private final MigrationEngine engine;
    private final MigrationTaskId id;
    private final RedisLink source;
    private final RedisLink destination;
    private RedisLink peer;

    private Links(MigrationEngine engine, MigrationTaskId id, RedisLink source, RedisLink destination) {
        this.engine = engine;
        this.id = id;
        this.source = source;
        this.destination = destination;
    }

    static Links open(MigrationEngine engine, MigrationTaskId id) throws IOException {
        RedisLink source = engine.connectBackend(id.meta().srcNode(), REDIS_TIMEOUT_MILLIS);
        try {
            return new Links(engine, id, source, engine.connectBackend(id.meta().dstNode(), REDIS_TIMEOUT_MILLIS));
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    RedisLink source() {
        return source;
    }

    RedisLink destination() {
        return destination;
    }

    KeyCopier copier(MigrationSettings settings) {
        return new KeyCopier(source, destination, settings.chunkThreshold, settings.chunkSize);
    }

    /**
     * {@code UMCTL <sub> mgr-0.2 <cluster> MIGRATING ... [ATTEMPT <attempt>]} to the destination proxy.
     *
     * @return the reply as a line ({@code +OK}, {@code -ERR ...}), or null when the proxy could not be
     *         reached or did not answer in time (the caller treats that as "no answer", never as yes)
     */
    String peer(String sub, long attempt) {
        List<Object> args = new ArrayList<>();
        args.add("UMCTL");
        args.add(sub);
        args.addAll(id.switchArgs());
        if (attempt >= 0) {
            args.add("ATTEMPT");
            args.add(Long.toString(attempt));
        }
        return call(args);
    }

    /** {@code UMCTL MGRSEED <phase> mgr-0.2 <cluster> MIGRATING ...} to the destination proxy; as {@link #peer}. */
    String seed(String phase) {
        List<Object> args = new ArrayList<>();
        args.add("UMCTL");
        args.add("MGRSEED");
        args.add(phase);
        args.addAll(id.switchArgs());
        return call(args);
    }

    private String call(List<Object> args) {
        try {
            if (peer == null) {
                peer = engine.connectPeer(id.meta().dstProxy(), PEER_TIMEOUT_MILLIS);
            }
            Object reply = peer.call(args.toArray());
            if (reply instanceof RedisLink.ErrorReply error) {
                return "-" + error.message();
            }
            return reply instanceof String simple ? "+" + simple : "?" + reply;
        } catch (IOException | RuntimeException e) {
            closePeer();
            return null;
        }
    }

    private void closePeer() {
        if (peer != null) {
            peer.close();
            peer = null;
        }
    }

    @Override
    public void close() {
        closePeer();
        source.close();
        destination.close();
    }
}
