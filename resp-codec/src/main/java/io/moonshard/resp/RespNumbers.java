package io.moonshard.resp;

import io.netty.buffer.ByteBuf;

/** Integer parsing with Redis's exact rules ({@code string2ll} in {@code util.c}), straight from a buffer. */
public final class RespNumbers {

    private RespNumbers() {
    }

    /**
     * Parses {@code len} bytes at {@code offset} of {@code buf} as a signed 64-bit decimal integer:
     * an optional {@code -}, then digits without leading zeros ("0" itself is fine), nothing else.
     *
     * @throws NumberFormatException if the bytes are not such an integer or overflow a long
     */
    public static long parseLong(ByteBuf buf, int offset, int len) {
        if (len <= 0 || len > 20) {
            throw new NumberFormatException("not an integer");
        }
        int i = offset;
        int end = offset + len;
        boolean negative = false;
        byte first = buf.getByte(i);
        if (first == '-') {
            negative = true;
            i++;
            if (i == end) {
                throw new NumberFormatException("not an integer");
            }
        }
        byte lead = buf.getByte(i);
        if (lead == '0') {
            if (i + 1 == end && !negative) {
                return 0;
            }
            throw new NumberFormatException("not an integer");
        }
        // accumulate negatively so Long.MIN_VALUE parses without overflow
        long result = 0;
        for (; i < end; i++) {
            byte b = buf.getByte(i);
            if (b < '0' || b > '9') {
                throw new NumberFormatException("not an integer");
            }
            int digit = b - '0';
            if (result < (Long.MIN_VALUE + digit) / 10) {
                throw new NumberFormatException("integer overflow");
            }
            result = result * 10 - digit;
        }
        if (negative) {
            return result;
        }
        if (result == Long.MIN_VALUE) {
            throw new NumberFormatException("integer overflow");
        }
        return -result;
    }
}
