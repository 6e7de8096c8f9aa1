package io.moonshard.cluster.command;

import java.util.HashMap;
import java.util.Map;

/**
 * A key-spec flag: how a command accesses the keys of one key spec. See
 * <a href="https://redis.io/docs/latest/develop/reference/key-specs/">Key specifications</a>.
 */
public enum KeyFlag {
    /** Read-only access to the value. */
    RO("RO"),
    /** Read-write access to the value. */
    RW("RW"),
    /** Overwrite: the value is replaced without being read. */
    OW("OW"),
    /** The key is removed. */
    RM("RM"),
    /** The user data of the value is returned, copied or used. */
    ACCESS("access"),
    /** The value is updated or its data is replaced. */
    UPDATE("update"),
    /** Data is added to the value. */
    INSERT("insert"),
    /** Data is removed from the value. */
    DELETE("delete"),
    /** The argument is not a key name but is hashed like one (e.g. a shard channel). */
    NOT_KEY("not_key"),
    /** The spec may miss keys; Redis then falls back to the command's own key finder. */
    INCOMPLETE("incomplete"),
    /** The flags depend on the other arguments. */
    VARIABLE_FLAGS("variable_flags");

    private static final Map<String, KeyFlag> BY_NAME = new HashMap<>();

    static {
        for (KeyFlag f : values()) {
            BY_NAME.put(f.redisName, f);
        }
    }

    private final String redisName;

    KeyFlag(String redisName) {
        this.redisName = redisName;
    }

    /** The flag as Redis spells it, e.g. {@code "RW"} or {@code "incomplete"}. */
    public String redisName() {
        return redisName;
    }

    /** The flag spelled {@code name} by Redis, or {@code null} when there is none. */
    public static KeyFlag fromRedisName(String name) {
        return BY_NAME.get(name);
    }
}
