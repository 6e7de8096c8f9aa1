package io.moonshard.proxy.acl;

import java.util.List;
import java.util.Locale;

/** Redis 7.0's ACL categories in {@code ACLCommandCategories} order (ACL CAT, rule rendering). */
final class Categories {

    static final List<String> NAMES = List.of("keyspace", "read", "write", "set", "sortedset", "list", "hash",
            "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
            "dangerous", "connection", "transaction", "scripting");

    private Categories() {
    }

    /** The category's canonical name, ignoring case, or null when Redis has no such category. */
    static String find(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return NAMES.contains(lower) ? lower : null;
    }
}
