package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import java.io.IOException;

/**
 * The migration's registers (the outcome of each fence attempt) live in database 1 of each Redis:
 * the proxy refuses SELECT, so no client can see, count, SCAN or change them, and they are never
 * enumerated with the keys being moved. Each call selects database 1, runs one command and selects
 * database 0 again, pipelined, so the link is back on the data when it returns.
 */
final class Registers {

    static final String DATABASE = "1";

    /** Links to cluster-enabled servers (SELECT refused), found on their first register call. */
    private static final java.util.Set<RedisLink> DATABASE_ZERO_ONLY =
            java.util.Collections.newSetFromMap(java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>()));

    private Registers() {
    }

    /**
     * Runs one command on the register database of {@code redis}; returns its reply. A cluster-enabled
     * Redis has database 0 only: there the register is a key of database 0 ({@code moonshard:...},
     * never enumerated with the moving keys and hidden from SCAN and KEYS).
     */
    static Object call(RedisLink redis, Object... command) throws IOException {
        if (DATABASE_ZERO_ONLY.contains(redis)) {
            return redis.call(command);
        }
        byte[][] encoded = new byte[command.length][];
        for (int i = 0; i < command.length; i++) {
            encoded[i] = RedisLink.arg(command[i]);
        }
        redis.send(RedisLink.arg("SELECT"), RedisLink.arg(DATABASE));
        redis.send(encoded);
        redis.send(RedisLink.arg("SELECT"), RedisLink.arg("0"));
        Object selected = redis.read();
        Object reply = redis.read();
        Object back = redis.read();
        if (selected instanceof RedisLink.ErrorReply error && error.message().contains("cluster mode")) {
            DATABASE_ZERO_ONLY.add(redis);
            return reply; // SELECT failed, so the command ran on database 0, where this server keeps it

        }
        if (!"OK".equals(selected) || !"OK".equals(back)) {
            throw new IOException(redis.address() + ": SELECT for the migration register answered " + selected + ", " + back);
        }
        return reply;
    }
}
