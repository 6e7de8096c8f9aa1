package io.moonshard.cluster.topology;

/** Whether a slot range is stable or part of a migration, and which side this entry is. */
public enum RangeTag {
    NONE,
    /** The slots are moving away from this entry's node. */
    MIGRATING,
    /** The slots are moving to this entry's node. */
    IMPORTING
}
