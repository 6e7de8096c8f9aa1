package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.proxy.internal.engine.ReplicationUser;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The Redis side of a seed, run by the source task on its links: the destination's Redis becomes a
 * replica of the source's ({@link #start}), the task waits for its full sync ({@link #awaitStreaming}),
 * and at the fence, once it has every write the source executed ({@link #awaitOffset}), it is made a
 * master again ({@link #promote}) before the destination is asked to commit.
 *
 * <p>For the sync's time only, two settings are changed and then put back: the source's
 * {@code repl-diskless-sync-delay} to 0 (Redis 7 waits 5 s by default for more replicas before it
 * forks), and the destination's {@code repl-diskless-load} to {@code swapdb} (parsed from the socket,
 * never written to its disk).
 */
final class ReplicaSeed {

    /** How often the sync's progress is read while it loads. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Inside the fence the destination's offset is read back to back, each read a round trip. */
    private static final long FENCE_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private final RedisLink source;
    private final RedisLink destination;
    private final String sourceNode;
    /** The destination's status at the last read of {@link #awaitOffset}, for the fence's log line. */
    private ReplicationStatus lastSeen;
    private long lastTarget = -1;
    private int reads;
    private String savedDelay;
    private String savedLoad;

    ReplicaSeed(RedisLink source, RedisLink destination, String sourceNode) {
        this.source = source;
        this.destination = destination;
        this.sourceNode = sourceNode;
    }

    /**
     * Points the destination's Redis at the source's. It authenticates as {@code user}, which the source
     * is given first: the source serves its slots, so it is not a node held after a restart, and its own
     * proxy may have no SETREPL entry for it to have done so.
     */
    void start(ReplicationUser user) throws IOException {
        savedDelay = config(source, "repl-diskless-sync-delay");
        savedLoad = config(destination, "repl-diskless-load");
        ok(source, "CONFIG", "SET", "repl-diskless-sync-delay", "0");
        ok(destination, "CONFIG", "SET", "repl-diskless-load", "swapdb");
        ok(source, user.grant());
        ok(destination, user.follow());
        int colon = sourceNode.lastIndexOf(':');
        ok(destination, "REPLICAOF", sourceNode.substring(0, colon), sourceNode.substring(colon + 1));
    }

    /**
     * Polls both Redis until the destination has loaded the full sync and follows the source's stream
     * within {@code lagBytes}, or {@code deadlineNanos} passes, or {@code stopped} says so.
     *
     * @return the destination's last status when it got there, null on the deadline or a stop
     * @throws IOException when the destination stopped following the source (made a master, pointed
     *                     elsewhere: the seed is lost) or a link failed
     */
    ReplicationStatus awaitStreaming(long lagBytes, long deadlineNanos, java.util.function.BooleanSupplier stopped)
            throws IOException {
        long loadedAt = -1;
        while (System.nanoTime() - deadlineNanos < 0 && !stopped.getAsBoolean()) {
            ReplicationStatus at = ReplicationStatus.of(destination);
            if (!at.replicates(sourceNode)) {
                throw new IOException(destination.address() + " no longer replicates " + sourceNode
                        + " (master=" + at.master() + ", following " + at.masterAddress() + "): the seed is lost");
            }
            if (at.streaming()) {
                if (loadedAt < 0) {
                    loadedAt = at.offset();
                }
                long sourceAt = ReplicationStatus.of(source).offset();
                // after a diskless sync the source starts the stream only at the replica's next ACK, up to a
                // second after the load: until its offset moved (or there was nothing to send) it is not
                // following yet, however small its lag looks
                boolean following = at.offset() > loadedAt || at.offset() >= sourceAt;
                if (following && sourceAt - at.offset() <= lagBytes) {
                    return at;
                }
            }
            LockSupport.parkNanos(POLL_NANOS); // a poll interval: Redis has nothing to wait on
        }
        return null;
    }

    /** The source's {@code master_repl_offset} now: read after the fence drained, it covers every moving-slot write. */
    long sourceOffset() throws IOException {
        return ReplicationStatus.of(source).offset();
    }

    /**
     * Reads the destination's offset until it reaches {@code target} (it has executed everything the
     * source had when {@code target} was read), or {@code deadlineNanos} passes.
     */
    boolean awaitOffset(long target, long deadlineNanos) throws IOException {
        lastTarget = target;
        reads = 0;
        while (true) {
            ReplicationStatus at = ReplicationStatus.of(destination);
            lastSeen = at;
            reads++;
            if (!at.replicates(sourceNode)) {
                return false; // not following any more: nothing it holds can be trusted as current
            }
            if (at.streaming() && at.offset() >= target) {
                return true;
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            LockSupport.parkNanos(FENCE_POLL_NANOS);
        }
    }

    /** What the last {@link #awaitOffset} waited for and saw: {@code target=... offset=... reads=...}. */
    String lastCatchUp() {
        ReplicationStatus at = lastSeen;
        return "target=" + lastTarget + " offset=" + (at == null ? -1 : at.offset()) + " streaming="
                + (at != null && at.streaming()) + " reads=" + reads;
    }

    /** {@code REPLICAOF NO ONE} at the destination: writable, with what it had of the source's stream. */
    void promote() throws IOException {
        ok(destination, "REPLICAOF", "NO", "ONE");
    }

    /** The source's and destination's settings as they were before {@link #start} (best effort). */
    void restoreSettings() {
        restore(source, "repl-diskless-sync-delay", savedDelay);
        restore(destination, "repl-diskless-load", savedLoad);
        savedDelay = null;
        savedLoad = null;
    }

    /**
     * Ends a seed in progress from {@code node} at {@code destination}: {@code REPLICAOF NO ONE} if it
     * still follows that node (a master that follows nobody, or someone else, is left as it is). A Redis
     * loading the full sync refuses REPLICAOF ({@code -LOADING}): it is asked again every 10 ms until it
     * takes it, or {@code giveUp} says so.
     *
     * @return whether it follows {@code node} no more
     */
    static boolean stopFollowing(RedisLink destination, String node, java.util.function.BooleanSupplier giveUp)
            throws IOException {
        while (ReplicationStatus.of(destination).replicates(node)) {
            Object reply = destination.call("REPLICAOF", "NO", "ONE");
            if (reply instanceof String status && status.startsWith("OK")) {
                return true;
            }
            if (!(reply instanceof RedisLink.ErrorReply error && error.message().startsWith("LOADING"))) {
                throw new IOException(destination.address() + ": REPLICAOF NO ONE answered " + reply);
            }
            if (giveUp.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the load takes what it takes: ask again
        }
        return true;
    }

    private static void restore(RedisLink redis, String name, String value) {
        if (value == null) {
            return;
        }
        try {
            redis.call("CONFIG", "SET", name, value);
        } catch (IOException | RuntimeException e) {
            // the link failed: the setting stays as the seed left it, which is harmless
        }
    }

    private static String config(RedisLink redis, String name) throws IOException {
        Object reply = redis.call("CONFIG", "GET", name);
        if (reply instanceof List<?> pair && pair.size() == 2 && pair.get(1) instanceof byte[] value) {
            return new String(value, java.nio.charset.StandardCharsets.UTF_8);
        }
        return null;
    }

    private static void ok(RedisLink redis, Object... command) throws IOException {
        Object reply = redis.call(command);
        if (!(reply instanceof String status && status.startsWith("OK"))) { // "OK Already connected to ..." too
            throw new IOException(redis.address() + ": " + command[0] + " " + command[1] + " answered " + reply);
        }
    }
}
