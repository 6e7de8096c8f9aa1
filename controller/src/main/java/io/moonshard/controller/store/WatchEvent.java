package io.moonshard.controller.store;

/** One change seen by a watch; {@code value} is null for DELETE and RESET. */
public record WatchEvent(Kind kind, String key, byte[] value, long modRevision) {

    public enum Kind {
        PUT,
        DELETE,
        /** The watch was cancelled by the store: list again, then watch from the listing's revision. */
        RESET
    }
}
