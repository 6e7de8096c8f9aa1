package io.moonshard.cluster.topology;

import java.nio.charset.StandardCharsets;

/**
 * Redis's {@code crc64}: CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0, no final
 * xor). {@code "123456789"} hashes to {@code 0xe9c6d914c4b8d9ca}. undermoon derives node IDs from it.
 */
public final class Crc64 {

    private static final long REFLECTED_POLY = 0x95AC9329AC4BC9B5L; // bit-reverse of 0xad93d23594c935a9
    private static final long[] TABLE = new long[256];

    static {
        for (int i = 0; i < 256; i++) {
            long crc = i;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ REFLECTED_POLY : crc >>> 1;
            }
            TABLE[i] = crc;
        }
    }

    private Crc64() {
    }

    public static long crc64(byte[] data) {
        long crc = 0;
        for (byte b : data) {
            crc = TABLE[(int) ((crc ^ b) & 0xFF)] ^ (crc >>> 8);
        }
        return crc;
    }

    public static long crc64(String text) {
        return crc64(text.getBytes(StandardCharsets.UTF_8));
    }
}
