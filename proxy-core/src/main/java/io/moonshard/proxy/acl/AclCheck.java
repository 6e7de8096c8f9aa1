package io.moonshard.proxy.acl;

/**
 * The outcome of a permission check: {@link #OK}, or a denial with the argument that caused it.
 * Reason codes are Redis's {@code ACL_DENIED_*} values, whose order decides which denial of several
 * selectors is reported.
 */
public record AclCheck(int reason, int argPos) {

    public static final int OK = 0;
    public static final int DENIED_CMD = 1;
    public static final int DENIED_KEY = 2;
    public static final int DENIED_AUTH = 3;
    public static final int DENIED_CHANNEL = 4;

    static final AclCheck ALLOWED = new AclCheck(OK, 0);

    public boolean allowed() {
        return reason == OK;
    }

    /** The error a denied command gets (processCommand in server.c). */
    public String error(String commandName) {
        return switch (reason) {
            case DENIED_CMD -> "NOPERM this user has no permissions to run the '" + commandName + "' command";
            case DENIED_KEY -> "NOPERM this user has no permissions to access one of the keys used as arguments";
            case DENIED_CHANNEL -> "NOPERM this user has no permissions to access one of the channels used as arguments";
            default -> "no permission";
        };
    }

    /** The error a queued command gets at EXEC when the rules changed since it was queued (multi.c). */
    public String execError() {
        String why = switch (reason) {
            case DENIED_CMD -> "no permission to execute the command or subcommand";
            case DENIED_KEY -> "no permission to touch the specified keys";
            case DENIED_CHANNEL -> "no permission to access one of the channels used as arguments";
            default -> "no permission";
        };
        return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
                + "This command is no longer allowed for the following reason: " + why;
    }
}
