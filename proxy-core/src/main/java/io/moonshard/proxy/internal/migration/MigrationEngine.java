package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.BackendPool;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.engine.BackgroundEngine;
import io.moonshard.proxy.internal.engine.EngineHost;
import io.moonshard.proxy.internal.engine.ReplicationUser;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online slot migration: starts and ends the tasks that the {@code MIGRATING}/{@code IMPORTING} tags
 * of each new snapshot name ({@link #reconcile}, the one place a move begins or ends), keeps the
 * gate's table of moving slots, and answers the peer commands of the handshake. Where a slot's move
 * is decided: {@link SlotMigration} (source) and {@link SlotImport} (destination).
 */
public final class MigrationEngine implements BackgroundEngine {

    private static final Logger log = LoggerFactory.getLogger(MigrationEngine.class);
    private static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private final MigrationGate gate;
    private final MigrationSettings settings;
    private final Map<MigrationTaskId, SlotMigration> outgoing = new LinkedHashMap<>();
    private final Map<MigrationTaskId, SlotImport> incoming = new LinkedHashMap<>();
    /** Moves this proxy has handed over (source flipped, destination committed): CLUSTER replies show them done. */
    private final Set<MigrationTaskId> handedOver = new LinkedHashSet<>();
    /** Flipped tasks still trimming, by source node: an import of the same slots there stops their trim. */
    private final Set<SlotMigration> trimCancelled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Tasks whose thread has not finished, in start order, with their slots: a newer one on the same slots waits. */
    private final Map<Object, SlotSet> live = new LinkedHashMap<>();
    private EngineHost host;
    private ProxyConfig config;
    /** Runs the destination's side of the handshake, which reads and writes its Redis (never on an event loop). */
    private ExecutorService peerWork;
    /** The peer thread's connections to local Redis nodes, by address; used on that thread only. */
    private final Map<String, RedisLink> peerLinks = new LinkedHashMap<>();

    public MigrationEngine(MigrationGate gate, MigrationSettings settings) {
        this.gate = gate;
        this.settings = settings;
    }

    /** Counts over every task since the proxy started, for the metrics. */
    public static final class Totals {
        final java.util.concurrent.atomic.LongAdder keysCopied = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder bytesCopied = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder keysTrimmed = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder flips = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder refusedFences = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder aborted = new java.util.concurrent.atomic.LongAdder();
        volatile long lastFenceMicros;

        public long keysCopied() {
            return keysCopied.sum();
        }

        public long bytesCopied() {
            return bytesCopied.sum();
        }

        public long keysTrimmed() {
            return keysTrimmed.sum();
        }

        public long flips() {
            return flips.sum();
        }

        public long refusedFences() {
            return refusedFences.sum();
        }

        public long aborted() {
            return aborted.sum();
        }

        public long lastFenceMicros() {
            return lastFenceMicros;
        }
    }

    private final Totals totals = new Totals();

    public Totals totals() {
        return totals;
    }

    public MigrationSettings settings() {
        return settings;
    }

    @Override
    public void start(EngineHost host) {
        this.host = host;
        this.config = host.config();
        this.peerWork = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "moonshard-migration-peer");
            t.setDaemon(true);
            return t;
        });
        host.onPublished(this::reconcile);
    }

    @Override
    public synchronized void close() {
        outgoing.values().forEach(t -> t.requestStop(MigrationTask.Stop.SHUTDOWN));
        incoming.values().forEach(t -> t.requestStop(MigrationTask.Stop.SHUTDOWN));
        if (peerWork != null) {
            peerWork.shutdownNow();
        }
    }

    /**
     * A new snapshot: tasks whose tag is gone end (committed when the slots' owner changed, cancelled
     * otherwise); tags without a task start one. A task whose tag is repeated unchanged goes on.
     */
    synchronized void reconcile(ClusterSnapshot previous, ClusterSnapshot next) {
        for (String node : next.localBackends()) {
            if (leftoversChecked.add(node)) {
                // before any task of this snapshot starts: the tasks wait for the check (awaitTurn)
                SeedLeftovers check = new SeedLeftovers(node, this, settings);
                live.put(check, SlotSet.of(new io.moonshard.cluster.slot.SlotRange(0, 16383)));
                Thread t = new Thread(check, "moonshard-seed-leftovers-" + node);
                t.setDaemon(true);
                t.start();
            }
        }
        Set<MigrationTaskId> migrating = tagged(next, RangeTag.MIGRATING);
        Set<MigrationTaskId> importing = tagged(next, RangeTag.IMPORTING);
        if (handedOver.removeIf(id -> !migrating.contains(id) && !importing.contains(id))) {
            showHandedOver(); // the coordinator's SETCLUSTER says it now
        }
        for (SlotMigration task : List.copyOf(outgoing.values())) {
            if (!migrating.contains(task.id())) {
                if (task.state() == SlotMigration.State.ABORTED) {
                    outgoing.remove(task.id());
                    continue;
                }
                int first = task.id().slots().ranges().get(0).start();
                boolean moved = next.localOwner(first) == null;
                // committed: the task keeps redirecting (and hiding the keys it trims) until the trim is done
                task.requestStop(moved ? MigrationTask.Stop.COMMITTED : MigrationTask.Stop.CANCELLED);
            }
        }
        for (SlotImport task : List.copyOf(incoming.values())) {
            if (!importing.contains(task.id())) {
                int first = task.id().slots().ranges().get(0).start();
                boolean owned = next.localOwner(first) != null;
                task.requestStop(owned ? MigrationTask.Stop.COMMITTED : MigrationTask.Stop.CANCELLED);
            }
        }
        for (MigrationTaskId id : importing) {
            if (!incoming.containsKey(id)) {
                for (SlotMigration trimming : outgoing.values()) {
                    if (trimming.id().meta().srcNode().equals(id.meta().dstNode())
                            && !trimming.id().slots().minus(id.slots()).equals(trimming.id().slots())) {
                        trimCancelled.add(trimming); // the slots come back: the import cleans them itself
                    }
                }
                SlotImport task = new SlotImport(id, this, settings);
                incoming.put(id, task);
                live.put(task, id.slots());
                publish(task, MigrationGate.Verdict.REDIRECT, id.meta().srcProxy());
                log.info("event=import_started task=\"{}\"", id.infoLine("IMPORTING"));
                task.start("moonshard-import-");
            }
        }
        for (MigrationTaskId id : migrating) {
            if (!outgoing.containsKey(id)) {
                SlotMigration task = new SlotMigration(id, this, settings);
                outgoing.put(id, task);
                live.put(task, id.slots());
                // held until the task has read its register: after a restart mid-fence the destination may own them
                publish(task, MigrationGate.Verdict.HOLD, null);
                log.info("event=migration_started task=\"{}\"", id.infoLine("MIGRATING"));
                task.start("moonshard-migrate-");
            }
        }
    }

    private static Set<MigrationTaskId> tagged(ClusterSnapshot snapshot, RangeTag tag) {
        Set<MigrationTaskId> out = new LinkedHashSet<>();
        for (List<SlotAssignment> list : snapshot.local().values()) {
            for (SlotAssignment a : list) {
                if (a.tag() == tag && !a.slots().isEmpty()) {
                    out.add(new MigrationTaskId(snapshot.name(), a.slots(), a.meta()));
                }
            }
        }
        return out;
    }

    /**
     * Waits until every task started before {@code task} on any of the same slots (on this proxy, either
     * side) has finished: a cancelled move cleans up before the next move of those slots copies.
     */
    synchronized void awaitTurn(Object task) throws InterruptedException {
        SlotSet mine = live.get(task);
        while (mine != null) {
            boolean earlierOverlap = false;
            for (Map.Entry<Object, SlotSet> e : live.entrySet()) {
                if (e.getKey() == task) {
                    break; // only tasks started before this one count
                }
                if (!e.getValue().minus(mine).equals(e.getValue())) {
                    earlierOverlap = true;
                    break;
                }
            }
            if (!earlierOverlap) {
                return;
            }
            wait(100); // woken by finished()
        }
    }

    synchronized void finished(SlotMigration task) {
        live.remove(task);
        notifyAll();
        // an aborted task stays listed (its state shows in INFOMGR PROGRESS) until its tag goes, so
        // the same SETCLUSTER pushed again does not start it over; a new epoch names a new task
        if (outgoing.get(task.id()) == task && task.state() != SlotMigration.State.ABORTED) {
            outgoing.remove(task.id());
        }
        trimCancelled.remove(task);
        if (task.state() != SlotMigration.State.FLIPPED) {
            publish(task, null, null); // FLIPPED ends only at shutdown or a cancel after the flip: keep redirecting
        }
    }

    synchronized void finished(SlotImport task) {
        live.remove(task);
        notifyAll();
        gate.edit(table -> table.with(ALL_SLOTS, null, null, null, task.foreignEntries));
        if (incoming.get(task.id()) == task) {
            incoming.remove(task.id());
            publish(task, null, null);
        }
    }

    // ---- seeds by replication ----

    /** Local Redis nodes already looked at for what an earlier seed left ({@link SeedLeftovers}). */
    private final Set<String> leftoversChecked = new java.util.HashSet<>();

    /** Whether a running task of this proxy (either side) keeps its register under {@code registerKey}. */
    synchronized boolean taskOwns(String registerKey) {
        for (MigrationTaskId id : outgoing.keySet()) {
            if (id.registerKey().equals(registerKey)) {
                return true;
            }
        }
        for (MigrationTaskId id : incoming.keySet()) {
            if (id.registerKey().equals(registerKey)) {
                return true;
            }
        }
        return false;
    }

    /** Hides {@code slots} (where no other entry is) while a seed's leftovers are deleted. */
    void hideLeftovers(SeedLeftovers check, SlotSet slots) {
        List<int[]> ranges = pairs(slots);
        gate.edit(table -> table.withWhereFree(ranges, MigrationGate.Verdict.FOREIGN, null, null, check.entries));
    }

    /** The leftovers check is over: its entries go, and the tasks waiting for it go on. */
    synchronized void leftoversChecked(SeedLeftovers check) {
        gate.edit(table -> table.with(ALL_SLOTS, null, null, null, check.entries));
        live.remove(check);
        notifyAll();
    }

    /** The snapshot now (read it once per decision). */
    ClusterSnapshot snapshot() {
        return host.snapshot();
    }

    /** The user a seeded Redis authenticates as to sync from the source's. */
    ReplicationUser replicationUser() {
        return ReplicationUser.of(config);
    }

    /**
     * How many tasks (either side, and leftover checks) have not finished their thread: {@code UMCTL WIPE}
     * flushes the nodes only once none is left, since a task still copying would refill a flushed node.
     */
    public synchronized int liveTasks() {
        return live.size();
    }

    /** Whether a task other than {@code task} runs on this proxy (either side, any slots). */
    synchronized boolean otherTasks(Object task) {
        for (Object other : live.keySet()) {
            if (other != task) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code task}'s Redis holds (or stops holding) a seed's copy of every slot: the slots it does not
     * import are {@link MigrationGate.Verdict#FOREIGN} (hidden; set only where no other entry is) and
     * every task started after it waits for it as if it moved every slot ({@link #awaitTurn}), so no
     * other move writes into that Redis while its foreign keys are deleted.
     */
    synchronized void seeded(SlotImport task, boolean on) {
        List<int[]> foreign = pairs(task.foreignSlots());
        gate.edit(table -> on ? table.withWhereFree(foreign, MigrationGate.Verdict.FOREIGN, null, null, task.foreignEntries)
                : table.with(ALL_SLOTS, null, null, null, task.foreignEntries));
        if (live.containsKey(task)) {
            live.put(task, on ? SlotSet.of(new io.moonshard.cluster.slot.SlotRange(0, 16383)) : task.id().slots());
        }
        notifyAll();
    }

    /**
     * Why this proxy will not have {@code task}'s Redis seeded (null: it will): it must stage an empty,
     * plain master, and this proxy own no stable slot and run no other task (no client can then write to
     * that Redis, and nothing else is lost when its data is replaced).
     */
    String seedRefusal(SlotImport task, RedisLink redis) throws IOException {
        for (List<SlotAssignment> list : host.snapshot().local().values()) {
            for (SlotAssignment a : list) {
                if (a.tag() == RangeTag.NONE && !a.slots().isEmpty()) {
                    return "this proxy owns slots";
                }
            }
        }
        if (otherTasks(task)) {
            return "another migration task runs on this proxy";
        }
        Object size = redis.call("DBSIZE");
        if (!Long.valueOf(0).equals(size)) {
            return "its Redis holds " + size + " keys";
        }
        if (clusterEnabled(redis)) {
            return "its Redis is cluster-enabled";
        }
        if (!ReplicationStatus.of(redis).master()) {
            return "its Redis is a replica";
        }
        return null;
    }

    /**
     * Whether {@code task}'s Redis serves nothing but the task's slots: no stable slot of this proxy lives
     * there and no other task runs, so a {@code FLUSHDB} there deletes only what the seed brought.
     */
    boolean servesNothingElse(SlotImport task) {
        for (SlotAssignment a : host.snapshot().local().getOrDefault(task.id().meta().dstNode(), List.of())) {
            if (a.tag() == RangeTag.NONE && !a.slots().isEmpty()) {
                return false;
            }
        }
        return !otherTasks(task);
    }

    static boolean clusterEnabled(RedisLink redis) throws IOException {
        Object info = redis.call("INFO", "cluster");
        return info instanceof byte[] text && new String(text, StandardCharsets.US_ASCII).contains("cluster_enabled:1");
    }

    private static final List<int[]> ALL_SLOTS = List.of(new int[] {0, 16383});

    private static List<int[]> pairs(SlotSet slots) {
        List<int[]> out = new ArrayList<>();
        for (io.moonshard.cluster.slot.SlotRange r : slots.ranges()) {
            out.add(new int[] {r.start(), r.end()});
        }
        return out;
    }

    /**
     * The move is handed over here (the source flipped, or the destination committed): CLUSTER replies
     * show the destination as owner at once, as a Redis node does after {@code CLUSTER SETSLOT ... NODE},
     * so clients refreshing their topology go straight there; until the coordinator's SETCLUSTER.
     */
    synchronized void handedOver(MigrationTaskId id) {
        handedOver.add(id);
        showHandedOver();
    }

    /** {@code work} on the peer thread once it has answered what it is answering now (off the fence's path). */
    void afterAnswer(Runnable work) {
        peerWork.execute(work);
    }

    private void showHandedOver() {
        List<MigrationTaskId> moves = List.copyOf(handedOver);
        host.showAs(this, snapshot -> {
            ClusterSnapshot shown = snapshot;
            for (MigrationTaskId id : moves) {
                shown = shown.handedOver(id.slots(), id.meta());
            }
            return shown;
        });
    }

    boolean trimCancelled(SlotMigration task) {
        return trimCancelled.contains(task);
    }

    void publish(SlotMigration task, MigrationGate.Verdict verdict, String target) {
        publish(task.id(), verdict, target, task, task);
    }

    void publish(SlotImport task, MigrationGate.Verdict verdict, String target) {
        publish(task.id(), verdict, target, null, task);
    }

    /** Sets (or, with a null verdict, clears) the task's slots in the gate; a task only clears its own entries. */
    private synchronized void publish(MigrationTaskId id, MigrationGate.Verdict verdict, String target,
                                      MigrationGate.Watcher watcher, Object task) {
        MigrationGate.Table table = gate.edit(t -> t.with(id.rangePairs(), verdict, target, watcher, task));
        if (verdict != MigrationGate.Verdict.HOLD) {
            gate.releaseHeld();
            // the new table's hidden slots are found here, on this thread and after the held commands went on,
            // not by the first SCAN or DBSIZE on an event loop (a pass over 16384 slots, run interpreted)
            table.hidesAny();
        }
    }

    /** Runs {@code action} for each client, on that client's loop. */
    void forEachClient(java.util.function.Consumer<io.moonshard.proxy.internal.session.ClientSession> action) {
        for (io.moonshard.proxy.internal.session.ClientSession session : host.clients().all()) {
            session.channel().eventLoop().execute(() -> action.accept(session));
        }
    }

    // ---- barriers on the event loops ----

    /** Returns once every event loop has finished what it was doing: commands routed before now are counted. */
    void awaitEventLoops() throws InterruptedException {
        List<EventLoop> loops = host.eventLoops();
        CountDownLatch done = new CountDownLatch(loops.size());
        loops.forEach(loop -> loop.execute(done::countDown));
        if (!done.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("event loops did not answer in 10 s");
        }
    }

    /**
     * Returns once every command sent to {@code backend} before now has executed: a PING on each of
     * the loops' shared connections to it has answered (Redis answers a connection in order).
     */
    void drainEventLoops(String backend) throws InterruptedException {
        awaitEventLoops();
        List<EventLoop> loops = host.eventLoops();
        CountDownLatch done = new CountDownLatch(loops.size());
        // every loop answers, with or without a pool yet (a proxy just restarted has pools only on the
        // loops its first clients landed on): counting only the loops with a pool would wait forever
        for (EventLoop loop : loops) {
            loop.execute(() -> pingEachConnection(host.poolFor(loop), backend, done));
        }
        if (!done.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("backend connections did not answer a PING in 10 s");
        }
    }

    /** On the pool's loop: a PING on each of its shared connections to {@code backend}; {@code done} counts down once all answered. */
    private static void pingEachConnection(BackendPool pool, String backend, CountDownLatch done) {
        List<BackendConnection> connections = new ArrayList<>();
        pool.forEachConnectionTo(backend, connections::add);
        if (connections.isEmpty()) {
            done.countDown();
            return;
        }
        AtomicInteger left = new AtomicInteger(connections.size());
        for (BackendConnection c : connections) {
            c.send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    reply.release();
                    if (left.decrementAndGet() == 0) {
                        done.countDown();
                    }
                }
            }, Unpooled.wrappedBuffer(PING));
        }
    }

    // ---- connections ----

    RedisLink connectBackend(String address, int timeoutMillis) throws IOException {
        return host.connectBackend(address, timeoutMillis);
    }

    RedisLink connectPeer(String address, int timeoutMillis) throws IOException {
        return host.connectPeer(address, timeoutMillis);
    }

    // ---- the destination's side of the handshake ----

    /**
     * {@code UMCTL PRECHECK|PRESWITCH|FINALSWITCH|MGRABORT mgr-0.2 ...} from the source proxy; the
     * reply line goes to {@code reply}, from the peer thread.
     */
    public void peerCommand(String sub, List<String> args, Consumer<String> reply) {
        MigrationTaskId.Parsed parsed;
        String phase = null;
        try {
            if (sub.equals("MGRSEED")) {
                // UMCTL MGRSEED START|DROP mgr-0.2 <cluster> MIGRATING ...: Moonshard's seed by replication
                if (args.isEmpty() || !SEED_PHASES.contains(args.get(0).toUpperCase(java.util.Locale.ROOT))) {
                    throw new IllegalArgumentException("Invalid sub command");
                }
                phase = args.get(0).toUpperCase(java.util.Locale.ROOT);
                args = args.subList(1, args.size());
            }
            parsed = MigrationTaskId.parseSwitch(args);
        } catch (IllegalArgumentException e) {
            reply.accept("-" + e.getMessage());
            return;
        }
        String seedPhase = phase;
        peerWork.execute(() -> {
            String answer;
            try {
                answer = seedPhase != null ? seedAnswer(seedPhase, parsed) : answer(sub, parsed);
            } catch (IOException | RuntimeException e) {
                RedisLink broken = peerLinks.remove(parsed.id().meta().dstNode());
                if (broken != null) {
                    broken.close();
                }
                answer = "-ERR migration peer command failed: " + e.getMessage();
            }
            reply.accept(answer);
        });
    }

    private static final Set<String> SEED_PHASES = Set.of("START", "DROP");

    private String seedAnswer(String phase, MigrationTaskId.Parsed parsed) throws IOException {
        MigrationTaskId id = parsed.id();
        if (host.snapshot().epoch() < id.meta().epoch()) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        SlotImport task = importTask(id);
        if (task == null) {
            return "-TASK_NOT_FOUND";
        }
        return phase.equals("START") ? task.seedStart(peerLink(id)) : task.seedDrop();
    }

    private String answer(String sub, MigrationTaskId.Parsed parsed) throws IOException {
        MigrationTaskId id = parsed.id();
        ClusterSnapshot snapshot = host.snapshot();
        if (sub.equals("MGRABORT")) {
            // answered from the register even when no task exists: a restarted proxy still knows
            if (!snapshot.localBackends().contains(id.meta().dstNode()) || parsed.attempt() < 0) {
                return "-TASK_NOT_FOUND";
            }
            SlotImport task = importTask(id);
            if (task != null) {
                return task.abortAttempt(parsed.attempt(), peerLink(id));
            }
            String standing = SlotImport.decide(peerLink(id), id.registerKey(), parsed.attempt(), "refuse");
            if (standing.isEmpty() && ReplicationStatus.of(peerLink(id)).replicates(id.meta().srcNode())) {
                return "+OK"; // a Redis following the source (a seed) has committed nothing
            }
            return abortAnswer(standing);
        }
        if (snapshot.epoch() < id.meta().epoch()) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        SlotImport task = importTask(id);
        if (task == null) {
            return outgoingTask(id) ? "-Peer Not Migrating" : "-TASK_NOT_FOUND";
        }
        return switch (sub) {
            case "PRECHECK", "PRESWITCH" -> {
                peerLink(id); // opens the link FINALSWITCH records its decision on now, not inside the source's fence
                yield task.precheck();
            }
            case "FINALSWITCH" -> parsed.attempt() < 0 ? "-ERR FINALSWITCH needs ATTEMPT <n> (Moonshard's fenced handshake)"
                    : task.finalSwitch(parsed.attempt(), peerLink(id));
            default -> "-Invalid sub command";
        };
    }

    static String abortAnswer(String standing) {
        return standing.equals("commit") ? "-ALREADY_COMMITTED" : standing.equals("refuse") ? "+OK"
                : "-ERR the destination could not record the refusal";
    }

    private synchronized SlotImport importTask(MigrationTaskId id) {
        return incoming.get(id);
    }

    private synchronized boolean outgoingTask(MigrationTaskId id) {
        return outgoing.containsKey(id);
    }

    private RedisLink peerLink(MigrationTaskId id) throws IOException {
        String node = id.meta().dstNode();
        RedisLink link = peerLinks.get(node);
        if (link == null) {
            link = connectBackend(node, 5_000);
            peerLinks.put(node, link);
        }
        return link;
    }

    // ---- what operators see ----

    /** undermoon's INFOMGR lines: tasks that reached the commit (source flipped, destination committed). */
    public synchronized List<String> committedLines() {
        List<String> lines = new ArrayList<>();
        for (SlotMigration t : outgoing.values()) {
            if (t.state() == SlotMigration.State.FLIPPED) {
                lines.add(t.id().infoLine("MIGRATING"));
            }
        }
        for (SlotImport t : incoming.values()) {
            if (t.state() == SlotImport.State.COMMITTED) {
                lines.add(t.id().infoLine("IMPORTING"));
            }
        }
        return lines;
    }

    /** One line per running task: undermoon's fields, then Moonshard's {@code key=value} progress. */
    public synchronized List<String> progressLines() {
        List<String> lines = new ArrayList<>();
        long now = System.nanoTime();
        for (SlotMigration t : outgoing.values()) {
            Progress p = t.progress();
            lines.add(t.id().infoLine("MIGRATING") + " state=" + t.state() + " attempt=" + t.attempt()
                    + " mode=" + p.mode + common(p, now) + " dirty=" + t.dirtyCount() + " fence_us=" + p.lastFenceMicros
                    + " fences_refused=" + p.refusedFences + " keys_trimmed=" + p.keysTrimmed
                    + " seed_ms=" + p.seedMillis);
        }
        for (SlotImport t : incoming.values()) {
            Progress p = t.progress();
            lines.add(t.id().infoLine("IMPORTING") + " state=" + t.state() + " attempt=" + t.committedAttempt()
                    + " seeded=" + (t.seeded() ? 1 : 0) + common(p, now) + " foreign_keys_deleted=" + p.foreignKeysDeleted);
        }
        return lines;
    }

    private static String common(Progress p, long now) {
        return " keys_copied=" + p.keysCopied + " keys_deleted=" + p.keysDeleted + " bytes=" + p.bytesCopied
                + " chunked_keys=" + p.chunkedKeys + " rounds=" + p.rounds
                + " longest_round_trip_us=" + p.longestRoundTripMicros
                + " elapsed_ms=" + TimeUnit.NANOSECONDS.toMillis(now - p.startedNanos);
    }

    /** How many tasks run, by side: for the metrics. */
    public synchronized int[] taskCounts() {
        int running = (int) outgoing.values().stream().filter(t -> t.state() != SlotMigration.State.ABORTED).count();
        return new int[] {running, incoming.size()};
    }
}
