package io.moonshard.cluster.slot;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The hash slot of a key, as Redis Cluster computes it ({@code keyHashSlot} in {@code cluster.c}):
 * CRC16 of the key mod 16384, where a hash tag (the bytes between the first {@code {} and the first
 * {@code }} after it, if not empty) replaces the key. Works on binary keys without copying.
 */
public final class SlotHash {

    /** Number of hash slots in a Redis Cluster. */
    public static final int SLOT_COUNT = 16384;

    private SlotHash() {
    }

    /** Slot of the key in bytes [offset, offset + len) of {@code buf} (absolute indexes). */
    public static int slot(ByteBuf buf, int offset, int len) {
        // One pass: CRC16 of the whole key, unless a '{' shows up (rare), then the hash-tag rules.
        // Eight bytes per read: every ByteBuf access checks its bounds and that the buffer is live,
        // which per byte cost more than the CRC itself (the key of every routed command goes here).
        int crc = 0;
        int i = offset;
        int end = offset + len;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = buf.getLong(i); // big-endian: the key's bytes from the most significant
            for (int shift = Long.SIZE - Byte.SIZE; shift >= 0; shift -= Byte.SIZE) {
                int b = (int) (word >>> shift) & 0xFF;
                if (b == '{') {
                    return slotWithBrace(buf, offset, len, i + (Long.SIZE - Byte.SIZE - shift) / Byte.SIZE);
                }
                crc = Crc16.update(crc, b);
            }
        }
        for (; i < end; i++) {
            int b = buf.getByte(i) & 0xFF;
            if (b == '{') {
                return slotWithBrace(buf, offset, len, i);
            }
            crc = Crc16.update(crc, b);
        }
        return crc & (SLOT_COUNT - 1);
    }

    /** The key has its first '{' at {@code open}: its hash tag's slot, or the whole key's if it has none. */
    private static int slotWithBrace(ByteBuf buf, int offset, int len, int open) {
        int end = offset + len;
        for (int i = open + 1; i < end; i++) {
            if (buf.getByte(i) == '}') {
                if (i > open + 1) {
                    return Crc16.crc16(buf, open + 1, i - open - 1) & (SLOT_COUNT - 1);
                }
                break; // "{}": the whole key is hashed
            }
        }
        return Crc16.crc16(buf, offset, len) & (SLOT_COUNT - 1);
    }

    /** Slot of the readable bytes of {@code key}. */
    public static int slot(ByteBuf key) {
        return slot(key, key.readerIndex(), key.readableBytes());
    }

    /** Slot of a binary key. */
    public static int slot(byte[] key) {
        int open = -1;
        for (int i = 0; i < key.length; i++) {
            if (key[i] == '{') {
                open = i;
                break;
            }
        }
        if (open >= 0) {
            for (int i = open + 1; i < key.length; i++) {
                if (key[i] == '}') {
                    if (i > open + 1) {
                        return Crc16.crc16(key, open + 1, i - open - 1) & (SLOT_COUNT - 1);
                    }
                    break;
                }
            }
        }
        return Crc16.crc16(key, 0, key.length) & (SLOT_COUNT - 1);
    }

    /** Slot of a UTF-8 key. */
    public static int slot(String key) {
        return slot(key.getBytes(StandardCharsets.UTF_8));
    }
}
