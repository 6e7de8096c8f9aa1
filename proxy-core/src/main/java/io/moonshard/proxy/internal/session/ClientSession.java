package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.ClientOutputBufferLimits;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.BackendPool;
import io.moonshard.proxy.internal.backend.ConnectionOwner;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.backend.WriteCoalescing;
import io.moonshard.proxy.internal.metadata.TransportAddresses;
import io.moonshard.proxy.internal.metrics.CommandOutcome;
import io.moonshard.proxy.internal.metrics.LoopStats;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.moonshard.proxy.internal.wire.PubSubFrames;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespCommands;
import io.moonshard.resp.RespProtocolError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: turns decoded requests into reply slots in arrival order, hands each to the
 * {@link CommandHandler} (the command layer's dispatcher), and writes replies strictly in request order however they complete.
 *
 * <p>Confined to the client channel's event loop, which also runs every backend connection this
 * session uses, so nothing here is synchronised. Back-pressure: over {@code max_pending_commands}
 * unanswered requests, or while more than {@code max_pending_reply_bytes} of replies are due, the session
 * stops reading from the client until it drains.
 *
 * <p>Replies due: bytes received from backends (or made here) and not yet written to the client's socket,
 * that is the complete replies waiting in slots for an earlier one plus what the channel's outbound
 * buffer holds. A backend connection is shared by many clients and never waits for one: each reply is
 * taken off it as it arrives and counts against its client. Over Redis's {@code client-output-buffer-limit}
 * of its class (normal or pubsub), or over {@code max_client_output_bytes}, the client is disconnected as
 * Redis disconnects it, and its replies still to come are released as they arrive.
 *
 * <p>Why one class of this length: the reply order, the bytes due, back-pressure (auto-read) and the
 * output limits are one mechanism over the same few fields, changed on every reply; split up, each part
 * would read and write the others' fields. What the client has told the proxy is kept apart, in
 * {@link ClientState}.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements ConnectionOwner {

    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final long REDIS_FIXED_REPLY_BUFFER = 16 * 1024;
    /** Replies due beyond which a client counts as not reading them (see {@link #onSlotCompleted}). */
    private static final long LAGGING_BYTES = 1 << 20;

    /** The proxy this client belongs to, as sessions and the commands acting on one see it. */
    public final SessionEnvironment proxy;
    public final BackendPool pool;
    public final long id;
    private Channel channel;

    private final ArrayDeque<ReplySlot> pending = new ArrayDeque<>();
    private boolean closed;
    private boolean closing;
    /** Set once pending slots were released: replies arriving later are dropped (the client is gone). */
    private boolean discarding;
    private boolean flushNeeded;
    private boolean backendPaused;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;
    /** Bytes of complete replies held in slots (waiting for an earlier reply), pushed frames included. */
    private long queuedReplyBytes;
    /** When the replies due last reached the soft limit ({@link System#nanoTime}); 0 while under it. */
    private long softLimitSinceNanos;
    /** The check that disconnects a client still over its soft limit once its seconds are up, or null. */
    private ScheduledFuture<?> softLimitCheck;

    /** What this client told the proxy about itself and what it is in the middle of (MULTI, WATCH, ...). */
    private final ClientState state;

    /**
     * This client's own backend connections, by address, null until the first: blocking commands,
     * WATCH and pub/sub need a connection no other client shares. Once a client has one to a backend,
     * all its commands to that backend use it, so they keep their order.
     */
    private Map<String, BackendConnection> dedicated;
    /**
     * Set while one of this client's commands finishes elsewhere and must take effect before the next
     * runs (a SETCLUSTER on the applier thread; a restricted user's script waiting for its backend login,
     * the route layer's {@code ScriptUsers}): commands read meanwhile wait here, with their slots,
     * in order. Bounded by {@code max_pending_commands}, as their slots count as pending.
     */
    private boolean dispatchHeld;
    private ArrayDeque<ReplySlot> heldSlots;
    private ArrayDeque<RespCommand> heldCommands;

    public ClientSession(SessionEnvironment proxy, BackendPool pool, long id) {
        this.proxy = proxy;
        this.pool = pool;
        this.id = id;
        this.state = new ClientState(proxy.credentials().openByDefault(), proxy.acl().defaultUser());
    }

    /** This client's state: login, protocol, MULTI, WATCH, tracking, subscriptions, blocking commands. */
    public ClientState state() {
        return state;
    }

    public Channel channel() {
        return channel;
    }

    /** The connection this client's next command to {@code backend} goes on. */
    public BackendConnection connectionFor(String backend) {
        if (dedicated != null) {
            BackendConnection own = dedicated.get(backend);
            if (own != null && !own.isClosed()) {
                byte[] caching = state.takePendingCaching();
                if (caching != null) {
                    // CLIENT CACHING applies to this next command, so it goes just before it
                    own.send(ReplyTarget.discard(), Unpooled.wrappedBuffer(caching));
                }
                return own;
            }
        }
        if (proxy.clientsMayBePaused()) {
            BackendConnection own = dedicatedConnection(backend);
            if (own != null) {
                return own;
            }
        }
        return pool.connection(backend, id, state.protocol());
    }

    /** The blocking command this client waits in, or null. */
    private BlockedCommand blocked;

    /**
     * A command that may block on {@code slot} is about to be sent to {@code backend} on this client's
     * own connection: from now until its reply, a migration moving that slot can answer it MOVED.
     */
    public void blockingCommandOn(ReplySlot replySlot, String backend, int slot) {
        BlockedCommand command = new BlockedCommand(this, backend, slot);
        blocked = command;
        ReplySlot.Completion inner = replySlot.completion;
        replySlot.completion = reply -> {
            if (blocked == command) {
                blocked = null;
            }
            ByteBuf answered = inner == null ? reply : inner.completed(reply);
            return command.answer(answered);
        };
    }

    /**
     * On this client's loop: the slots {@code moved} left {@code backend}; its shard channels there are
     * unsubscribed at the backend, whose {@code sunsubscribe} confirmations reach the client as pushes,
     * as a Redis 7 node tells subscribers of a slot that moved.
     */
    public void shardSlotsMoved(String backend, java.util.function.IntPredicate moved) {
        java.util.List<String> channels = state.shardChannelsAt(backend, moved);
        BackendConnection push = channels.isEmpty() ? null : dedicatedConnectionIfAny(backend);
        if (push != null && push.isPush()) {
            String[] args = new String[channels.size() + 1];
            args[0] = "SUNSUBSCRIBE";
            for (int i = 0; i < channels.size(); i++) {
                args[i + 1] = channels.get(i);
            }
            push.send(ReplyTarget.discard(), io.netty.buffer.Unpooled.wrappedBuffer(io.moonshard.resp.RespCommands.encode(args)));
        }
    }

    /** The blocking command this client waits in (read on its loop), or null. */
    public BlockedCommand blockedCommand() {
        return blocked;
    }

    /** This client's own connection to {@code backend}, or null when it has none (never opens one). */
    public BackendConnection dedicatedConnectionIfAny(String backend) {
        BackendConnection own = dedicated == null ? null : dedicated.get(backend);
        return own == null || own.isClosed() ? null : own;
    }

    /**
     * This client's dedicated connection to {@code backend}, opened on first use; null when the proxy
     * already holds {@code max_dedicated_connections} of them.
     */
    public BackendConnection dedicatedConnection(String backend) {
        if (dedicated == null) {
            dedicated = new HashMap<>(4);
        }
        BackendConnection own = dedicated.get(backend);
        if (own != null && !own.isClosed()) {
            return own;
        }
        if (own != null) {
            dedicated.remove(backend);
            proxy.backends().releaseDedicatedConnection();
        }
        if (!proxy.backends().tryAcquireDedicatedConnection()) {
            return null;
        }
        own = pool.dedicatedConnection(backend, state.protocol());
        own.setOwner(this);
        dedicated.put(backend, own);
        return own;
    }

    /**
     * Runs on this client's event loop: {@code done} gets the id, at {@code backend}, of this client's own
     * connection there (opened now if it has none), or -1 when there is none. Other clients name this
     * one in CLIENT TRACKING ... REDIRECT by its proxy id; the backend knows it by that id.
     */
    public void backendIdFor(String backend, LongConsumer done) {
        BackendConnection own = closed ? null : dedicatedConnection(backend);
        if (own == null) {
            done.accept(-1);
            return;
        }
        if (state.protocol() == 2 && state.isSubscribed() && !own.isPush()) {
            // Redis sends a RESP2 redirect client the invalidations only while it is in Pub/Sub mode:
            // this client subscribed on the proxy's pub/sub backend, so it subscribes here too
            own.subscribeHidden(this, "__redis__:invalidate");
        }
        own.whenClientIdKnown(done);
    }

    /**
     * HELLO changed this client's protocol: its dedicated connections switch in place, so what the
     * backend holds for them (tracking, WATCHed keys, subscriptions) stays, as Redis keeps a
     * connection's state across HELLO.
     */
    public void switchProtocol(int version) {
        if (dedicated != null) {
            for (BackendConnection own : dedicated.values()) {
                if (!own.isClosed()) {
                    own.switchProtocol(version);
                }
            }
        }
        state.protocol(version);
    }

    /**
     * QUIT: this client's dedicated connections with nothing in flight close now, before the reply,
     * so the backend knows this client is gone by the time it reads OK (a client tracking with a
     * redirect to this one then gets tracking-redir-broken from the next invalidation, as from Redis).
     */
    public void closeIdleDedicatedConnections() {
        if (dedicated == null) {
            return;
        }
        var it = dedicated.values().iterator();
        while (it.hasNext()) {
            BackendConnection own = it.next();
            if (own.inFlightCount() == 0) {
                own.closeForOwner();
                proxy.backends().releaseDedicatedConnection();
                it.remove();
            }
        }
    }

    /**
     * A frame the backend pushed on one of this client's dedicated connections (RESP3 invalidation):
     * it goes out just before the reply to {@code next}, the oldest request in flight on that
     * connection, when that is one of this client's slots; otherwise after every reply already due.
     * Ownership of {@code frame} passes here.
     */
    public void deliverOutOfBand(ByteBuf frame, ReplyTarget next) {
        if (next instanceof ReplySlot slot && slot.session == this && slot.reply == null && !discarding) {
            if (slot.pushedBefore == null) {
                slot.pushedBefore = new ArrayList<>(1);
            }
            slot.pushedBefore.add(frame);
            queuedReplyBytes += frame.readableBytes();
            checkOutputLimits(frame.readableBytes(), false);
            return;
        }
        onSlotCompleted(reserveSlot(), frame);
    }

    /** Closes this client's dedicated connections (it left); a blocked command ends with them. */
    void closeDedicatedConnections() {
        if (dedicated == null) {
            return;
        }
        for (BackendConnection own : dedicated.values()) {
            own.close();
            proxy.backends().releaseDedicatedConnection();
        }
        dedicated.clear();
        state.dedicatedConnectionsClosed();
    }

    /**
     * This client's pub/sub connection to {@code backend}: its dedicated connection, switched to
     * passing every frame through. Null over the dedicated-connection limit.
     */
    public BackendConnection pushConnection(String backend) {
        BackendConnection own = dedicatedConnection(backend);
        if (own != null && !own.isPush()) {
            own.enablePush(this);
        }
        return own;
    }

    /**
     * A frame from one of this client's pub/sub connections: a message, or the reply to a request sent
     * there. It goes out after every reply already due. Ownership of {@code frame} passes here.
     */
    public void deliverPushed(BackendConnection from, ByteBuf frame) {
        PubSubFrames.Kind kind = PubSubFrames.confirmationKind(frame);
        if (kind != null) {
            long count = PubSubFrames.trailingCount(frame);
            if (kind == PubSubFrames.Kind.SHARD) {
                PubSubFrames.ShardConfirmation shard = PubSubFrames.shardConfirmation(frame);
                if (shard != null) {
                    state.shardChannelConfirmed(from.address, shard.subscribed(), shard.channel(), shard.slot());
                }
            }
            if (count >= 0) {
                state.subscriptionsConfirmed(from.address, kind == PubSubFrames.Kind.SHARD, count);
            }
        }
        onSlotCompleted(reserveSlot(), frame);
    }

    @Override
    public void pushConnectionLost() {
        channel.close();
    }

    /**
     * RESP2 subscribed mode, as Redis: some subscription is active, so only the (un)subscribe
     * commands, PING, QUIT and RESET are allowed.
     */
    public boolean inSubscribedMode() {
        return state.isSubscribed();
    }

    /** A command that may block was sent for this client (INFO's blocked_clients counts such clients). */
    public void blockingCommandStarted() {
        if (state.blockingStarted()) {
            proxy.clients().blockedClients().incrementAndGet();
        }
    }

    void blockingCommandEnded() {
        if (state.blockingEnded()) {
            proxy.clients().blockedClients().decrementAndGet();
        }
    }

    /**
     * CLIENT UNBLOCK of this client, on its event loop: asks the backend where its blocking command
     * waits to unblock it; {@code done} gets the reply (the backend's 1, or 0 when nothing blocks).
     */
    public void unblockBlockedCommand(String reason, Consumer<ByteBuf> done) {
        if (state.isBlocked() && dedicated != null) {
            for (BackendConnection own : dedicated.values()) {
                long backendId = own.backendClientId();
                if (own.inFlightCount() > 0 && backendId >= 0) {
                    String[] args = reason == null
                            ? new String[] {"CLIENT", "UNBLOCK", Long.toString(backendId)}
                            : new String[] {"CLIENT", "UNBLOCK", Long.toString(backendId), reason};
                    pool.connection(own.address, id, 2).send(new ReplyTarget() {
                        @Override
                        public void complete(ByteBuf reply) {
                            done.accept(reply);
                        }
                    }, RespCommands.encodeToBuffer(args));
                    return;
                }
            }
        }
        done.accept(Replies.integer(channel.alloc(), 0));
    }

    int dedicatedConnectionCount() {
        return dedicated == null ? 0 : dedicated.size();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        proxy.clients().register(this);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        state.touched(System.currentTimeMillis());
        if (msg instanceof RespCommand command) {
            try {
                ReplySlot slot = reserveSlot();
                // every command is timed, decoded to reply complete: the latency histogram and the slow log
                slot.receivedAtNanos = System.nanoTime();
                pool.stats().add(LoopStats.CLIENT_RECEIVED_BYTES, command.frame().readableBytes());
                if (proxy.slowlog().enabled()) {
                    // Slow log: whether this command is slow is known only when its reply is complete,
                    // after the request was released. Cheapest way to still have its arguments then:
                    // keep one more reference to the frame the decoder sliced (an atomic increment, no
                    // copy, no allocation), dropped when the slot completes; the few slow commands copy
                    // their (truncated) arguments then. Copying every command's arguments here instead
                    // would allocate on every request. The cost is that a request's bytes stay in memory
                    // until its reply, as they mostly do anyway while the forwarded copy is in flight.
                    slot.request = command.retain();
                }
                if (state.takeReplySuppression()) {
                    slot.suppressed = true; // CLIENT REPLY OFF / SKIP: the command runs, its reply is dropped
                }
                if (dispatchHeld) {
                    heldSlots.addLast(slot);
                    heldCommands.addLast(command.retain());
                } else {
                    proxy.dispatcher().dispatch(this, slot, command);
                }
            } finally {
                command.release();
            }
            applyBackPressure();
        } else if (msg instanceof RespProtocolError error) {
            // Redis replies to what came before, then the error, then closes the connection.
            closing = true;
            channel.config().setAutoRead(false);
            ReplySlot slot = reserveSlot();
            slot.closeAfter = true;
            onSlotCompleted(slot, Replies.error(channel.alloc(), error.message()));
        } else {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("unexpected message " + msg.getClass().getName());
        }
    }

    /** The command being dispatched completes later and must take effect first: hold the next ones. */
    public void holdDispatch() {
        dispatchHeld = true;
        if (heldSlots == null) {
            heldSlots = new ArrayDeque<>();
            heldCommands = new ArrayDeque<>();
        }
    }

    /**
     * On this client's event loop: dispatches the commands held by {@link #holdDispatch}, until one holds
     * again; nothing when not holding.
     */
    public void resumeDispatch() {
        if (!dispatchHeld) {
            return;
        }
        dispatchHeld = false;
        while (!dispatchHeld && !closed && heldSlots != null && !heldSlots.isEmpty()) {
            ReplySlot slot = heldSlots.pollFirst();
            RespCommand command = heldCommands.pollFirst();
            try {
                proxy.dispatcher().dispatch(this, slot, command);
            } finally {
                command.release();
            }
        }
    }

    private ReplySlot reserveSlot() {
        ReplySlot slot = new ReplySlot(this);
        pending.addLast(slot);
        pool.stats().add(LoopStats.PENDING, 1);
        return slot;
    }

    /** Fills a slot and writes every reply that is now next in line. Ownership of {@code reply} passes here. */
    void onSlotCompleted(ReplySlot slot, ByteBuf reply) {
        if (slot.command != CommandOutcome.NOT_A_COMMAND) {
            long now = System.nanoTime();
            countCompleted(slot, reply, now);
            if (slot.request != null) {
                logIfSlow(slot, now);
            }
        } else if (slot.request != null) {
            logIfSlow(slot, System.nanoTime());
        }
        if (closed || discarding) {
            reply.release();
            return;
        }
        int replyBytes = reply.readableBytes();
        if (replyBytes > 0 && replyBytes < REDIS_FIXED_REPLY_BUFFER && replyBytesDue() > LAGGING_BYTES) {
            // A backend reply is a slice of that connection's read buffer and keeps all of it alive, other
            // clients' replies (perhaps a big one) included, for as long as this client leaves it unread:
            // a client that lags gets its small replies copied, so it holds no more than it is counted for.
            ByteBuf copy = channel.alloc().buffer(replyBytes);
            copy.writeBytes(reply, reply.readerIndex(), replyBytes);
            reply.release();
            reply = copy;
        }
        slot.reply = reply;
        queuedReplyBytes += replyBytes;
        if (pending.peekFirst() != slot) {
            // an earlier request is still outstanding; this reply waits its turn, counted as due
            checkOutputLimits(replyBytes, false);
            return;
        }
        ReplySlot head;
        while ((head = pending.peekFirst()) != null && head.reply != null) {
            pending.pollFirst();
            pool.stats().add(LoopStats.PENDING, -1);
            ByteBuf out = head.reply;
            head.reply = null;
            if (head.pushedBefore != null) {
                for (ByteBuf pushed : head.pushedBefore) {
                    queuedReplyBytes -= pushed.readableBytes();
                    pool.stats().add(LoopStats.CLIENT_SENT_BYTES, pushed.readableBytes());
                    channel.write(pushed, channel.voidPromise());
                }
                head.pushedBefore = null;
                flushNeeded = true;
            }
            queuedReplyBytes -= out.readableBytes();
            if (head.suppressed) {
                out.release();
                continue;
            }
            pool.stats().add(LoopStats.CLIENT_SENT_BYTES, out.readableBytes());
            channel.write(out, channel.voidPromise());
            flushNeeded = true;
            if (head.closeAfter) {
                closeAfterFlush();
                return;
            }
        }
        // written to the channel, not yet to the socket: still due, so still counted (outbound buffer)
        if (checkOutputLimits(replyBytes, false)) {
            return;
        }
        scheduleFlush();
        resumeIfDrained();
    }

    /** Bytes of replies due: held in slots, plus what the channel has not written to the socket yet. */
    long replyBytesDue() {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        return queuedReplyBytes + (outbound == null ? 0 : outbound.totalPendingWriteBytes());
    }

    /**
     * After a reply of {@code replyBytes} became due (or, {@code fromTimer}, when a soft limit's seconds are
     * up): disconnects the client when its replies due exceed a limit, as Redis's
     * {@code checkClientOutputBufferLimits} and {@code closeClientOnOutputBufferLimitReached} do; otherwise
     * stops reading its requests while they exceed {@code max_pending_reply_bytes}. True when disconnected.
     */
    private boolean checkOutputLimits(long replyBytes, boolean fromTimer) {
        if (closed || discarding) {
            return false;
        }
        long due = replyBytesDue();
        // Redis counts only what overflows a client's fixed 16 KB reply buffer (PROTO_REPLY_CHUNK_BYTES)
        long counted = Math.max(0, due - REDIS_FIXED_REPLY_BUFFER);
        ClientOutputBufferLimits limits = proxy.limits().outputLimits();
        int clientClass = inSubscribedMode() ? ClientOutputBufferLimits.PUBSUB
                : ClientOutputBufferLimits.NORMAL;
        long hard = limits.hard(clientClass);
        long soft = limits.soft(clientClass);
        String reached = null;
        if (counted == 0) {
            softLimitSinceNanos = 0;
        } else if (hard != 0 && Long.compareUnsigned(counted, hard) >= 0) {
            reached = "hard";
        } else if (soft != 0 && Long.compareUnsigned(counted, soft) >= 0) {
            long now = System.nanoTime();
            long allowedNanos = limits.seconds(clientClass) * 1_000_000_000L;
            if (softLimitSinceNanos == 0) {
                softLimitSinceNanos = now == 0 ? 1 : now;
                scheduleSoftLimitCheck(allowedNanos);
            } else if (now - softLimitSinceNanos > allowedNanos) {
                reached = "soft";
            } else if (softLimitCheck == null) {
                scheduleSoftLimitCheck(allowedNanos - (now - softLimitSinceNanos));
            }
        } else {
            softLimitSinceNanos = 0;
        }
        long cap = proxy.config().maxClientOutputBytes();
        // one reply alone is let through whatever its size: it is in memory already, and only the proxy's
        // own cap has this exception (a configured hard limit applies to it, as in Redis). "Alone": what
        // else is due stays within the bytes Redis does not count either (the channel adds some per write)
        if (reached == null && !fromTimer && cap > 0 && due > cap && due - replyBytes > REDIS_FIXED_REPLY_BUFFER) {
            reached = "max_client_output_bytes";
        }
        if (reached == null) {
            if (due > proxy.config().maxPendingReplyBytes() && channel.config().isAutoRead()) {
                channel.config().setAutoRead(false); // resumes in resumeIfDrained
            }
            return false;
        }
        // Redis's own line (networking.c), so what operators grep for still finds it
        log.warn("event=client_output_buffer_limit class={} limit={} reply_bytes_due={} Client id={} addr={} "
                        + "scheduled to be closed ASAP for overcoming of output buffer limits.",
                clientClass == ClientOutputBufferLimits.PUBSUB ? "pubsub" : "normal", reached, due,
                id, remoteAddress());
        closing = true;
        channel.config().setAutoRead(false);
        releasePending(); // replies still to come are released as they arrive (discarding)
        channel.close(); // what the outbound buffer holds is released with it
        return true;
    }

    /** The soft limit is checked again once its seconds are up, even when no more replies come. */
    private void scheduleSoftLimitCheck(long delayNanos) {
        if (softLimitCheck != null) {
            softLimitCheck.cancel(false);
        }
        softLimitCheck = channel.eventLoop().schedule(() -> {
            softLimitCheck = null;
            if (softLimitSinceNanos != 0) {
                checkOutputLimits(0, true);
            }
        }, Math.max(delayNanos, 0) + 1_000_000, TimeUnit.NANOSECONDS);
    }

    /**
     * The metrics of a command whose reply is complete: its (command, outcome) count, read from the
     * reply's first bytes, and its latency, decoded to now (commands that may block left out: their wait
     * is not latency). A few plain stores into this loop's {@link LoopStats}.
     */
    private void countCompleted(ReplySlot slot, ByteBuf reply, long now) {
        LoopStats stats = pool.stats();
        stats.command(slot.command, CommandOutcome.of(reply));
        if (!slot.mayBlock) {
            stats.commandLatency(now - slot.receivedAtNanos);
        }
    }

    /**
     * The slot's reply is complete: logs its command when it was slow, and drops the slot's reference to
     * the request. Duration: decoded to reply complete. Backend part: the request's write to a backend
     * ({@link ReplyTarget#sentAtNanos}) to now, as a backend reply completes its slot at once. A command
     * that may block (BLPOP, WAIT, ...) is not logged: its wait is not slowness, and Redis does not count
     * it either.
     */
    private void logIfSlow(ReplySlot slot, long now) {
        RespCommand request = slot.request;
        slot.request = null;
        try {
            long micros = (now - slot.receivedAtNanos) / 1000;
            SlowLog slowlog = proxy.slowlog();
            if (slowlog.isSlow(micros) && !slot.mayBlock) {
                long backendMicros = slot.sentAtNanos == 0 ? 0 : (now - slot.sentAtNanos) / 1000;
                slowlog.add(request, micros, backendMicros, remoteAddress(), state.name(), id);
            }
        } finally {
            request.release();
        }
    }

    /** Convenience for proxy-made replies. Ownership of {@code reply} passes here. */
    public void reply(ReplySlot slot, ByteBuf reply) {
        onSlotCompleted(slot, reply);
    }

    public void replyError(ReplySlot slot, CharSequence error) {
        if (state.isTls()) {
            error = TransportAddresses.redirect(error, proxy.cluster().tlsPortOffset()); // MOVED/ASK: the TLS port
        }
        onSlotCompleted(slot, Replies.error(channel.alloc(), error));
    }

    /** QUIT: reply, then close once the reply is flushed. */
    public void replyAndClose(ReplySlot slot, ByteBuf reply) {
        closing = true;
        channel.config().setAutoRead(false);
        slot.closeAfter = true;
        onSlotCompleted(slot, reply);
    }

    private void closeAfterFlush() {
        closing = true;
        flushNeeded = false;
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        releasePending();
    }

    private void scheduleFlush() {
        if (WriteCoalescing.FLUSH_EVERY_WRITE) {
            flushNow();
            return;
        }
        if (flushNeeded && !flushScheduled) {
            flushScheduled = true;
            // Runs after the I/O events of this loop iteration: replies completed by several backend
            // reads in one iteration leave in one flush (one syscall), with every other client's flush
            // of this iteration in one task.
            pool.afterReads().add(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        if (flushNeeded && !closed) {
            flushNeeded = false;
            channel.flush();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushNow();
    }

    private void applyBackPressure() {
        if (pending.size() >= proxy.config().maxPendingCommands() && channel.config().isAutoRead()) {
            channel.config().setAutoRead(false);
        }
    }

    /** A backend this session writes to is saturated: stop reading requests for now. */
    public void pauseReading() {
        backendPaused = true;
        channel.config().setAutoRead(false);
    }

    /** The saturated backend drained. */
    public void resumeReading() {
        backendPaused = false;
        resumeIfDrained();
    }

    private void resumeIfDrained() {
        if (!closing && !backendPaused && !channel.config().isAutoRead() && channel.isWritable()
                && pending.size() <= proxy.config().maxPendingCommands() / 2
                && replyBytesDue() <= proxy.config().maxPendingReplyBytes() / 2) {
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false); // the client is not reading its replies
        } else {
            resumeIfDrained();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && pending.isEmpty()) {
            log.debug("client={} closing idle connection", id);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        releasePending();
        if (softLimitCheck != null) {
            softLimitCheck.cancel(false);
            softLimitCheck = null;
        }
        closeDedicatedConnections();
        if (state.clearBlocking()) {
            proxy.clients().blockedClients().decrementAndGet();
        }
        Transaction unfinished = state.exitMulti();
        if (unfinished != null) {
            unfinished.release();
        }
        proxy.clients().unregister(this);
        super.channelInactive(ctx);
    }

    private void releasePending() {
        discarding = true;
        if (heldCommands != null) {
            heldCommands.forEach(RespCommand::release);
            heldCommands.clear();
            heldSlots.clear();
        }
        pool.stats().add(LoopStats.PENDING, -pending.size());
        for (ReplySlot slot : pending) {
            if (slot.reply != null) {
                slot.reply.release();
                slot.reply = null;
            }
            if (slot.request != null) {
                slot.request.release(); // the client is gone: its unanswered commands are not logged
                slot.request = null;
            }
            if (slot.pushedBefore != null) {
                slot.pushedBefore.forEach(ByteBuf::release);
                slot.pushedBefore = null;
            }
        }
        pending.clear();
        queuedReplyBytes = 0;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client={} connection error: {}", id, cause.toString());
        } else {
            log.warn("client={} closing after unexpected error", id, cause);
        }
        ctx.close();
    }

    public int pendingCount() {
        return pending.size();
    }

    boolean isClosing() {
        return closing || closed;
    }

    public String remoteAddress() {
        return format(channel == null ? null : channel.remoteAddress());
    }

    public String localAddress() {
        return format(channel == null ? null : channel.localAddress());
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
