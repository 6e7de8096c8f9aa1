package io.moonshard.resp;

/**
 * Request limits, with Redis 7.0's defaults: a client that exceeds one gets Redis's protocol error and
 * is disconnected.
 *
 * @param maxMultibulkLength largest array header accepted ({@code *N}); Redis allows up to INT_MAX
 * @param maxBulkLength      largest argument ({@code $N}), Redis's {@code proto-max-bulk-len}
 * @param maxInlineLength    longest inline command or header line without a line end
 *                           ({@code PROTO_INLINE_MAX_SIZE})
 * @param maxNesting         deepest reply nesting the reply splitter accepts
 */
public record RespLimits(long maxMultibulkLength, long maxBulkLength, int maxInlineLength, int maxNesting) {

    public static final long REDIS_MAX_MULTIBULK = Integer.MAX_VALUE;
    public static final long REDIS_PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;
    public static final int REDIS_INLINE_MAX_SIZE = 64 * 1024;
    public static final int DEFAULT_MAX_NESTING = 128;

    public RespLimits {
        if (maxMultibulkLength < 1 || maxBulkLength < 1 || maxInlineLength < 16 || maxNesting < 1) {
            throw new IllegalArgumentException("limits must be positive (inline length at least 16): " + maxMultibulkLength
                    + ", " + maxBulkLength + ", " + maxInlineLength + ", " + maxNesting);
        }
    }

    /** Redis 7.0's limits. */
    public static RespLimits defaults() {
        return new RespLimits(REDIS_MAX_MULTIBULK, REDIS_PROTO_MAX_BULK_LEN, REDIS_INLINE_MAX_SIZE, DEFAULT_MAX_NESTING);
    }

    public RespLimits withMaxBulkLength(long value) {
        return new RespLimits(maxMultibulkLength, value, maxInlineLength, maxNesting);
    }
}
