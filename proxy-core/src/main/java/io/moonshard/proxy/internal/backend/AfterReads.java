package io.moonshard.proxy.internal.backend;

import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work one event loop does once the I/O events of its current iteration are handled: flushing the
 * clients whose replies completed during them, so replies completed by several backend reads leave in
 * one write per client. However many clients it flushes, it puts one task on the loop's queue per
 * iteration: a task per client cost an offer and a poll of Netty's multi-producer task queue each
 * (with the poll's bookkeeping, about 2% of the proxy's CPU at P=1 with 50 clients, the async-profiler
 * profile in docs/performance.md).
 *
 * <p>Confined to its event loop.
 */
public final class AfterReads {

    private static final Logger log = LoggerFactory.getLogger(AfterReads.class);

    private final EventLoop loop;
    private final ArrayDeque<Runnable> due = new ArrayDeque<>();
    private final Runnable drain = this::drain;
    private boolean scheduled;

    AfterReads(EventLoop loop) {
        this.loop = loop;
    }

    /** Runs {@code task} on this loop after the current iteration's I/O events. Call on the loop. */
    public void add(Runnable task) {
        assert loop.inEventLoop();
        due.addLast(task);
        if (!scheduled) {
            scheduled = true;
            loop.execute(drain);
        }
    }

    private void drain() {
        scheduled = false;
        Runnable task;
        // a task added while draining (a flush whose failure completes another reply) runs in this pass
        while ((task = due.pollFirst()) != null) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // as Netty's own task loop does: one failing task must not keep the others from running
                log.warn("msg=\"a task after the loop's reads failed\"", e);
            }
        }
    }
}
