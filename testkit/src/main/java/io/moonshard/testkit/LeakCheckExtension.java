package io.moonshard.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when any Netty buffer became unreachable without being released while it ran.
 *
 * <p>Registered for every test class through JUnit's extension auto-detection
 * ({@code META-INF/services}). After the class, it collects garbage a few times and allocates tracked
 * buffers, which makes Netty's detector poll its reference queue and report what the GC found.
 * Reports from buffers leaked by an earlier class can surface here too; their stack records name the
 * real culprit.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) detected after "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    /** Forces leak detection now and returns (and clears) whatever was reported. */
    public static List<String> collectLeaks() throws InterruptedException {
        if (!RecordingLeakDetector.installed()) {
            return List.of();
        }
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            // The detector drains its reference queue when it tracks a new buffer.
            for (int i = 0; i < 16; i++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.heapBuffer(1); // pooled: tracked, unlike unpooled heap buffers
                probe.release();
            }
            Thread.sleep(20); // lets the reference handler thread enqueue what the GC cleared
        }
        return RecordingLeakDetector.drainReports();
    }
}
