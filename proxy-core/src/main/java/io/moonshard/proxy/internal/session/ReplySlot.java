package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * One client request's place in that client's reply order. Reserved when the request is decoded,
 * filled when its reply exists (from a backend or from the proxy), written when every earlier slot
 * has been written.
 */
public final class ReplySlot extends ReplyTarget {

    final ClientSession session;
    /** The reply once known; owned by this slot until it is written or released. */
    ByteBuf reply;
    /** Close the client connection after this reply (protocol errors, QUIT). */
    boolean closeAfter;
    /** CLIENT REPLY OFF/SKIP was in force: the reply is dropped instead of written. */
    public boolean suppressed;
    /** When the request was decoded ({@link System#nanoTime()}): the latency histogram and the slow log. */
    long receivedAtNanos;
    /**
     * The command's index for {@code moonshard_commands_total} ({@link CommandOutcome}), set at dispatch;
     * {@link CommandOutcome#NOT_A_COMMAND} for a slot that answers no command (pushed frames, protocol errors).
     */
    public int command = CommandOutcome.NOT_A_COMMAND;
    /**
     * Slow log: the request itself, retained until the reply is complete, so a slow command's arguments
     * can be copied then. Only an extra reference to the frame the decoder already made (no copy, no
     * allocation); see {@link ClientSession#channelRead}. Null when the slow log is off.
     */
    RespCommand request;
    /**
     * Frames the backend pushed before this slot's reply (RESP3 tracking invalidations), written just
     * before it, even when the reply itself is suppressed; null when none. Owned by this slot.
     */
    List<ByteBuf> pushedBefore;
    /**
     * Told when the reply exists, before it is written: a slot migration counts the command as no
     * longer in flight and notes the keys it wrote. Null for almost every command.
     */
    public Completion completion;

    /**
     * Hears that a command's reply exists (the backend has executed it, or the proxy answered it), and
     * may answer another reply instead (a blocked command whose slot moved gets MOVED).
     */
    public interface Completion {
        /** @return the reply to write: {@code reply}, or another one after releasing {@code reply} */
        ByteBuf completed(ByteBuf reply);
    }

    ReplySlot(ClientSession session) {
        this.session = session;
    }

    /**
     * A backend reply to part of this slot's request arrived (a command split over backends, SCAN's
     * rewritten request): the slow log's backend time then runs from the earliest part sent, so
     * {@link #sentAtNanos} takes that part's send time. Harmless otherwise: this slot is not itself in
     * any backend's in-flight queue, so no timeout reads it.
     */
    public void backendPartReplied(long partSentAtNanos) {
        if (partSentAtNanos != 0 && (sentAtNanos == 0 || partSentAtNanos - sentAtNanos < 0)) {
            sentAtNanos = partSentAtNanos;
        }
    }

    @Override
    public void complete(ByteBuf reply) {
        if (mayBlock) {
            session.blockingCommandEnded();
        }
        if (completion != null) {
            Completion observer = completion;
            completion = null; // once, whatever completes the slot
            reply = observer.completed(reply);
        }
        session.onSlotCompleted(this, reply);
    }
}
