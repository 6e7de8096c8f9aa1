package io.moonshard.proxy.internal.route;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.proxy.internal.session.ClientSession;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the slot migration engine tells the forwarder about the slots it is moving, and the replication
 * engine about slots in a failover (held during a switchover, redirected after it, refused while a
 * restarted master waits for a decision): one immutable
 * {@link Table} behind one volatile reference, swapped whole by the engine, read once per command.
 * Slots no migration holds have no entry and are routed by the cluster snapshot alone; that is every
 * slot almost always, so the forwarder's cost outside a move is one volatile read.
 *
 * <p>Commands for a {@link Verdict#HOLD} slot wait here, per event loop, until the engine decides
 * (their client's later commands wait behind them, so one client's commands keep their order); the
 * engine then {@link #releaseHeld() releases} them and they are routed again.
 *
 * <p>This class lives in {@code route} so the forwarder needs nothing from {@code migration}; the
 * engine (a layer above) fills it.
 */
public final class MigrationGate {

    /** What to do with a command whose key is in a slot a migration task holds. */
    public enum Verdict {
        /** Served here as usual; the task counts it in flight and notes the keys it writes (source, copying). */
        TRACK,
        /** Waits until the task decides (source during the fence, or while a restarted task resolves its last attempt). */
        HOLD,
        /** {@code MOVED <slot> <target>}: the slot is served elsewhere (source after the flip; destination while staging). */
        REDIRECT,
        /**
         * Served by the local node named as target: the node importing the slot (destination, once it has
         * committed the move), or a replica promoted here before the controller's SETCLUSTER says so.
         */
        SERVE_IMPORTED,
        /**
         * {@code -TRYAGAIN}: nothing may be served for the slot now (its master Redis restarted and may have
         * lost data the replica still holds; the replication engine waits for a new SETREPL to decide).
         */
        REFUSE,
        /**
         * Routed by the snapshot as if the slot had no entry, but its keys in the local Redis are hidden
         * from this proxy's clients: they belong to another proxy. A destination seeded by replication
         * holds a copy of every slot of its source, and keeps the ones it does not import hidden until
         * it has deleted them.
         */
        FOREIGN
    }

    /** One task's view of the commands on its slots; implemented by the migration engine, called on event loops. */
    public interface Watcher {
        /** A command on one of the task's slots was sent to the backend ({@link Verdict#TRACK}). */
        void sent();

        /**
         * Its reply exists: the backend executed it. {@code writtenKeys} are the keys of a command that
         * may write (every command not flagged read-only: scripts included), else empty.
         */
        void completed(List<byte[]> writtenKeys);

        /**
         * A command that may block (BLPOP, XREAD BLOCK, ...) answered: its keys are noted as written.
         * It is not counted in flight: a fence cannot wait for a client blocked for minutes.
         */
        void blockingCompleted(List<byte[]> writtenKeys);
    }

    /** Per slot: the verdict, the redirect target or importing node, the task's watcher and the task. Immutable. */
    public static final class Table {
        public static final Table NONE = new Table(new Verdict[SlotHash.SLOT_COUNT], new String[SlotHash.SLOT_COUNT],
                new Watcher[SlotHash.SLOT_COUNT], new Object[SlotHash.SLOT_COUNT], 0);

        private final Verdict[] verdicts;
        private final String[] targets;
        private final Watcher[] watchers;
        /** The task that set each slot's entry: only it may clear it (a newer task may own the slot by then). */
        private final Object[] owners;
        /**
         * How many slots have an entry, and which of them hide their keys: counted when first asked (a
         * racy but idempotent cache, as String's hash), not when the table is made. Tables are made
         * inside a migration's fence, a few times per move, so their code runs interpreted; a pass over
         * all 16384 slots there cost the fence milliseconds (measured: 1.5-9.7 ms per edit).
         */
        private volatile int entries;
        private volatile int[] hidden;

        private Table(Verdict[] verdicts, String[] targets, Watcher[] watchers, Object[] owners, int entries) {
            this.verdicts = verdicts;
            this.targets = targets;
            this.watchers = watchers;
            this.owners = owners;
            this.entries = entries;
        }

        /**
         * This table with {@code slotRanges} given {@code verdict} by {@code owner}; {@code target} is the
         * redirect address or the importing node. A null verdict clears the slots {@code owner} set.
         */
        public Table with(Iterable<int[]> slotRanges, Verdict verdict, String target, Watcher watcher, Object owner) {
            return with(slotRanges, verdict, target, watcher, owner, false);
        }

        /**
         * As {@link #with}, but only where a slot has no entry or {@code owner}'s own: an entry another task
         * or engine set stays (a verdict that only hides keys must not override one that routes).
         */
        public Table withWhereFree(Iterable<int[]> slotRanges, Verdict verdict, String target, Watcher watcher,
                                   Object owner) {
            return with(slotRanges, verdict, target, watcher, owner, true);
        }

        private Table with(Iterable<int[]> slotRanges, Verdict verdict, String target, Watcher watcher, Object owner,
                           boolean onlyWhereFree) {
            Verdict[] v = verdicts.clone();
            String[] t = targets.clone();
            Watcher[] w = watchers.clone();
            Object[] o = owners.clone();
            if (verdict != null && !onlyWhereFree) {
                // every slot of the ranges takes the entry, whoever had it: the fence's edits (HOLD, REDIRECT,
                // SERVE_IMPORTED) go this way, filled by System.arraycopy, fast before the JIT has seen this code
                boolean any = false;
                int[] knownHidden = hidden;
                boolean sameHidden = knownHidden != null && !hides(verdict);
                for (int[] r : slotRanges) {
                    if (r[0] <= r[1]) {
                        fill(v, r[0], r[1], verdict);
                        fill(t, r[0], r[1], target);
                        fill(w, r[0], r[1], watcher);
                        fill(o, r[0], r[1], owner);
                        any = true;
                        sameHidden = sameHidden && !anyWithin(knownHidden, r[0], r[1]);
                    }
                }
                if (!any) {
                    return this;
                }
                Table next = new Table(v, t, w, o, UNCOUNTED);
                if (sameHidden) {
                    // a verdict that hides nothing over slots none of which hid: the same hidden slots (HOLD over
                    // TRACK, the fence's first edit), so the first client to ask after it need not look
                    next.hidden = knownHidden;
                }
                return next;
            }
            int count = size();
            for (int[] r : slotRanges) {
                for (int s = r[0]; s <= r[1]; s++) {
                    if ((verdict == null || onlyWhereFree) && o[s] != null && o[s] != owner) {
                        continue; // another task's entry now
                    }
                    count += (verdict != null ? 1 : 0) - (v[s] != null ? 1 : 0);
                    v[s] = verdict;
                    t[s] = verdict == null ? null : target;
                    w[s] = verdict == null ? null : watcher;
                    o[s] = verdict == null ? null : owner;
                }
            }
            return count == 0 ? NONE : new Table(v, t, w, o, count);
        }

        private static final int UNCOUNTED = -1;

        /** Whether the ascending {@code slots} has one in {@code from..to}. */
        private static boolean anyWithin(int[] slots, int from, int to) {
            int at = Arrays.binarySearch(slots, from);
            int next = at >= 0 ? at : -at - 1;
            return next < slots.length && slots[next] <= to;
        }

        /** {@code a[from..to]} (inclusive) set to {@code value} by doubling copies. */
        private static <T> void fill(T[] a, int from, int to, T value) {
            a[from] = value;
            int length = to - from + 1;
            for (int filled = 1; filled < length; ) {
                int n = Math.min(filled, length - filled);
                System.arraycopy(a, from, a, from + filled, n);
                filled += n;
            }
        }

        /** The verdict for {@code slot}, or null when no migration holds it. */
        public Verdict verdict(int slot) {
            return verdicts[slot];
        }

        public String target(int slot) {
            return targets[slot];
        }

        public Watcher watcher(int slot) {
            return watchers[slot];
        }

        /** How many slots have an entry. */
        public int size() {
            int n = entries;
            if (n == UNCOUNTED) {
                n = 0;
                for (Verdict v : verdicts) {
                    n += v != null ? 1 : 0;
                }
                entries = n;
            }
            return n;
        }

        /**
         * Whether a key of {@code slot} is hidden from this proxy's clients (SCAN, KEYS, DBSIZE,
         * RANDOMKEY, CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT): it lives here but is served elsewhere
         * (staged copies at a destination, moved keys still being trimmed at the source, a seeded
         * destination's copies of slots it does not import).
         */
        public boolean hides(int slot) {
            return hides(verdicts[slot]);
        }

        private static boolean hides(Verdict verdict) {
            return verdict == Verdict.REDIRECT || verdict == Verdict.FOREIGN;
        }

        /** Whether any slot's keys are hidden here (else DBSIZE and the like need no correction). */
        public boolean hidesAny() {
            return hidden().length > 0;
        }

        /** The slots whose keys are hidden here, ascending (a copy). */
        public int[] hiddenSlots() {
            return hidden().clone();
        }

        private int[] hidden() {
            int[] found = hidden;
            if (found == null) {
                int n = 0;
                found = new int[verdicts.length];
                for (int s = 0; s < verdicts.length; s++) {
                    if (hides(verdicts[s])) {
                        found[n++] = s;
                    }
                }
                found = Arrays.copyOf(found, n);
                hidden = found; // volatile: a reader on another loop sees the whole array
            }
            return found;
        }

        @Override
        public String toString() {
            return "MigrationGate.Table(" + size() + " slots)";
        }
    }

    /** A command waiting for a held slot, with what routes it again. */
    private record Held(ClientSession session, Runnable reroute) {
    }

    private volatile Table table = Table.NONE; // written under the monitor (edit), read without
    /** Held commands by event loop; each deque is touched on its own loop only. */
    private final Map<EventLoop, ArrayDeque<Held>> held = new ConcurrentHashMap<>();

    /** The table now; read it once per command. */
    public Table table() {
        return table;
    }

    /**
     * Replaces the table with {@code change} of it (an engine's thread); engines edit their own slots'
     * entries, so edits are serialised here. Commands routed from now on see the new verdicts.
     */
    public synchronized Table edit(java.util.function.UnaryOperator<Table> change) {
        table = change.apply(table);
        return table;
    }

    /**
     * On the session's loop: {@code reroute} runs again once the engine {@link #releaseHeld releases}
     * held commands; the session dispatches nothing else meanwhile, so its order holds.
     */
    public void hold(ClientSession session, Runnable reroute) {
        session.holdDispatch();
        held.computeIfAbsent(session.channel().eventLoop(), loop -> new ArrayDeque<>()).addLast(new Held(session, reroute));
    }

    /**
     * Routes every held command again, on its own loop, in the order it arrived (call after publishing
     * the table that decides them); then each of their sessions goes on with the commands it read since.
     */
    public void releaseHeld() {
        for (Map.Entry<EventLoop, ArrayDeque<Held>> entry : held.entrySet()) {
            ArrayDeque<Held> queue = entry.getValue();
            try {
                entry.getKey().execute(() -> {
                    List<Held> due = new ArrayList<>(queue);
                    queue.clear();
                    for (Held h : due) {
                        h.reroute().run();
                        if (!isHeld(queue, h.session())) { // held again by a newer decision: it stays held
                            h.session().resumeDispatch();
                        }
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the proxy is closing: its held commands end with their clients' connections
            }
        }
    }

    private static boolean isHeld(ArrayDeque<Held> queue, ClientSession session) {
        for (Held h : queue) {
            if (h.session() == session) {
                return true;
            }
        }
        return false;
    }
}
