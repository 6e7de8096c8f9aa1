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
}
