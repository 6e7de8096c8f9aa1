package io.moonshard.controller.model;

/**
 * The epochs the controller sends, derived from the store revision of the cluster record's write, so
 * they come from the store, never decrease, and survive a controller failover.
 *
 * <p>Two per revision, because a proxy refuses a SETREPL at or below the epoch of a promotion it
 * performed: the {@code UMCTL PROMOTE} of a failover written at revision {@code r} carries {@code 2r},
 * and the SETREPL/SETCLUSTER of that same write carry {@code 2r + 1}, above it and below anything a
 * later write produces.
 */
public final class Epochs {

    private Epochs() {
    }

    /** The SETCLUSTER/SETREPL epoch of the record written at {@code revision}. */
    public static long metadata(long revision) {
        return 2 * revision + 1;
    }

    /** The PROMOTE epoch of a failover written at {@code revision}. */
    public static long promotion(long revision) {
        return 2 * revision;
    }
}
