package io.moonshard.proxy.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AfterReadsTest {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void tasksAddedInOneIterationRunTogetherInOrderAsOneLoopTask() throws Exception {
        AfterReads afterReads = new AfterReads(loop);
        List<String> ran = new ArrayList<>();
        CompletableFuture<List<String>> seenByTheNextTask = new CompletableFuture<>();
        loop.execute(() -> {
            afterReads.add(() -> ran.add("a"));
            afterReads.add(() -> ran.add("b"));
            afterReads.add(() -> {
                ran.add("c");
                afterReads.add(() -> ran.add("added while draining"));
            });
            // queued after the drain: when it runs, the drain has run every task above, in order
            assertThat(ran).isEmpty();
            loop.execute(() -> seenByTheNextTask.complete(List.copyOf(ran)));
        });
        assertThat(seenByTheNextTask.get(5, TimeUnit.SECONDS))
                .containsExactly("a", "b", "c", "added while draining");
    }

    @Test
    void aFailingTaskDoesNotKeepTheOthersFromRunning() throws Exception {
        AfterReads afterReads = new AfterReads(loop);
        CompletableFuture<String> after = new CompletableFuture<>();
        loop.execute(() -> {
            afterReads.add(() -> {
                throw new IllegalStateException("a flush that fails");
            });
            afterReads.add(() -> after.complete("ran"));
        });
        assertThat(after.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
        // and the next iteration schedules a drain of its own again
        CompletableFuture<String> next = new CompletableFuture<>();
        loop.execute(() -> afterReads.add(() -> next.complete("again")));
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo("again");
    }
}
