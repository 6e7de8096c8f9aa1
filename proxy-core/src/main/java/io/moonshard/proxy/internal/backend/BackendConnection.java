package io.moonshard.proxy.internal.backend;

import io.moonshard.proxy.HostPort;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.config.WriteAckPolicy;
import io.moonshard.proxy.internal.metrics.LoopStats;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.proxy.internal.wire.PubSubFrames;
import io.moonshard.proxy.internal.wire.Replies;
import io.moonshard.resp.RespCommands;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed, pipelined connection from one event loop to one Redis. Requests are written as
 * they come (no flush per request); replies are matched to requests FIFO.
 *
 * <p>Failure rules: a request in flight when the connection drops or times out gets an error reply
 * and is <b>never resent</b> (it may have run). While the backend is unreachable, new requests get an
 * error at once until the next reconnect attempt, which backs off exponentially.
 *
 * <p>Write acknowledgements ({@code write_ack replica}): when a flush sends a batch holding a write,
 * {@code WAIT 1 <timeout>} follows it on this connection, and the batch's replies are held until the
 * WAIT answers ({@link AckBatches}, {@link AckBarrier}); batches flushed while a WAIT is in flight share
 * the next one, sent when it answers. WAIT blocks only this connection at the backend: requests of
 * later batches (of every client sharing it) wait behind it, at most the WAIT's timeout.
 *
 * <p>Confined to its event loop.
 *
 * <p>Why one class of this length: the connection's states, the FIFO of requests in flight, the
 * handshake, the timeout check and the pub/sub pass-through all act on one channel and one in-flight
 * queue, and each failure rule above needs all of them at once.
 */
public final class BackendConnection {

    private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);
    /** Stands for "no reply expected" in the queue of a pub/sub connection. */
    private static final ReplyTarget NO_REPLY = ReplyTarget.discard();
    private static final byte[] HELLO_3 = RespCommands.encode("HELLO", "3");
    private static final byte[] CLIENT_ID = RespCommands.encode("CLIENT", "ID");
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(2);

    private enum State { IDLE, CONNECTING, CONNECTED, BROKEN, CLOSED }

    public final String address;
    /**
     * The RESP version this connection speaks (HELLO 3 is its first request when 3). Fixed for pooled
     * connections; a client's dedicated connection follows the client's HELLO ({@link #switchProtocol}).
     */
    private int protocol;
    private final HostPort hostPort;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final BackendEnvironment env;
    /** This loop's counts (bytes, backend latency). */
    private final LoopStats stats;
    /** The connection-state gauges of this address, shared by every loop: changed on state changes only. */
    private final ProxyMeters.BackendStats backendStats;

    private State state = State.IDLE;
    private Channel channel;
    private final ArrayDeque<ReplyTarget> inFlight = new ArrayDeque<>();
    /** Which batch each request in flight went out in, and the WAITs after batches holding a write. */
    private final AckBatches acks;
    // requests that arrived while connecting: target, frame, target, frame, ...
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    private long retryAtNanos;
    private long backoffNanos = MIN_BACKOFF_NANOS;
    private String lastFailure = "not connected";
    private boolean flushScheduled;
    /**
     * Requests put in flight since the last flush (the last ones of {@link #inFlight}): the flush stamps
     * them with its time, as that is when they leave. A request written early in a long loop iteration
     * (thousands of pipelined commands decoded in one read) leaves only at its end.
     */
    private int unflushed;
    private final Runnable flushTask = this::flushNow;
    private ScheduledFuture<?> timeoutCheck;
    /** The period {@link #timeoutCheck} runs at: a quarter of the backend timeout when it was scheduled. */
    private long timeoutCheckPeriodNanos;
    /** Set when this address left the cluster metadata: close as soon as nothing is in flight. */
    private boolean draining;
    private final List<ConnectionOwner> waiters = new ArrayList<>();
    /**
     * Set when this is a client's pub/sub connection: the backend then sends frames nobody asked for
     * (messages), so once the proxy's own handshake is answered every frame goes to this client as it
     * comes, and requests sent here get no reply slot of their own.
     */
    private ConnectionOwner pushSink;
    /** Dedicated connections learn their client id at the backend (CLIENT UNBLOCK needs it); else -1. */
    private boolean wantsClientId;
    private volatile long backendClientId = -1;
    /** Waiting for {@link #backendClientId} to be known (or for -1 when it never will be). */
    private List<LongConsumer> clientIdWaiters;
    /**
     * The client whose dedicated connection this is (null for pooled connections and spares): frames
     * the backend pushes on its own ({@code >} frames of RESP3: tracking invalidations) go to it.
     */
    private ConnectionOwner owner;
    /** Requests held back while {@link #hold} is in force: target, frame, target, frame, ... */
    private ArrayDeque<Object> held;
    /** When bytes last arrived from the backend: a reply still streaming in is not a timeout. */
    private long lastReadNanos;
    /** Subscribe confirmations to drop on this pub/sub connection: subscriptions the proxy made for the client. */
    private int hiddenConfirmations;
    /** A pub/sub connection switched protocol: the HELLO reply among its frames is dropped. */
    private boolean swallowHelloReply;
    /**
     * The script user ({@code ScriptUsers} of the route layer) this connection installed at the backend and logged in to,
     * or null; forgotten on every new channel, as a backend that restarted has lost it.
     */
    public String scriptUser;

    BackendConnection(BackendEnvironment env, EventLoop loop, Bootstrap bootstrap, LoopStats stats, String address,
                      int protocol) {
        this.env = env;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.stats = stats;
        this.backendStats = stats.meters().backend(address);
        this.address = address;
        this.protocol = protocol;
        this.hostPort = HostPort.parse(address);
        this.acks = new AckBatches(env.allocator(), env.metrics());
    }

    /**
     * Sends one request. Ownership of {@code frame} passes to this method; {@code target} receives
     * exactly one reply (the backend's, or an error made here).
     */
    public void send(ReplyTarget target, ByteBuf frame) {
        assert loop.inEventLoop();
        if (held != null) {
            held.add(target);
            held.add(frame);
            return;
        }
        if (pushSink != null && state != State.CLOSED) {
            // the reply will arrive as a pushed frame, in stream order with the messages
            target.complete(Unpooled.EMPTY_BUFFER);
            target = NO_REPLY;
        }
        switch (state) {
            case CONNECTED -> write(target, frame);
            case CONNECTING -> {
                queued.add(target);
                queued.add(frame);
            }
            case IDLE, BROKEN -> {
                if (state == State.BROKEN && System.nanoTime() < retryAtNanos) {
                    frame.release();
                    failTarget(target, unreachableError());
                    return;
                }
                queued.add(target);
                queued.add(frame);
                connect();
            }
            case CLOSED -> {
                frame.release();
                failTarget(target, "ERR backend " + address + " is no longer part of this proxy's cluster");
            }
        }
    }

    private void write(ReplyTarget target, ByteBuf frame) {
        boolean flushAtOnce = wantsClientId && target.mayBlock;
        if (flushAtOnce) {
            // the writes before it get their WAIT now: one behind a command that may block for minutes
            // would hold their replies as long
            endBatch(true);
        }
        target.sentAtNanos = System.nanoTime(); // until its flush says when it left
        if (target != NO_REPLY) {
            inFlight.addLast(target);
            unflushed++;
            acks.sent(target);
        }
        env.metrics().backendRequestSent();
        stats.add(LoopStats.BACKEND_SENT_BYTES, frame.readableBytes());
        channel.write(frame, channel.voidPromise());
        if (flushAtOnce) {
            // a blocking command on a client's own connection: out at once, not at the end of the
            // loop iteration, so commands other clients send after it (the LPUSH meant to wake it)
            // are less likely to reach Redis first over another connection
            flushOut();
            acks.startBatch();
        }
        if (WriteCoalescing.FLUSH_EVERY_WRITE) {
            endBatch(false);
            flushOut();
        } else if (!flushScheduled) {
            flushScheduled = true;
            // after this loop iteration's reads: requests from every client on this loop go out together
            loop.execute(flushTask);
        }
        if (timeoutCheck == null) {
            scheduleTimeoutCheck();
        }
    }

    private void flushNow() {
        flushScheduled = false;
        if (channel != null && state == State.CONNECTED) {
            endBatch(false);
            flushOut();
        } else {
            acks.startBatch(); // what was written went with the channel, failed with it
        }
    }

    /**
     * Flushes the channel, stamping the requests written since the last flush with the time they leave:
     * the backend timeout and the backend latency count from there, not from their write, which may
     * have been seconds earlier in the same loop iteration.
     */
    private void flushOut() {
        if (unflushed > 0) {
            long now = System.nanoTime();
            var newestFirst = inFlight.descendingIterator();
            for (int i = 0; i < unflushed && newestFirst.hasNext(); i++) {
                newestFirst.next().sentAtNanos = now;
            }
            unflushed = 0;
        }
        channel.flush();
    }

    /**
     * The batch written since the last flush goes out now: when it holds a write and writes wait for a
     * replica, {@code WAIT 1 <timeout>} goes right after it, as one more request in flight whose reply
     * releases the batch's; while another WAIT is in flight, the batch stays open for the next one
     * (unless {@code evenBehindAnother}). Not a forwarded command: counted as a WAIT, not in the backend
     * requests.
     */
    private void endBatch(boolean evenBehindAnother) {
        if (!acks.batchHasWrite()) {
            acks.startBatch();
            return;
        }
        WriteAckPolicy policy = env.limits().writeAck();
        AckBarrier barrier = acks.endBatch(policy, evenBehindAnother);
        if (barrier == null) {
            return;
        }
        barrier.sentAtNanos = System.nanoTime();
        inFlight.addLast(barrier);
        unflushed++;
        env.metrics().writeAckWaitSent();
        ByteBuf wait = Unpooled.wrappedBuffer(policy.waitRequest());
        stats.add(LoopStats.BACKEND_SENT_BYTES, wait.readableBytes());
        channel.write(wait, channel.voidPromise());
    }

    /**
     * {@code target}, just taken out of flight, gets {@code reply} (ownership passes here): now, or, when
     * it went out in a batch followed by a WAIT, when that WAIT answers. Every request leaving
     * {@link #inFlight} goes through here, in order, which is what lets {@link AckBatches} number them.
     */
    private void deliver(ReplyTarget target, ByteBuf reply) {
        if (acks.answered(target, reply)) {
            return; // held by the barrier of its batch
        }
        target.complete(reply);
        if (target instanceof AckBarrier barrier) {
            // pushes that came after the batch's replies follow them to the client
            for (ByteBuf pushed : barrier.takePushed()) {
                if (owner != null) {
                    owner.deliverOutOfBand(pushed, inFlight.peekFirst());
                } else {
                    pushed.release();
                }
            }
        }
    }

    /**
     * Back-pressure: when this backend cannot take more bytes, the client that fed it stops reading
     * until the backend drains below its low-water mark.
     */
    public void pauseIfSaturated(ConnectionOwner session) {
        if (state == State.CONNECTED && !channel.isWritable() && !waiters.contains(session)) {
            waiters.add(session);
            session.pauseReading();
        }
    }

    private void resumeWaiters() {
        for (ConnectionOwner session : waiters) {
            session.resumeReading();
        }
        waiters.clear();
    }

    private void connect() {
        if (state == State.BROKEN) {
            backendStats.reconnect();
        }
        setState(State.CONNECTING);
        ChannelFuture future = bootstrap.clone(loop)
                .handler(new BackendChannelInitializer(this))
                .connect(hostPort.host(), hostPort.port());
        future.addListener(f -> onConnectResult(future));
    }

    private void onConnectResult(ChannelFuture future) {
        if (state == State.CLOSED) {
            future.channel().close();
            failQueued("ERR backend " + address + " is no longer part of this proxy's cluster");
            return;
        }
        if (future.isSuccess()) {
            channel = future.channel();
            setState(State.CONNECTED);
            backoffNanos = MIN_BACKOFF_NANOS;
            log.info("event=backend_up backend={} protocol={}", address, protocol);
            writeHandshake();
            while (!queued.isEmpty()) {
                ReplyTarget target = (ReplyTarget) queued.poll();
                write(target, (ByteBuf) queued.poll());
            }
        } else {
            setState(State.BROKEN);
            lastFailure = describe(future.cause());
            retryAtNanos = System.nanoTime() + backoffNanos;
            backoffNanos = Math.min(backoffNanos * 2, MAX_BACKOFF_NANOS);
            log.warn("event=backend_connect_failed backend={} cause=\"{}\"", address, lastFailure);
            failQueued(unreachableError());
            if (pushSink != null) {
                pushSink.pushConnectionLost(); // its subscribe requests cannot be answered
            }
            notifyClientId(-1);
        }
    }

    /**
     * Requests the proxy puts first on every new connection, their replies dropped: AUTH when the
     * backends need a password ({@code UMCTL PEERAUTH <cluster_secret>} instead on a connection to a peer
     * proxy, which relays PUBLISH), HELLO 3 when this connection serves RESP3 clients (the backend then
     * answers in the protocol the client expects). A failed AUTH is logged; the client then sees the
     * backend's own NOAUTH errors.
     */
    private void writeHandshake() {
        scriptUser = null;
        ProxyConfig config = env.config();
        if (env.isPeerProxy(address)) {
            // a peer proxy, not a Redis: it knows the cluster secret, not the backends' password
            if (config.clusterSecret() != null) {
                write(new ReplyTarget() {
                    @Override
                    public void complete(ByteBuf reply) {
                        if (FlatArrays.isError(reply)) {
                            log.error("event=peer_auth_failed peer={} reply=\"{}\"", address,
                                    reply.toString(StandardCharsets.UTF_8).trim());
                        }
                        reply.release();
                    }
                }, Unpooled.wrappedBuffer(RespCommands.encode("UMCTL", "PEERAUTH", config.clusterSecret())));
            }
        } else if (config.backendPassword() != null) {
            ByteBuf auth = Unpooled.wrappedBuffer(config.backendUser() == null
                    ? RespCommands.encode("AUTH", config.backendPassword())
                    : RespCommands.encode("AUTH", config.backendUser(), config.backendPassword()));
            write(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    if (reply.isReadable() && reply.getByte(reply.readerIndex()) == '-') {
                        log.error("event=backend_auth_failed backend={} reply=\"{}\"", address,
                                reply.toString(StandardCharsets.UTF_8).trim());
                    }
                    reply.release();
                }
            }, auth);
        }
        if (protocol == 3) {
            write(ReplyTarget.discard(), Unpooled.wrappedBuffer(HELLO_3));
        }
        if (wantsClientId) {
            write(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    if (reply.isReadable() && reply.getByte(reply.readerIndex()) == ':') {
                        backendClientId = Long.parseLong(reply.toString(reply.readerIndex() + 1,
                                reply.readableBytes() - 3, StandardCharsets.US_ASCII));
                    }
                    reply.release();
                    notifyClientId(backendClientId);
                }
            }, Unpooled.wrappedBuffer(CLIENT_ID));
        }
    }

    private void failQueued(String error) {
        while (!queued.isEmpty()) {
            ReplyTarget target = (ReplyTarget) queued.poll();
            ((ByteBuf) queued.poll()).release();
            failTarget(target, error);
        }
    }

    private String unreachableError() {
        return "ERR backend " + address + " unreachable: " + lastFailure;
    }

    /** Called by the channel handler for every complete reply frame. Ownership of {@code reply} passes here. */
    void onReply(Channel from, ByteBuf reply) {
        if (from != channel) {
            reply.release();
            return;
        }
        stats.add(LoopStats.BACKEND_RECEIVED_BYTES, reply.readableBytes());
        if (owner != null && pushSink == null && reply.isReadable() && reply.getByte(reply.readerIndex()) == '>') {
            // RESP3 push on a client's own connection (a tracking invalidation): Redis wrote it before
            // the reply to the oldest request in flight, so it reaches the client before that reply
            ReplyTarget next = inFlight.peekFirst();
            if (next instanceof AckBarrier barrier) {
                barrier.holdPushed(reply); // after the replies the barrier holds, so after them
            } else {
                owner.deliverOutOfBand(reply, next);
            }
            return;
        }
        ReplyTarget target = inFlight.pollFirst();
        if (target != null && !target.mayBlock && !(target instanceof AckBarrier)) {
            stats.backendLatency(System.nanoTime() - target.sentAtNanos);
        }
        if (target == null && pushSink != null) {
            if (hiddenConfirmations > 0 && PubSubFrames.confirmationKind(reply) != null) {
                hiddenConfirmations--;
                reply.release();
                return;
            }
            if (swallowHelloReply && reply.isReadable() && isHelloReply(reply)) {
                swallowHelloReply = false;
                reply.release();
                return;
            }
            pushSink.deliverPushed(this, reply);
            return;
        }
        if (target == null) {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            reply.release();
            log.error("event=backend_desync backend={} closing connection", address);
            from.close();
            return;
        }
        deliver(target, reply);
        if (target instanceof AckBarrier && acks.batchHasWrite() && channel != null && state == State.CONNECTED) {
            // batches flushed while that WAIT was in flight: their WAIT goes now (they are out already)
            endBatch(false);
            flushOut();
        }
        if (draining && inFlight.isEmpty()) {
            close();
        }
    }

    /** Called when the channel closes, for whatever reason. */
    void onInactive(Channel from) {
        if (from != channel) {
            return;
        }
        channel = null;
        if (state != State.CLOSED) {
            setState(State.BROKEN);
            retryAtNanos = System.nanoTime(); // the next request may reconnect at once
            lastFailure = "connection lost";
            log.warn("event=backend_down backend={} in_flight={}", address, inFlight.size());
        }
        failInFlight("ERR backend " + address + " connection lost; the command may or may not have run");
        acks.startBatch();
        resumeWaiters();
        if (draining && state != State.CLOSED) {
            close(); // it left the cluster and will never reconnect: not a broken connection to count
        }
        if (pushSink != null) {
            // the client's subscriptions died with the connection; like a Redis node going away, the
            // client sees its connection close and subscribes again
            pushSink.pushConnectionLost();
        }
        notifyClientId(-1);
    }

    /** Turns this (dedicated) connection into {@code session}'s pub/sub connection; see {@link #pushSink}. */
    public void enablePush(ConnectionOwner session) {
        pushSink = session;
    }

    public boolean isPush() {
        return pushSink != null;
    }

    /**
     * Makes this (dedicated) connection {@code session}'s pub/sub connection subscribed to
     * {@code channel}, without the client seeing the confirmation: the client did not ask for it here.
     */
    public void subscribeHidden(ConnectionOwner session, String channel) {
        enablePush(session);
        hiddenConfirmations++;
        send(ReplyTarget.discard(), Unpooled.wrappedBuffer(RespCommands.encode("SUBSCRIBE", channel)));
    }

    private void failInFlight(String error) {
        ReplyTarget target;
        while ((target = inFlight.pollFirst()) != null) {
            failTaken(target, error);
        }
        unflushed = 0;
    }

    /** Fails a request just taken out of flight (its barrier, if any, still decides when it is answered). */
    private void failTaken(ReplyTarget target, String error) {
        if (!(target instanceof AckBarrier)) {
            env.metrics().backendError(); // a WAIT the proxy added is no command of a client
        }
        deliver(target, Replies.error(env.allocator(), error));
    }

    private void failTarget(ReplyTarget target, String error) {
        env.metrics().backendError();
        target.complete(Replies.error(env.allocator(), error));
    }

    private void scheduleTimeoutCheck() {
        long period = checkPeriod(env.limits().backendTimeoutNanos());
        timeoutCheckPeriodNanos = period;
        timeoutCheck = loop.scheduleAtFixedRate(this::checkTimeout, period, period, TimeUnit.NANOSECONDS);
    }

    private static long checkPeriod(long timeoutNanos) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(10), timeoutNanos / 4);
    }

    private void checkTimeout() {
        // the backend timeout may change at run time (CONFIG SET moonshard-backend-timeout): read it per
        // check, a volatile read every quarter timeout, nothing on the request path
        long timeoutNanos = env.limits().backendTimeoutNanos();
        if (checkPeriod(timeoutNanos) != timeoutCheckPeriodNanos && timeoutCheck != null) {
            timeoutCheck.cancel(false); // keep checking at a quarter of the new timeout
            scheduleTimeoutCheck();
        }
        ReplyTarget head = inFlight.peekFirst();
        if (head == null || channel == null || head.mayBlock) {
            return;
        }
        // Waiting counts from the request's flush or the backend's last bytes, whichever is later: the
        // oldest request's reply is the next thing on the wire, so bytes arriving are (the rest of) it,
        // and a 100 MB reply that takes seconds to arrive is not late while it keeps coming.
        long now = System.nanoTime();
        long since = lastReadNanos - head.sentAtNanos > 0 ? lastReadNanos : head.sentAtNanos;
        if (head instanceof AckBarrier barrier) {
            since += TimeUnit.MILLISECONDS.toNanos(barrier.timeoutMillis); // a WAIT is late only after its own timeout
        }
        long waited = now - since;
        if (waited >= timeoutNanos) {
            // The head's reply is late; the connection cannot be reused (a late reply would land on the
            // wrong request), so fail everything in flight and close it.
            inFlight.pollFirst();
            failTaken(head, "ERR backend " + address + " timed out after "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            log.warn("event=backend_timeout backend={} in_flight={}", address, inFlight.size());
            Channel ch = channel;
            failInFlight("ERR backend " + address + " connection reset after a timeout; the command may or may not have run");
            ch.close();
        }
    }

    /** Stops taking requests and closes once nothing is in flight. */
    public void drain() {
        draining = true;
        if (inFlight.isEmpty() && queued.isEmpty()) {
            close();
        }
    }

    /**
     * Closes a client's connection because the client no longer wants it (its protocol changed, it
     * quit): unlike a connection that drops, the client's own connection is not closed with it.
     */
    public void closeForOwner() {
        pushSink = null;
        owner = null;
        close();
    }

    /** Closes now; anything in flight fails. */
    public void close() {
        setState(State.CLOSED);
        if (timeoutCheck != null) {
            timeoutCheck.cancel(false);
            timeoutCheck = null;
        }
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
        failInFlight("ERR backend " + address + " connection closed; the command may or may not have run");
        failQueued("ERR backend " + address + " connection closed");
        releaseHeld();
        notifyClientId(-1);
    }

    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** Every state change goes through here, so the per-address connection gauges follow it. */
    private void setState(State next) {
        if (next != state) {
            backendStats.transition(gauge(state), gauge(next));
            state = next;
        }
    }

    /** The gauge a state counts in; -1 for the states that hold no connection (idle, closed). */
    private static int gauge(State state) {
        return switch (state) {
            case CONNECTING -> ProxyMeters.BackendStats.CONNECTING;
            case CONNECTED -> ProxyMeters.BackendStats.CONNECTED;
            case BROKEN -> ProxyMeters.BackendStats.BROKEN;
            case IDLE, CLOSED -> -1;
        };
    }

    boolean isConnected() {
        return state == State.CONNECTED;
    }

    /** The last connect failed or the connection dropped. */
    boolean isBroken() {
        return state == State.BROKEN;
    }

    /** Marks a client's dedicated connection: its handshake asks the backend for its client id. */
    void markDedicated() {
        wantsClientId = true;
    }

    /** This connection's id at the backend (see {@link #markDedicated}), or -1 when unknown. */
    public long backendClientId() {
        return backendClientId;
    }

    /**
     * Calls {@code done} with this dedicated connection's id at the backend once it is known (at once
     * when it is), or with -1 when it never will be (the connection failed or closed).
     */
    public void whenClientIdKnown(LongConsumer done) {
        assert loop.inEventLoop();
        if (backendClientId >= 0 || !wantsClientId || state == State.CLOSED) {
            done.accept(backendClientId);
            return;
        }
        if (clientIdWaiters == null) {
            clientIdWaiters = new ArrayList<>(1);
        }
        clientIdWaiters.add(done);
        connectNow();
    }

    private void notifyClientId(long id) {
        List<LongConsumer> waiting = clientIdWaiters;
        if (waiting != null) {
            clientIdWaiters = null;
            waiting.forEach(done -> done.accept(id));
        }
    }

    /** Marks this dedicated connection as {@code session}'s: see {@link #owner}. */
    public void setOwner(ConnectionOwner session) {
        owner = session;
    }

    /**
     * Holds back every request sent from now on until {@link #release}: a request that must go first
     * (CLIENT TRACKING with a redirect whose backend id is still being looked up) is not known yet.
     */
    public void hold() {
        if (held == null) {
            held = new ArrayDeque<>();
        }
    }

    /** Sends {@code first} (when not null), then the requests held back since {@link #hold}, in order. */
    public void release(ReplyTarget firstTarget, ByteBuf first) {
        ArrayDeque<Object> waiting = held;
        held = null;
        if (first != null) {
            send(firstTarget, first);
        }
        while (waiting != null && !waiting.isEmpty()) {
            send((ReplyTarget) waiting.poll(), (ByteBuf) waiting.poll());
        }
    }

    private void releaseHeld() {
        ArrayDeque<Object> waiting = held;
        held = null;
        while (waiting != null && !waiting.isEmpty()) {
            ReplyTarget target = (ReplyTarget) waiting.poll();
            ((ByteBuf) waiting.poll()).release();
            failTarget(target, "ERR backend " + address + " connection closed");
        }
    }

    /**
     * A client's HELLO changed its protocol: its dedicated connection switches too, keeping its state at
     * the backend (tracking, WATCHed keys), as Redis keeps a connection's state across HELLO.
     */
    public void switchProtocol(int version) {
        if (version != protocol) {
            protocol = version;
            // on a pub/sub connection every frame goes to the client: HELLO's own reply must not
            swallowHelloReply = pushSink != null;
            send(ReplyTarget.discard(), Unpooled.wrappedBuffer(RespCommands.encode("HELLO", Integer.toString(version))));
        }
    }

    /**
     * The reply to HELLO among a pub/sub connection's frames: a RESP3 map, or in RESP2 the 14-element
     * array of its 7 fields (messages are arrays of 3 or 4).
     */
    private static boolean isHelloReply(ByteBuf frame) {
        int at = frame.readerIndex();
        byte type = frame.getByte(at);
        return type == '%' || (type == '*' && frame.readableBytes() > 4 && frame.getByte(at + 1) == '1'
                && frame.getByte(at + 2) == '4' && frame.getByte(at + 3) == '\r');
    }

    /** Opens the connection before any request needs it (a spare); no-op unless idle. */
    void connectNow() {
        if (state == State.IDLE) {
            connect();
        }
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /** Notes when bytes arrive, before they are decoded (see {@link #lastReadNanos}). One per channel. */
    static final class ReadActivity extends ChannelInboundHandlerAdapter {
        private final BackendConnection connection;

        ReadActivity(BackendConnection connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            connection.lastReadNanos = System.nanoTime();
            ctx.fireChannelRead(msg);
        }
    }

    /** Translates channel events into calls on the connection. One per channel. */
    static final class Handler extends ChannelInboundHandlerAdapter {
        private final BackendConnection connection;

        Handler(BackendConnection connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            connection.onReply(ctx.channel(), (ByteBuf) msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            connection.onInactive(ctx.channel());
            super.channelInactive(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().isWritable()) {
                connection.resumeWaiters();
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("event=backend_error backend={} cause=\"{}\"", connection.address, describe(cause));
            ctx.close();
        }
    }

}
