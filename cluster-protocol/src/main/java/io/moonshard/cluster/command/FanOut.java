package io.moonshard.cluster.command;

import java.util.List;

/**
 * Whether a multi-key command may be split by slot into sub-commands of the same kind, and how the
 * parts' replies merge back into the one reply Redis would give. Only the six commands whose split is
 * invisible to the client qualify: MGET, MSET, DEL, UNLINK, EXISTS, TOUCH. MSETNX, though Redis tags it
 * {@code request_policy:multi_shard}, does not: its all-or-nothing semantics cannot survive a split.
 */
public enum FanOut {
    /** Not splittable; keys in different slots are a {@code CROSSSLOT} error, as in Redis Cluster. */
    NONE(0),
    /** MGET: one key per argument; the reply is the parts' arrays re-assembled in argument order. */
    CONCAT_ARRAYS(1),
    /** MSET: key/value pairs; the reply is {@code +OK} once every part answered {@code +OK}. */
    ALL_OK(2),
    /** DEL, UNLINK, EXISTS, TOUCH: one key per argument; the reply is the sum of the parts' integers. */
    SUM_INTEGERS(1);

    private final int keyStep;

    FanOut(int keyStep) {
        this.keyStep = keyStep;
    }

    /**
     * Arguments per key, starting at argument 1: 1 for MGET-like commands, 2 for MSET's key/value
     * pairs (the value follows its key); 0 for {@link #NONE}.
     */
    public int keyStep() {
        return keyStep;
    }

    /** Whether the command may be split by slot. */
    public boolean splittable() {
        return this != NONE;
    }

    /**
     * The fan-out of command {@code name}, provided its key specs still have the shape a split relies
     * on (exactly one spec: keys from index 1 to the last argument with the expected step).
     */
    static FanOut of(String name, List<KeySpec> keySpecs) {
        FanOut candidate = switch (name) {
            case "mget" -> CONCAT_ARRAYS;
            case "mset" -> ALL_OK;
            case "del", "unlink", "exists", "touch" -> SUM_INTEGERS;
            default -> NONE;
        };
        if (candidate == NONE || keySpecs.size() != 1) {
            return NONE;
        }
        KeySpec spec = keySpecs.get(0);
        boolean shape = spec.beginSearch() instanceof KeySpec.Index index && index.position() == 1
                && spec.findKeys() instanceof KeySpec.Range range
                && range.lastKey() == -1 && range.keyStep() == candidate.keyStep && range.limit() == 0;
        return shape ? candidate : NONE;
    }
}
