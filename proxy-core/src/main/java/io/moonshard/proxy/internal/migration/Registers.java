package io.moonshard.proxy.internal.migration;

import java.io.IOException;

/**
 * The migration's registers (the outcome of each fence attempt) live in database 1 of each Redis:
 * the proxy refuses SELECT, so no client can see, count, SCAN or change them, and they are never
 * enumerated with the keys being moved. Each call selects database 1, runs one command and selects
 * database 0 again, pipelined, so the link is back on the data when it returns.
 */
final class Registers {

    static final String DATABASE = "1";

    private Registers() {
    }

    /** Runs one command on the register database of {@code redis}; returns its reply. */
    static Object call(RedisLink redis, Object... command) throws IOException {
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
        if (!"OK".equals(selected) || !"OK".equals(back)) {
            throw new IOException(redis.address() + ": SELECT for the migration register answered " + selected + ", " + back);
        }
        return reply;
    }
}
