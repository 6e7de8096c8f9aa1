package io.moonshard.proxy.internal.config;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.resp.RespCommands;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@code write_ack} says now, as one immutable value that {@code CONFIG SET} replaces whole: whether
 * writes wait for a replica, for how long, and the {@code WAIT 1 <timeout>} request that asks for it,
 * encoded once here rather than per batch.
 *
 * @param mode          when writes are answered
 * @param timeoutMillis the WAIT's timeout, 1 ms and up
 * @param waitRequest   {@code WAIT 1 <timeoutMillis>} as RESP; never written to, shared by every connection
 */
public record WriteAckPolicy(ProxyConfig.WriteAck mode, long timeoutMillis, byte[] waitRequest) {

    public WriteAckPolicy {
        Objects.requireNonNull(mode, "mode");
        if (timeoutMillis < 1) {
            // WAIT 1 0 waits forever, holding the connection and every client sharing it
            throw new IllegalArgumentException("the write ack timeout must be at least 1 ms");
        }
    }

    public static WriteAckPolicy of(ProxyConfig.WriteAck mode, long timeoutMillis) {
        return new WriteAckPolicy(mode, timeoutMillis,
                RespCommands.encode("WAIT", "1", Long.toString(timeoutMillis)));
    }

    public static WriteAckPolicy of(ProxyConfig config) {
        return of(config.writeAck(), config.writeAckTimeout().toMillis());
    }

    /** True when a batch holding a write must be confirmed by a replica before it is answered. */
    public boolean waitsForReplica() {
        return mode == ProxyConfig.WriteAck.REPLICA;
    }

    public WriteAckPolicy withMode(ProxyConfig.WriteAck next) {
        return of(next, timeoutMillis);
    }

    public WriteAckPolicy withTimeoutMillis(long next) {
        return of(mode, next);
    }

    /** The mode as the settings name it: {@code async} or {@code replica}. */
    public String modeName() {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
