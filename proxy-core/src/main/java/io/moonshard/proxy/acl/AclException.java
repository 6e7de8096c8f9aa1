package io.moonshard.proxy.acl;

/** A rule Redis rejects; the message is the reason text of {@code ACLSetUserStringError}. */
public final class AclException extends Exception {

    static final String SYNTAX = "Syntax error";
    static final String UNKNOWN = "Unknown command or category name in ACL";

    AclException(String reason) {
        super(reason, null, false, false);
    }
}
