package io.moonshard.cluster.slot;

import io.netty.buffer.ByteBuf;

/** CRC16-XMODEM (polynomial 0x1021, init 0), the hash Redis Cluster uses for key slots; table-driven. */
public final class Crc16 {

    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xFFFF;
        }
    }

    private Crc16() {
    }

    /** The CRC16 {@code crc} of some bytes, extended by the byte {@code b} (0-255). */
    public static int update(int crc, int b) {
        return ((crc << 8) ^ TABLE[((crc >>> 8) ^ b) & 0xFF]) & 0xFFFF;
    }

    /** CRC16 of {@code len} bytes of {@code buf} from absolute index {@code offset}. */
    public static int crc16(ByteBuf buf, int offset, int len) {
        int crc = 0;
        for (int i = offset, end = offset + len; i < end; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ buf.getByte(i)) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    /** CRC16 of {@code len} bytes of {@code bytes} from {@code offset}. */
    public static int crc16(byte[] bytes, int offset, int len) {
        int crc = 0;
        for (int i = offset, end = offset + len; i < end; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ bytes[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }
}
