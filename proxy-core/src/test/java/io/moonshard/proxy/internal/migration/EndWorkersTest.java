package io.moonshard.proxy.internal.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The copy pass's end: every worker gets a marker, whichever worker takes whichever marker. */
class EndWorkersTest {

    private static final Object END = new Object();

    @Test
    void everyWorkerEndsWhenAnotherTookTheMarkerQueuedFirst() throws Exception {
        for (int round = 0; round < 200; round++) {
            BlockingQueue<Object> batches = new ArrayBlockingQueue<>(4);
            // b waits first, so the first marker goes to b (the queue wakes its longest waiter), though
            // a comes first in the list
            Thread b = worker(batches);
            Thread a = worker(batches);
            b.start();
            awaitWaiting(b);
            a.start();
            awaitWaiting(a);
            Thread ending = new Thread(() -> {
                try {
                    SlotMigration.endWorkers(List.of(a, b), batches, END, () -> false);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ending.start();
            ending.join(TimeUnit.SECONDS.toMillis(5));
            boolean hung = ending.isAlive();
            a.interrupt();
            b.interrupt();
            ending.interrupt();
            assertThat(hung).as("round %d: a worker was left without a marker", round).isFalse();
        }
    }

    @Test
    void aWorkerThatDiedTakesNoMarkerAndTheOthersStillEnd() throws Exception {
        BlockingQueue<Object> batches = new ArrayBlockingQueue<>(2);
        Thread dead = new Thread(() -> { });
        dead.start();
        dead.join();
        Thread alive = worker(batches);
        alive.start();
        batches.put("a batch nobody will copy");
        batches.put("another");
        SlotMigration.endWorkers(List.of(dead, alive), batches, END, () -> true);
        assertThat(alive.isAlive()).isFalse();
    }

    private static Thread worker(BlockingQueue<Object> batches) {
        Thread t = new Thread(() -> {
            try {
                for (Object batch = batches.take(); batch != END; batch = batches.take()) {
                    // a batch: nothing to copy here
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.setDaemon(true);
        return t;
    }

    private static void awaitWaiting(Thread t) {
        Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).pollInterval(java.time.Duration.ofMillis(1))
                .until(() -> t.getState() == Thread.State.WAITING);
    }
}
