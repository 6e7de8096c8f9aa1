package io.moonshard.controller.store;

/**
 * A key's value with its revisions: {@code createRevision} when it was created (0 never: a key that
 * exists was created at some revision), {@code modRevision} when it was last written, and the lease it
 * is attached to (0: none).
 */
public record Versioned(String key, byte[] value, long createRevision, long modRevision, long leaseId) {
}
