package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.cluster.slot.SlotHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deletes keys in small pipelined {@code UNLINK}s (even small values are freed on Redis's main
 * thread, so each command stays short). A cluster-enabled Redis refuses a multi-key command over
 * several slots, so there the keys are grouped by slot first.
 */
final class Unlinks {

    /** Keys per UNLINK: 100 small keys take Redis well under a millisecond. */
    static final int KEYS_PER_COMMAND = 100;
    private static final byte[] UNLINK = "UNLINK".getBytes(StandardCharsets.US_ASCII);
    /** Whether each link's server is cluster-enabled, asked once per link. */
    private static final Map<RedisLink, Boolean> CLUSTERED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private Unlinks() {
    }

    /** Deletes {@code keys} at {@code redis}; returns once every UNLINK answered. */
    static void unlink(RedisLink redis, List<byte[]> keys) throws IOException {
        if (keys.isEmpty()) {
            return;
        }
        List<List<byte[]>> groups = new ArrayList<>();
        if (clustered(redis)) {
            Map<Integer, List<byte[]>> bySlot = new LinkedHashMap<>();
            for (byte[] key : keys) {
                bySlot.computeIfAbsent(SlotHash.slot(key), s -> new ArrayList<>()).add(key);
            }
            groups.addAll(bySlot.values());
        } else {
            groups.add(keys);
        }
        int commands = 0;
        for (List<byte[]> group : groups) {
            for (int from = 0; from < group.size(); from += KEYS_PER_COMMAND) {
                List<byte[]> part = group.subList(from, Math.min(group.size(), from + KEYS_PER_COMMAND));
                List<byte[]> args = new ArrayList<>(part.size() + 1);
                args.add(UNLINK);
                args.addAll(part);
                redis.send(args);
                commands++;
            }
        }
        for (int i = 0; i < commands; i++) {
            Object reply = redis.read();
            if (reply instanceof RedisLink.ErrorReply error) {
                throw new IOException(redis.address() + ": UNLINK answered " + error.message());
            }
        }
    }

    private static boolean clustered(RedisLink redis) throws IOException {
        Boolean known = CLUSTERED.get(redis);
        if (known == null) {
            Object info = redis.call("INFO", "cluster");
            known = info instanceof byte[] text && new String(text, StandardCharsets.US_ASCII).contains("cluster_enabled:1");
            CLUSTERED.put(redis, known);
        }
        return known;
    }
}
