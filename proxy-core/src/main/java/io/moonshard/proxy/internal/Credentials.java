package io.moonshard.proxy.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Who may use the proxy: the {@code default} user's password ({@code password}, Redis's
 * {@code requirepass}) and named users. Replaced whole when an operator rotates a password at run
 * time ({@code CONFIG SET}); connections that already authenticated stay authenticated, as in Redis.
 *
 * @param password the default user's password, or null: the default user needs none
 * @param users    named users and their passwords
 */
record Credentials(String password, Map<String, String> users) {

    Credentials {
        users = Map.copyOf(users);
    }

    /** Whether a new connection starts authenticated (the default user has no password). */
    boolean openByDefault() {
        return password == null;
    }

    /**
     * Null when {@code user}/{@code password} may log in, else Redis's error text.
     *
     * @param legacyForm {@code AUTH <password>} (no user named)
     */
    String check(String user, String candidate, boolean legacyForm) {
        if ("default".equals(user)) {
            if (password == null) {
                return legacyForm ? "ERR AUTH <password> called without any password configured for the default user. "
                        + "Are you sure your configuration is correct?" : null;
            }
            return equal(password, candidate) ? null : WRONGPASS;
        }
        String expected = users.get(user);
        return expected != null && equal(expected, candidate) ? null : WRONGPASS;
    }

    private static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

    private static boolean equal(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
