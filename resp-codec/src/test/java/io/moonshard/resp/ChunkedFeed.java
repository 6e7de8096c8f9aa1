package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.function.Supplier;

/** Test helper: feeds a large value to a decoder in 64 KB chunks and watches its cumulation buffer. */
final class ChunkedFeed {

    private ChunkedFeed() {
    }

    /** Writes {@code size} bytes of 'v' in 64 KB chunks; returns how often the cumulation's capacity changed. */
    static int capacityChanges(EmbeddedChannel ch, Supplier<ByteBuf> cumulation, int size) {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'v');
        int changes = -1;
        int lastCapacity = -1;
        for (int sent = 0; sent < size; sent += chunk.length) {
            ch.writeInbound(Unpooled.wrappedBuffer(chunk, 0, Math.min(chunk.length, size - sent)));
            if (cumulation.get().capacity() != lastCapacity) {
                changes++;
                lastCapacity = cumulation.get().capacity();
            }
        }
        return changes;
    }

    /**
     * How a cumulation grew while {@code size} bytes arrived in 64 KB chunks.
     *
     * @param changes     how often its capacity changed
     * @param copiedBytes bytes copied by those changes, counted as the bytes buffered when each happened
     * @param worstExcess the largest {@code capacity - 2 * buffered} seen after a chunk
     */
    record Growth(int changes, long copiedBytes, long worstExcess) {
    }

    /** Writes {@code size} bytes of 'v' in 64 KB chunks after {@code already} buffered bytes; watches the cumulation. */
    static Growth growth(EmbeddedChannel ch, Supplier<ByteBuf> cumulation, int size, int already) {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'v');
        int changes = 0;
        long copied = 0;
        long worstExcess = Long.MIN_VALUE;
        int lastCapacity = cumulation.get().capacity();
        for (int sent = 0; sent < size; sent += chunk.length) {
            int n = Math.min(chunk.length, size - sent);
            ch.writeInbound(Unpooled.wrappedBuffer(chunk, 0, n));
            ByteBuf buffer = cumulation.get();
            long buffered = already + (long) sent + n;
            if (buffer.capacity() != lastCapacity) {
                changes++;
                copied += buffered;
                lastCapacity = buffer.capacity();
            }
            worstExcess = Math.max(worstExcess, buffer.capacity() - 2 * buffered);
        }
        return new Growth(changes, copied, worstExcess);
    }
}
