package io.moonshard.cluster.command;

import java.util.HashMap;
import java.util.Map;

/**
 * A command flag as {@code COMMAND INFO} reports it in Redis 7.0, plus the two flags it hides
 * ({@link #MAY_REPLICATE}, {@link #PROTECTED}), which the generator takes from Redis's
 * {@code commands.c}. See <a href="https://redis.io/docs/latest/commands/command/">COMMAND</a>.
 */
public enum CommandFlag {
    /** May modify the keyspace. */
    WRITE("write"),
    /** Never modifies the keyspace. */
    READONLY("readonly"),
    /** May grow memory: rejected under {@code maxmemory} pressure. */
    DENYOOM("denyoom"),
    /** Implemented by a module. */
    MODULE("module"),
    /** Administrative command. */
    ADMIN("admin"),
    /** Pub/Sub related. */
    PUBSUB("pubsub"),
    /** Not allowed inside scripts. */
    NOSCRIPT("noscript"),
    /** May block the client. */
    BLOCKING("blocking"),
    /** Allowed while the dataset is loading. */
    LOADING("loading"),
    /** Allowed on a replica with stale data. */
    STALE("stale"),
    /** Not shown in MONITOR. */
    SKIP_MONITOR("skip_monitor"),
    /** Not shown in SLOWLOG. */
    SKIP_SLOWLOG("skip_slowlog"),
    /** Allowed on an importing slot after ASKING (cluster). */
    ASKING("asking"),
    /** O(1) or O(log N); never delays the server. */
    FAST("fast"),
    /** Allowed before authentication. */
    NO_AUTH("no_auth"),
    /** May legitimately have no key arguments even though it declares key specs (EVAL with 0 keys). */
    NO_MANDATORY_KEYS("no_mandatory_keys"),
    /** Denied during asynchronous replica loading. */
    NO_ASYNC_LOADING("no_async_loading"),
    /** Not allowed inside MULTI. */
    NO_MULTI("no_multi"),
    /** Key positions depend on the arguments, not only on a fixed range. */
    MOVABLEKEYS("movablekeys"),
    /** Allowed while a script or function is busy. */
    ALLOW_BUSY("allow_busy"),
    /** May be replicated although not a write (hidden by COMMAND INFO; from commands.c). */
    MAY_REPLICATE("may_replicate"),
    /** Needs {@code enable-debug-command}/{@code enable-module-command} (hidden by COMMAND INFO; from commands.c). */
    PROTECTED("protected");

    private static final Map<String, CommandFlag> BY_NAME = new HashMap<>();

    static {
        for (CommandFlag f : values()) {
            BY_NAME.put(f.redisName, f);
        }
    }

    private final String redisName;

    CommandFlag(String redisName) {
        this.redisName = redisName;
    }

    /** The flag as Redis spells it, e.g. {@code "skip_monitor"}. */
    public String redisName() {
        return redisName;
    }

    /** The flag spelled {@code name} by Redis, or {@code null} when there is none. */
    public static CommandFlag fromRedisName(String name) {
        return BY_NAME.get(name);
    }
}
