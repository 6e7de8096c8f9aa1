package io.moonshard.cluster.command;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An immutable open-addressing map from command (or subcommand) names to specs, matched on raw bytes
 * ignoring ASCII case like Redis's command dictionary, so a lookup allocates nothing.
 */
final class NameIndex {

    private final byte[][] names;
    private final CommandSpec[] specs;
    private final int mask;
    private final int maxLength;

    /** {@code keys.get(i)} (lower-case ASCII) maps to {@code values.get(i)}. */
    NameIndex(List<String> keys, List<CommandSpec> values) {
        int capacity = Integer.highestOneBit(Math.max(4, keys.size() * 3)) << 1; // load factor <= 1/3
        names = new byte[capacity][];
        specs = new CommandSpec[capacity];
        mask = capacity - 1;
        int longest = 0;
        for (String key : keys) {
            longest = Math.max(longest, key.length());
        }
        maxLength = longest; // set before find() below, which relies on it
        for (int i = 0; i < keys.size(); i++) {
            byte[] name = keys.get(i).getBytes(StandardCharsets.US_ASCII);
            if (find(name, 0, name.length) != null) {
                throw new IllegalArgumentException("duplicate command name " + keys.get(i));
            }
            int slot = hash(name) & mask;
            while (names[slot] != null) {
                slot = (slot + 1) & mask;
            }
            names[slot] = name;
            specs[slot] = values.get(i);
        }
    }

    /** The spec named by {@code len} bytes of {@code buf} at {@code offset}, ignoring ASCII case, or null. */
    CommandSpec find(ByteBuf buf, int offset, int len) {
        if (len > maxLength || len == 0) {
            return null;
        }
        int h = FNV_OFFSET;
        for (int k = 0; k < len; k++) {
            h = (h ^ fold(buf.getByte(offset + k))) * FNV_PRIME;
        }
        for (int slot = mix(h) & mask; names[slot] != null; slot = (slot + 1) & mask) {
            byte[] name = names[slot];
            if (name.length == len && equalsFolded(name, buf, offset)) {
                return specs[slot];
            }
        }
        return null;
    }

    /** The spec named by {@code len} bytes of {@code bytes} at {@code offset}, ignoring ASCII case, or null. */
    CommandSpec find(byte[] bytes, int offset, int len) {
        if (len > maxLength || len == 0) {
            return null;
        }
        int h = FNV_OFFSET;
        for (int k = 0; k < len; k++) {
            h = (h ^ fold(bytes[offset + k])) * FNV_PRIME;
        }
        for (int slot = mix(h) & mask; names[slot] != null; slot = (slot + 1) & mask) {
            byte[] name = names[slot];
            if (name.length == len) {
                boolean same = true;
                for (int k = 0; k < len && same; k++) {
                    same = name[k] == fold(bytes[offset + k]);
                }
                if (same) {
                    return specs[slot];
                }
            }
        }
        return null;
    }

    private static boolean equalsFolded(byte[] name, ByteBuf buf, int offset) {
        for (int k = 0; k < name.length; k++) {
            if (name[k] != fold(buf.getByte(offset + k))) {
                return false;
            }
        }
        return true;
    }

    private static final int FNV_OFFSET = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private static int hash(byte[] lowerCaseName) {
        int h = FNV_OFFSET;
        for (byte b : lowerCaseName) {
            h = (h ^ fold(b)) * FNV_PRIME;
        }
        return mix(h);
    }

    private static int mix(int h) {
        return h ^ (h >>> 16);
    }

    /** ASCII lower case; other bytes unchanged (Redis compares names with strcasecmp in the C locale). */
    static byte fold(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b | 0x20) : b;
    }
}
