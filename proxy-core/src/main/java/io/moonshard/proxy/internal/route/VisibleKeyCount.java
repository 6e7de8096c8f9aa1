package io.moonshard.proxy.internal.route;

import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;

/**
 * How many keys of one backend this proxy's clients see while some slots' keys are hidden here
 * ({@link HiddenKeys}): DBSIZE's part for that backend. Every request is short (no backend command
 * runs more than about a millisecond) and the next one is sent when the last has answered, so the
 * event loop never waits and the backend is never held.
 *
 * <p>The backend's kind is found with its first request, {@code CLUSTER COUNTKEYSINSLOT} of one hidden
 * slot, and decides the way ({@link Mode}):
 * <ul>
 *   <li>{@link Mode#BY_SLOT}: a cluster-enabled Redis keeps a count per slot, so the answer is its
 *       {@code DBSIZE} less the hidden slots' counts, O(1) per hidden slot. Exact while nothing is
 *       written; a write to a hidden slot during the count (a copy being staged, a trim) can make it
 *       off by the keys written meanwhile.</li>
 *   <li>{@link Mode#BY_SCAN}: a plain Redis keeps no count per slot, so the answer is the number of
 *       visible keys one {@code SCAN} pass finds: O(all keys of the backend), in pages of
 *       {@value #SCAN_COUNT}. SCAN's guarantee (a key present for the whole pass is returned) makes it
 *       exact while the visible keys are not written; keys staged or trimmed in the hidden slots
 *       meanwhile do not change it, and bookkeeping keys are never counted.</li>
 * </ul>
 * Single-threaded: its requests and replies all run on the client's event loop.
 */
final class VisibleKeyCount {

    /** Hears the result, once. */
    interface Done {
        void counted(long visible);

        /** The backend answered an error (or the connection failed): ownership of {@code error} passes. */
        void failed(ByteBuf error);
    }

    enum Mode { PROBING, BY_SLOT, BY_SCAN }

    /** Keys a SCAN page asks for: about 1.3 µs of the backend per key looked at, so ~1.3 ms a page. */
    static final int SCAN_COUNT = 1000;
    /** COUNTKEYSINSLOT requests in flight at once: small enough not to crowd the shared connection. */
    static final int WINDOW = 64;

    private final BackendConnection backend;
    private final MigrationGate.Table table;
    private final int[] hidden;
    private final Done done;
    private Mode mode = Mode.PROBING;
    private long dbsize = -1;
    private long hiddenKeys;
    private long visibleKeys;
    private int nextSlot;
    private int outstanding;
    private ByteBuf failure;
    private boolean finished;

    private VisibleKeyCount(BackendConnection backend, MigrationGate.Table table, Done done) {
        this.backend = backend;
        this.table = table;
        this.hidden = table.hiddenSlots();
        this.done = done;
    }

    /** Counts the visible keys behind {@code backend} under {@code table} (which hides some slot). */
    static void start(BackendConnection backend, MigrationGate.Table table, Done done) {
        VisibleKeyCount count = new VisibleKeyCount(backend, table, done);
        if (count.hidden.length == 0) {
            throw new IllegalArgumentException("nothing is hidden: DBSIZE needs no correction");
        }
        count.send(new Probe(count), "CLUSTER", "COUNTKEYSINSLOT", Integer.toString(count.hidden[0]));
    }

    Mode mode() {
        return mode;
    }

    private void send(ReplyTarget target, String... args) {
        backend.send(target, RespCommand.of(args).frame()); // the frame's ownership passes to the connection
    }

    /** The first reply: an integer from a cluster-enabled Redis, an error from a plain one. */
    private void probed(ByteBuf reply) {
        long n = FlatArrays.integer(reply);
        reply.release();
        if (n == Long.MIN_VALUE || n < 0) {
            mode = Mode.BY_SCAN;
            scan("0");
            return;
        }
        mode = Mode.BY_SLOT;
        hiddenKeys = n;
        nextSlot = 1;
        outstanding = 1;
        send(new Part(this, true), "DBSIZE");
        sendWindow();
    }

    private void sendWindow() {
        while (nextSlot < hidden.length && outstanding < WINDOW) {
            outstanding++;
            send(new Part(this, false), "CLUSTER", "COUNTKEYSINSLOT", Integer.toString(hidden[nextSlot++]));
        }
    }

    /** A reply of the BY_SLOT mode: DBSIZE's (the first) or one hidden slot's count. */
    private void counted(ByteBuf reply, boolean isDbsize) {
        outstanding--;
        long n = FlatArrays.integer(reply);
        if (n == Long.MIN_VALUE || n < 0) {
            if (failure == null) {
                failure = reply; // kept for the client: Redis's own error
            } else {
                reply.release();
            }
        } else {
            reply.release();
            if (isDbsize) {
                dbsize = n;
            } else {
                hiddenKeys += n;
            }
        }
        if (failure == null) {
            sendWindow();
        }
        if (outstanding == 0) {
            if (failure != null) {
                fail(failure);
            } else {
                finish(Math.max(0, dbsize - hiddenKeys));
            }
        }
    }

    private void scan(String cursor) {
        send(new Page(this), "SCAN", cursor, "COUNT", Integer.toString(SCAN_COUNT));
    }

    private void paged(ByteBuf reply) {
        String next = ScanPage.forEachKey(reply, (page, at, length) -> {
            if (!HiddenKeys.isHidden(page, at, length, table)) {
                visibleKeys++;
            }
        });
        if (next == null) {
            fail(reply);
            return;
        }
        reply.release();
        if (next.equals("0")) {
            finish(visibleKeys);
        } else {
            scan(next);
        }
    }

    private void finish(long visible) {
        if (!finished) {
            finished = true;
            done.counted(visible);
        }
    }

    private void fail(ByteBuf error) {
        if (finished) {
            error.release();
            return;
        }
        finished = true;
        done.failed(error);
    }

    private static final class Probe extends ReplyTarget {
        private final VisibleKeyCount count;

        Probe(VisibleKeyCount count) {
            this.count = count;
        }

        @Override
        public void complete(ByteBuf reply) {
            count.probed(reply);
        }
    }

    private static final class Part extends ReplyTarget {
        private final VisibleKeyCount count;
        private final boolean dbsize;

        Part(VisibleKeyCount count, boolean dbsize) {
            this.count = count;
            this.dbsize = dbsize;
        }

        @Override
        public void complete(ByteBuf reply) {
            count.counted(reply, dbsize);
        }
    }

    private static final class Page extends ReplyTarget {
        private final VisibleKeyCount count;

        Page(VisibleKeyCount count) {
            this.count = count;
        }

        @Override
        public void complete(ByteBuf reply) {
            count.paged(reply);
        }
    }
}
