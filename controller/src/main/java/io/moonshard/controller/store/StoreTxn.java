package io.moonshard.controller.store;

import java.util.ArrayList;
import java.util.List;

/**
 * A transaction: comparisons on keys' {@code modRevision}, then writes applied together only if every
 * comparison holds. {@code modRevision == 0} means "the key does not exist".
 */
public record StoreTxn(List<Compare> compares, List<Op> ops) {

    public StoreTxn {
        compares = List.copyOf(compares);
        ops = List.copyOf(ops);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The key's modRevision must be {@code modRevision} (0: the key must be absent). */
    public record Compare(String key, long modRevision) {
    }

    /** A write. */
    public sealed interface Op permits Put, Delete {
        String key();
    }

    /** Puts {@code value}, attached to lease {@code leaseId} (0: none). */
    public record Put(String key, byte[] value, long leaseId) implements Op {
    }

    /** Deletes the key (nothing if absent). */
    public record Delete(String key) implements Op {
    }

    public static final class Builder {
        private final List<Compare> compares = new ArrayList<>();
        private final List<Op> ops = new ArrayList<>();

        public Builder unchanged(String key, long modRevision) {
            compares.add(new Compare(key, modRevision));
            return this;
        }

        public Builder absent(String key) {
            return unchanged(key, 0);
        }

        public Builder put(String key, byte[] value) {
            ops.add(new Put(key, value, 0));
            return this;
        }

        public Builder put(String key, byte[] value, long leaseId) {
            ops.add(new Put(key, value, leaseId));
            return this;
        }

        public Builder delete(String key) {
            ops.add(new Delete(key));
            return this;
        }

        public StoreTxn build() {
            return new StoreTxn(compares, ops);
        }
    }
}
