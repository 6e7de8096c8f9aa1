package io.moonshard.proxy.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.proxy.ProxyConfig.WriteAck;
import io.moonshard.proxy.internal.config.WriteAckPolicy;
import io.moonshard.proxy.internal.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which answers wait for a batch's WAIT, and what the WAIT's reply makes of them. */
class AckBatchesTest {

    private static final WriteAckPolicy REPLICA = WriteAckPolicy.of(WriteAck.REPLICA, 100);
    private static final WriteAckPolicy ASYNC = WriteAckPolicy.of(WriteAck.ASYNC, 100);
    private static final String NOT_CONFIRMED =
            "-NOTREPLICATED write applied on the master but not confirmed by a replica within 100 ms; "
                    + "it may be lost in a failover\r\n";

    private final ProxyMetrics metrics = new ProxyMetrics();
    private final AckBatches acks = new AckBatches(PooledByteBufAllocator.DEFAULT, metrics);
    /** What every target got, in the order it got it: "name=reply". */
    private final List<String> delivered = new ArrayList<>();

    private Target sent(String name, boolean write) {
        Target t = new Target(name);
        t.mayWrite = write;
        acks.sent(t);
        return t;
    }

    /** The backend (or the proxy) answers {@code target}: held, or delivered now as the connection does. */
    private void answer(ReplyTarget target, String reply) {
        ByteBuf buf = buf(reply);
        if (!acks.answered(target, buf)) {
            target.complete(buf);
        }
    }

    @Test
    void aBatchWithAWrite_getsOneBarrier_andItsRepliesWaitForIt_inOrder() {
        Target read = sent("get", false);
        Target write = sent("set", true);
        Target write2 = sent("incr", true);
        AckBarrier barrier = acks.endBatch(REPLICA, false);

        assertThat(barrier).isNotNull();
        assertThat(acks.barriersInFlight()).isEqualTo(1);
        answer(read, "$1\r\nv\r\n");
        answer(write, "+OK\r\n");
        answer(write2, ":3\r\n");
        assertThat(delivered).isEmpty(); // all held until the WAIT answers

        answer(barrier, ":1\r\n");

        assertThat(delivered).containsExactly("get=$1\r\nv\r\n", "set=+OK\r\n", "incr=:3\r\n");
        assertThat(acks.barriersInFlight()).isZero();
        assertThat(metrics.writesConfirmed()).isEqualTo(2);
        assertThat(metrics.writesNotConfirmed()).isZero();
    }

    @Test
    void noReplicaInTime_replacesTheWritesReplies_notTheReads_norErrors() {
        Target read = sent("get", false);
        Target write = sent("set", true);
        Target failed = sent("incr", true);
        AckBarrier barrier = acks.endBatch(REPLICA, false);
        answer(read, "$1\r\nv\r\n");
        answer(write, "+OK\r\n");
        answer(failed, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");

        answer(barrier, ":0\r\n");

        assertThat(delivered).containsExactly("get=$1\r\nv\r\n", "set=" + NOT_CONFIRMED,
                "incr=-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
        assertThat(metrics.writesNotConfirmed()).isEqualTo(1);
        assertThat(metrics.writesConfirmed()).isZero();
    }

    @Test
    void aFailedWait_isNotAConfirmation_andSaysWhy() {
        Target write = sent("set", true);
        Target unanswered = sent("del", true);
        AckBarrier barrier = acks.endBatch(REPLICA, false);
        answer(write, "+OK\r\n");
        // the connection drops: the proxy fails what is still in flight, in order
        answer(unanswered, "-ERR backend 127.0.0.1:1 connection lost; the command may or may not have run\r\n");
        answer(barrier, "-ERR backend 127.0.0.1:1 connection lost; the command may or may not have run\r\n");

        assertThat(delivered).containsExactly(
                "set=-NOTREPLICATED write applied on the master but its replication could not be confirmed "
                        + "(ERR backend 127.0.0.1:1 connection lost; the command may or may not have run); "
                        + "it may be lost in a failover\r\n",
                "del=-ERR backend 127.0.0.1:1 connection lost; the command may or may not have run\r\n");
    }

    @Test
    void batchesWithoutAWrite_orWithAsyncAcks_orOnlyBlockingWrites_getNoBarrier() {
        Target read = sent("get", false);
        assertThat(acks.endBatch(REPLICA, false)).isNull();
        Target write = sent("set", true);
        assertThat(acks.endBatch(ASYNC, false)).isNull();
        Target blocking = sent("blmove", true);
        blocking.mayBlock = true;
        // counted as a write when sent, so a fresh batch shows what mayBlock does
        acks.startBatch();
        Target blockingAlone = new Target("brpoplpush");
        blockingAlone.mayWrite = true;
        blockingAlone.mayBlock = true;
        acks.sent(blockingAlone);
        assertThat(acks.batchHasWrite()).isFalse();
        assertThat(acks.endBatch(REPLICA, false)).isNull();

        answer(read, "$-1\r\n");
        answer(write, "+OK\r\n");
        answer(blocking, "$1\r\nx\r\n");
        answer(blockingAlone, "$1\r\ny\r\n");

        assertThat(delivered).containsExactly("get=$-1\r\n", "set=+OK\r\n", "blmove=$1\r\nx\r\n",
                "brpoplpush=$1\r\ny\r\n");
        assertThat(acks.barriersInFlight()).isZero();
    }

    @Test
    void onlyTheBatchBeforeABarrierWaits_theBatchBeforeThatPassesAtOnce() {
        Target early = sent("get", false);
        assertThat(acks.endBatch(REPLICA, false)).isNull(); // batch 1: no write, already out
        Target write = sent("set", true);
        AckBarrier first = acks.endBatch(REPLICA, false); // batch 2
        Target later = sent("hset", true);
        AckBarrier second = acks.endBatch(REPLICA, true); // batch 3, closed behind the first WAIT (blocking next)

        answer(early, "$-1\r\n");
        assertThat(delivered).containsExactly("get=$-1\r\n");
        answer(write, "+OK\r\n");
        answer(first, ":0\r\n");
        answer(later, ":1\r\n");
        assertThat(delivered).hasSize(2);
        answer(second, ":1\r\n");

        assertThat(delivered).containsExactly("get=$-1\r\n", "set=" + NOT_CONFIRMED, "hset=:1\r\n");
        assertThat(metrics.writesConfirmed()).isEqualTo(1);
        assertThat(metrics.writesNotConfirmed()).isEqualTo(1);
    }

    @Test
    void batchesFlushedWhileAWaitIsInFlight_shareTheNextWait_sentWhenItAnswers() {
        Target write = sent("set", true);
        AckBarrier first = acks.endBatch(REPLICA, false);
        Target read = sent("get", false);
        assertThat(acks.endBatch(REPLICA, false)).isNull(); // reads only: a new batch starts
        Target second = sent("incr", true);
        assertThat(acks.endBatch(REPLICA, false)).isNull(); // a WAIT is in flight: the batch stays open
        Target third = sent("del", true);
        Target readAfter = sent("exists", false);
        assertThat(acks.endBatch(REPLICA, false)).isNull();
        assertThat(acks.batchHasWrite()).isTrue();

        answer(write, "+OK\r\n");
        answer(first, ":1\r\n");
        assertThat(delivered).containsExactly("set=+OK\r\n");
        AckBarrier next = acks.endBatch(REPLICA, false); // what the connection does when a WAIT answered
        assertThat(next).isNotNull();
        assertThat(acks.batchHasWrite()).isFalse();
        answer(read, "$-1\r\n"); // before the open batch's first write: not held
        answer(second, ":1\r\n");
        answer(third, ":1\r\n");
        answer(readAfter, ":0\r\n");
        assertThat(delivered).containsExactly("set=+OK\r\n", "get=$-1\r\n");
        answer(next, ":0\r\n");

        assertThat(delivered).containsExactly("set=+OK\r\n", "get=$-1\r\n", "incr=" + NOT_CONFIRMED,
                "del=" + NOT_CONFIRMED, "exists=:0\r\n");
    }

    @Test
    void pushesHeldAfterTheReplies_areHandedOverOnce() {
        sent("set", true);
        AckBarrier barrier = acks.endBatch(REPLICA, false);
        barrier.holdPushed(buf(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"));

        List<ByteBuf> pushed = barrier.takePushed();

        assertThat(pushed).hasSize(1);
        assertThat(barrier.takePushed()).isEmpty();
        pushed.forEach(ByteBuf::release);
        barrier.complete(buf(":1\r\n")); // nothing held: releases the WAIT's reply only
    }

    @Test
    void notConfirmed_readsTheWaitReply() {
        assertThat(AckBarrier.notConfirmed(text(":1\r\n"), 5)).isNull();
        assertThat(AckBarrier.notConfirmed(text(":2\r\n"), 5)).isNull();
        assertThat(AckBarrier.notConfirmed(text(":0\r\n"), 5))
                .isEqualTo("NOTREPLICATED write applied on the master but not confirmed by a replica within 5 ms; "
                        + "it may be lost in a failover");
        assertThat(AckBarrier.notConfirmed(text("-ERR WAIT cannot be used with replica instances.\r\n"), 5))
                .contains("(ERR WAIT cannot be used with replica instances.)");
        assertThat(AckBarrier.notConfirmed(text("+OK\r\n"), 5)).contains("(unexpected reply to WAIT)");
    }

    @Test
    void policy_encodesItsWaitOnce() {
        assertThat(new String(REPLICA.waitRequest(), StandardCharsets.US_ASCII))
                .isEqualTo("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$3\r\n100\r\n");
        assertThat(REPLICA.waitsForReplica()).isTrue();
        assertThat(ASYNC.waitsForReplica()).isFalse();
        assertThat(ASYNC.withMode(WriteAck.REPLICA).withTimeoutMillis(7).modeName()).isEqualTo("replica");
    }

    private static ByteBuf buf(String s) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer();
        b.writeCharSequence(s, StandardCharsets.UTF_8);
        return b;
    }

    /** An unpooled copy for the pure reading helpers (nothing to release). */
    private static ByteBuf text(String s) {
        return io.netty.buffer.Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private final class Target extends ReplyTarget {
        private final String name;

        Target(String name) {
            this.name = name;
        }

        @Override
        public void complete(ByteBuf reply) {
            delivered.add(name + "=" + reply.toString(StandardCharsets.UTF_8));
            reply.release();
        }
    }
}
