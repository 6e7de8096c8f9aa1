package io.moonshard.proxy.internal.config;

import io.moonshard.proxy.acl.Acl;
import io.moonshard.proxy.acl.AclUser;
import java.util.Map;

/**
 * Who may use the proxy: the {@code default} user's password ({@code password}, Redis's
 * {@code requirepass}) and named users. Replaced whole when an operator rotates a password at run
 * time ({@code CONFIG SET}); connections that already authenticated stay authenticated, as in Redis.
 *
 * @param password the default user's password, or null: the default user needs none
 * @param users    named users and their passwords
 */
public record Credentials(String password, Map<String, String> users, Acl acl) {

    /** The CONFIG SET name that rotates the default user's password (the proxy's {@code requirepass}). */
    public static final String PASSWORD_SETTING = "moonshard-password";

    public Credentials {
        users = Map.copyOf(users);
    }

    public Credentials(String password, Map<String, String> users) {
        this(password, users, null);
    }

    /**
     * Whether a new connection starts authenticated: the default user is {@code nopass} and on, as in
     * Redis (so {@code ACL SETUSER default >pass} closes the proxy as {@code password} does).
     */
    public boolean openByDefault() {
        if (acl != null) {
            AclUser user = acl.defaultUser();
            return user.nopass() && user.enabled();
        }
        return password == null;
    }
}
