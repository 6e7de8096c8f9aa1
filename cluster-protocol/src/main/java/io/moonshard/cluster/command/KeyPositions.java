package io.moonshard.cluster.command;

import java.util.Arrays;

/**
 * A reusable buffer of key argument indexes, filled by {@link CommandSpec#findKeys}. Reusing one
 * instance per event loop (or session) keeps key extraction allocation-free: the buffer only grows
 * when a command has more keys than it has ever held.
 *
 * <p>Not thread-safe.
 */
public final class KeyPositions {

    /** Returned by {@link CommandSpec#findKeys} when Redis would reject the arguments; see there. */
    public static final int INVALID = -1;
    /** {@link #access} bit: the command reads the key's data (key spec flag {@code access}). */
    public static final int READ = 1;
    /** {@link #access} bit: the command changes the key (key spec flags {@code insert}, {@code update}, {@code delete}). */
    public static final int WRITE = 2;

    private int[] positions;
    private int[] access;
    private int count;
    private boolean invalid;

    /** An empty buffer for up to 16 keys before it first grows. */
    public KeyPositions() {
        this(16);
    }

    /** An empty buffer for up to {@code initialCapacity} keys before it first grows. */
    public KeyPositions(int initialCapacity) {
        positions = new int[Math.max(1, initialCapacity)];
        access = new int[positions.length];
    }

    /** Number of keys found by the last extraction (0 when it was invalid). */
    public int count() {
        return count;
    }

    /** Whether the last extraction returned {@link #INVALID}. */
    public boolean isInvalid() {
        return invalid;
    }

    /** Argument index of key {@code i} ({@code 0 <= i < count()}), in the order Redis reports keys. */
    public int get(int i) {
        if (i >= count) {
            throw new IndexOutOfBoundsException("key " + i + " of " + count);
        }
        return positions[i];
    }

    /**
     * How the command uses key {@code i}, as ACL key permissions see it ({@code ACLSelectorCheckKey}):
     * {@link #READ} and/or {@link #WRITE}, from its key spec or the command's own key finder; 0 when
     * Redis reports no flags for it (legacy ranges, EVAL/ZUNIONSTORE numkeys keys, XREAD, GEORADIUS).
     */
    public int access(int i) {
        if (i >= count) {
            throw new IndexOutOfBoundsException("key " + i + " of " + count);
        }
        return access[i];
    }

    /** A copy of the positions found (empty when none or invalid). */
    public int[] toArray() {
        return Arrays.copyOf(positions, count);
    }

    void clear() {
        count = 0;
        invalid = false;
    }

    void add(int position) {
        add(position, 0);
    }

    void add(int position, int accessBits) {
        if (count == positions.length) {
            positions = Arrays.copyOf(positions, positions.length * 2);
            access = Arrays.copyOf(access, positions.length);
        }
        access[count] = accessBits;
        positions[count++] = position;
    }

    /** The {@link #access} bits of a key spec's flags. */
    static int accessOf(KeySpec spec) {
        int bits = spec.has(KeyFlag.ACCESS) ? READ : 0;
        if (spec.has(KeyFlag.INSERT) || spec.has(KeyFlag.UPDATE) || spec.has(KeyFlag.DELETE)) {
            bits |= WRITE;
        }
        return bits;
    }

    /** Drops the keys found so far; returns {@link #INVALID}. */
    int markInvalid() {
        count = 0;
        invalid = true;
        return INVALID;
    }

    @Override
    public String toString() {
        return invalid ? "KeyPositions[invalid]" : "KeyPositions" + Arrays.toString(toArray());
    }
}
