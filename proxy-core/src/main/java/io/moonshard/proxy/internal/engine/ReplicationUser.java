package io.moonshard.proxy.internal.engine;

import io.moonshard.proxy.ProxyConfig;

/**
 * The ACL user every replica the proxies attach authenticates as ({@code masteruser}), and which a node
 * may serve a sync to only once its proxy has created it there ({@code ACL SETUSER}, in memory only).
 *
 * <p>Why: a Redis restarted without persistence comes back empty on the same port, and its replica
 * retries it from its replication cron, once a second, whatever the proxies do. The replica's proxy parks
 * the replica 20-40 ms after the master went away; a retry that came inside that window used to take a
 * full sync from the empty node and drop the data the replica held for it. A restarted process has no
 * user the proxy created, so that retry now fails its {@code AUTH} and changes nothing; the master's proxy
 * creates the user again only once the node is not held (a SETREPL decided what it is). A
 * {@code CONFIG REWRITE} on a node started from a config file without an {@code aclfile} writes its
 * users into that file, where the user would survive a restart and the window reopen; the proxy issues
 * none itself (a client's is forwarded, as Redis's own command; docs/operations.md says so).
 *
 * <p>The password is the backends' ({@code backend_password}) when set, which every proxy of a cluster
 * shares; without one the backends accept anyone as {@code default} anyway, so a fixed password gives away
 * nothing they did not.
 */
public record ReplicationUser(String password) {

    /** The user's name, the same on every node. */
    public static final String NAME = "moonshard-replication";
    private static final String OPEN_BACKENDS_PASSWORD = "moonshard-replication";

    public static ReplicationUser of(ProxyConfig config) {
        return new ReplicationUser(config.backendPassword() != null ? config.backendPassword() : OPEN_BACKENDS_PASSWORD);
    }

    /**
     * The command that lets a node serve syncs: the user with only the commands of a replica's handshake
     * ({@code AUTH} is always allowed). {@code reset} first, so that it is the same whatever was there.
     */
    public Object[] grant() {
        return new Object[] {"ACL", "SETUSER", NAME, "reset", "on", ">" + password, "+ping", "+replconf", "+psync", "+sync"};
    }

    /** The command that makes a node authenticate as this user to any master it is pointed at. */
    public Object[] follow() {
        return new Object[] {"CONFIG", "SET", "masteruser", NAME, "masterauth", password};
    }
}
