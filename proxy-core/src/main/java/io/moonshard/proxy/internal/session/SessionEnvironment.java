package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.acl.Acl;
import io.moonshard.proxy.internal.backend.BackendPools;
import io.moonshard.proxy.internal.config.Credentials;
import io.moonshard.proxy.internal.config.LiveLimits;
import io.moonshard.proxy.internal.metadata.ClusterState;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.moonshard.proxy.internal.metrics.SlowLog;

/**
 * What client sessions (and the commands acting on one, through {@link ClientSession#proxy}) get from
 * the proxy they belong to. Implemented by the command layer's {@code ProxyContext}; everything here
 * is of this layer or below.
 */
public interface SessionEnvironment {

    /** The configuration the proxy started with (settings CONFIG SET changes live in {@link #limits()}). */
    ProxyConfig config();

    /** The limits CONFIG SET changes at run time: output buffer limits, dedicated connections, timeouts. */
    LiveLimits limits();

    /** The passwords clients log in with, replaced whole when rotated. */
    Credentials credentials();

    /** The users and their permissions. */
    Acl acl();

    ClusterState cluster();

    ClientRegistry clients();

    BackendPools backends();

    SlowLog slowlog();

    ProxyMetrics metrics();

    ProxyMeters meters();

    /** Runs every command a session reads. */
    CommandHandler dispatcher();

    /**
     * A CLIENT PAUSE sent through this proxy may be holding the backends' clients: every command then
     * goes on its client's own connection, where a paused command waits as at a Redis node.
     */
    boolean clientsMayBePaused();
}
