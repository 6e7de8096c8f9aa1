package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * What a seed needs of one Redis's {@code INFO replication} (Redis 7.0 field names), parsed once per
 * poll: its role, whom a replica follows, whether its link is up and its full sync over, and its
 * offset. Pure but for {@link #of}, which asks. (The replication engine has its own parser: the two
 * packages may not use each other.)
 *
 * @param master         {@code role:master}
 * @param masterAddress  a replica's {@code master_host:master_port}, else null
 * @param linkUp         a replica's {@code master_link_status:up}
 * @param syncInProgress a replica's {@code master_sync_in_progress:1}: its full sync is not loaded yet
 * @param offset         a master's {@code master_repl_offset}, a replica's {@code slave_repl_offset}
 *                       (what it has processed of its master's stream); -1 when not shown
 */
record ReplicationStatus(boolean master, String masterAddress, boolean linkUp, boolean syncInProgress, long offset) {

    static ReplicationStatus parse(String info) {
        Map<String, String> fields = new HashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        boolean master = "master".equals(fields.get("role"));
        String host = fields.get("master_host");
        String port = fields.get("master_port");
        long offset = number(fields.get(master ? "master_repl_offset" : "slave_repl_offset"));
        return new ReplicationStatus(master, master || host == null || port == null ? null : host + ":" + port,
                "up".equals(fields.get("master_link_status")), "1".equals(fields.get("master_sync_in_progress")),
                offset);
    }

    /** {@code INFO replication} of {@code redis}, parsed. */
    static ReplicationStatus of(RedisLink redis) throws IOException {
        Object reply = redis.call("INFO", "replication");
        if (!(reply instanceof byte[] text)) {
            throw new IOException(redis.address() + ": INFO replication answered " + reply);
        }
        return parse(new String(text, StandardCharsets.UTF_8));
    }

    /** Whether this is a replica of {@code address} ({@code host:port} as it was given to REPLICAOF). */
    boolean replicates(String address) {
        return !master && address.equals(masterAddress);
    }

    /**
     * A replica with the full sync loaded and the link up. (Its master may still hold the stream back:
     * after a diskless sync it streams once it has reaped its fork and then had the replica's ACK, up to
     * a second later.)
     */
    boolean streaming() {
        return !master && linkUp && !syncInProgress && offset >= 0;
    }

    private static long number(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
