package io.moonshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check really catches an unreleased buffer (so a green run means something). */
class LeakCheckExtensionTest {

    @Test
    void anUnreleasedBufferIsReported() throws Exception {
        assertThat(RecordingLeakDetector.installed()).as("tests must run with the recording detector").isTrue();
        leakOne();
        List<String> leaks = LeakCheckExtension.collectLeaks();
        assertThat(leaks).isNotEmpty();
        assertThat(leaks.get(0)).startsWith("LEAK: ByteBuf").contains("leakOne");
    }

    @Test
    void releasedBuffersAreNotReported() throws Exception {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(1);
        buf.release();
        assertThat(LeakCheckExtension.collectLeaks()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(42); // records an access trace that names this method
    }
}
