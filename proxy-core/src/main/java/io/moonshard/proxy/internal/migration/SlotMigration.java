package io.moonshard.proxy.internal.migration;

import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.proxy.internal.route.MigrationGate;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one migration: copies the moving slots' keys to the destination while serving
 * them, then moves ownership in one fenced, numbered handshake. Runs on its own thread; event loops
 * only call the {@link MigrationGate.Watcher} methods.
 *
 * <pre>
 * RESOLVING ─► PRECHECK ─► COPYING ─► CATCHING_UP ─► FENCED(attempt) ─► FLIPPED ─► TRIMMING ─► DONE
 *                 │  │        │            │   ▲            │
 *                 │  │        │            └───┴─ refused ──┘ (attempt + 1)      ─► ABORTED
 *                 │  └─► SEEDING ─────────────────► FENCED(attempt) (refused: again, or CATCHING_UP once promoted)
 *                 └─────────── (any failure, a cancel) ─────────────────────────► ABORTED
 * </pre>
 * <ul>
 *   <li>RESOLVING: this task may have fenced before (the proxy restarted mid-fence): its slots are held
 *       until the destination says whether it committed that attempt.</li>
 *   <li>COPYING: one pass over the source's keys; every write the proxy sends meanwhile to the moving
 *       slots marks its keys dirty.</li>
 *   <li>CATCHING_UP: rounds that copy the dirty keys again until few are left.</li>
 *   <li>FENCED: new commands for the moving slots wait; once the ones in flight answered, the last
 *       dirty keys are copied and the destination is asked to commit this attempt. It is the only
 *       way ownership moves: the source serves the slots again only after the destination has
 *       refused the attempt, and it never goes ahead on its own.</li>
 *   <li>FLIPPED: the source answers {@code MOVED} for the slots; INFOMGR lists the task until the
 *       coordinator's commit SETCLUSTER.</li>
 *   <li>TRIMMING: the moved keys are deleted at the source in budgeted batches.</li>
 * </ul>
 * After PRECHECK the task chooses how the keys move ({@link SeedRule}): copied one by one (COPYING,
 * CATCHING_UP), or, into an empty destination, by replication: SEEDING makes the destination's Redis
 * a replica of the source's ({@link ReplicaSeed}) and waits for its full sync; from then on every
 * write the source executes reaches the destination through the replication stream, so no key is
 * tracked. Its fence holds the slots as the key copy's does, waits until the destination's offset has
 * reached the source's (read once the commands in flight answered), makes it a master again and asks
 * for the commit. A fence refused before that promotion leaves it following and is tried again; one
 * refused after it goes on as a key copy (the destination holds every key as of the fence; writes are
 * tracked from then on).
 */
final class SlotMigration extends MigrationTask implements MigrationGate.Watcher {

    private static final Logger log = LoggerFactory.getLogger(SlotMigration.class);

    enum State { RESOLVING, PRECHECK, COPYING, SEEDING, CATCHING_UP, FENCED, FLIPPED, TRIMMING, DONE, ABORTED }

    private final DirtyKeys dirty = new DirtyKeys();
    private final Budget budget;
    /** Writes mark keys dirty; off while the destination's Redis follows the source (the stream carries them). */
    private volatile boolean trackDirty = true;
    /** The destination's Redis follows the source's: a seed not promoted yet (the task's thread only). */
    private boolean replicating;
    /** This run's seed, once the destination agreed to it: an abort must drop it (the task's thread only). */
    private ReplicaSeed seed;
    /** An earlier run of this task (before this proxy restarted) seeded the destination. */
    private boolean seededBefore;
    /** The last seed fence's timings, logged once its slots are served again (the task's thread only). */
    private FenceTimes fenceTimes;
    private final AtomicLong inFlight = new AtomicLong();

    private volatile State state = State.RESOLVING;
    /** The task's connections while it runs (its thread only). */
    private Links links;
    /** The source held no key with an expiry when the first pass began (INFO keyspace). */
    private volatile boolean noExpiriesAtStart;
    /** An earlier run of this task (before this proxy restarted) copied keys: the destination may hold stale ones. */
    private boolean copiedBefore;
    private long attempt = 1;

    SlotMigration(MigrationTaskId id, MigrationEngine engine, MigrationSettings settings) {
        super(id, engine, settings);
        this.budget = new Budget(settings);
    }

    State state() {
        return state;
    }

    int dirtyCount() {
        return dirty.size();
    }

    long attempt() {
        return attempt;
    }

    @Override
    public void sent() {
        inFlight.incrementAndGet();
    }

    @Override
    public void completed(List<byte[]> writtenKeys) {
        if (trackDirty && !writtenKeys.isEmpty()) {
            dirty.add(writtenKeys);
        }
        inFlight.decrementAndGet();
    }

    @Override
    public void blockingCompleted(List<byte[]> writtenKeys) {
        if (trackDirty) {
            dirty.add(writtenKeys);
        }
    }

    /**
     * At the flip, as a Redis 7 node does for a slot that moved: clients blocked on its keys are
     * unblocked and answered MOVED, and subscribers of its shard channels get {@code sunsubscribe}.
     */
    private void tellClientsOfTheMove() {
        engine.forEachClient(session -> {
            var blocked = session.blockedCommand();
            if (blocked != null && id.slots().contains(blocked.slot())) {
                blocked.slotMoved(id.meta().dstProxy());
            }
            session.shardSlotsMoved(id.meta().srcNode(), id.slots()::contains);
        });
    }

    @Override
    public void run() {
        try {
            runStates();
        } catch (RuntimeException | IOException e) {
            log.error("event=migration_failed task=\"{}\" state={}", id.infoLine("MIGRATING"), state, e);
            abortTask();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abortTask();
        } finally {
            engine.finished(this);
        }
    }

    private void runStates() throws IOException, InterruptedException {
        engine.awaitTurn(this);
        try (Links links = Links.open(engine, id)) {
            this.links = links;
            runWith(links);
        } finally {
            this.links = null;
        }
    }

    private void runWith(Links links) throws IOException, InterruptedException {
        {
            if (!resolveEarlierAttempt(links)) {
                return; // flipped before the restart, or stopped
            }
            engine.publish(this, MigrationGate.Verdict.TRACK, null);
            engine.drainEventLoops(id.meta().srcNode()); // writes routed before tracking began have executed
            enter(State.PRECHECK);
            while (!peerOk(links, "PRECHECK", -1)) {
                if (stopped()) {
                    abortTask();
                    return;
                }
                park(10);
            }
            if (seededBefore) {
                // an earlier run seeded the destination (its attempts are all refused by now): what it
                // holds is not current and no write since is tracked, so it is dropped and this run starts over
                if (!dropSeed(links, Long.MAX_VALUE)) {
                    abortTask();
                    return;
                }
                Registers.call(links.source(), "HDEL", id.registerKey(), SlotImport.SEED_FIELD);
            } else if (copiedBefore) {
                // keys this task copied before the restart may have been deleted here since, and the
                // dirty keys of that run are lost: start the destination over
                cleanDestination(links);
            }
            if (chooseReplication(links) && startSeed(links)) {
                enter(State.SEEDING);
                if (!seedUntilStreaming(links)) {
                    abortTask();
                    return;
                }
            } else {
                progress.mode = "keys";
                enter(State.COPYING);
                Registers.call(links.source(), "HSET", id.registerKey(), "copying", "1");
                // checked after tracking began: an expiry set from now on makes its key dirty
                noExpiriesAtStart = noKeyExpires(links.source());
                if (!copyEveryKey(links)) {
                    abortTask();
                    return;
                }
            }
            KeyCopier copier = links.copier(settings);
            while (true) {
                Outcome outcome;
                if (replicating) {
                    if (stopped()) {
                        abortTask();
                        return;
                    }
                    outcome = seedFence(links);
                } else {
                    enter(State.CATCHING_UP);
                    int rounds = 0;
                    while (dirty.size() > settings.fenceDirtyKeys && rounds < settings.maxRounds) {
                        if (stopped()) {
                            abortTask();
                            return;
                        }
                        copy(copier, dirty.drain());
                        rounds++;
                        progress.rounds++;
                    }
                    if (stopped()) {
                        abortTask();
                        return;
                    }
                    outcome = fence(links, copier);
                }
                switch (outcome) {
                    case COMMITTED -> {
                        flipped(links);
                        return;
                    }
                    case REFUSED -> {
                        park(Math.min(1000, 50L * attempt)); // a destination restarting or overloaded gets time
                        if (++attempt > settings.maxAttempts) {
                            log.warn("event=migration_aborted task=\"{}\" reason=\"{} fence attempts refused\"",
                                    id.infoLine("MIGRATING"), settings.maxAttempts);
                            abortTask();
                            return;
                        }
                        if (replicating && !awaitStreaming(links)) {
                            abortTask();
                            return;
                        }
                    }
                    default -> throw new IllegalStateException();
                }
            }
        }
    }

    private enum Outcome { COMMITTED, REFUSED }

    /**
     * A restarted proxy may have fenced this task before: its register in the source Redis says which
     * attempt. Until the destination answers for that attempt the slots stay held (the reconcile
     * published HOLD), because the destination may already serve them.
     *
     * @return true to go on copying, false when the task ended here (already flipped, or stopped)
     */
    private boolean resolveEarlierAttempt(Links links) throws IOException, InterruptedException {
        Object restarted = Registers.call(links.source(), "HEXISTS", id.registerKey(), "copying");
        copiedBefore = Long.valueOf(1).equals(restarted);
        seededBefore = Long.valueOf(1).equals(Registers.call(links.source(), "HEXISTS", id.registerKey(),
                SlotImport.SEED_FIELD));
        Object fenced = Registers.call(links.source(), "HGET", id.registerKey(), "fence");
        if (!(fenced instanceof byte[] bytes)) {
            return true;
        }
        long earlier = Long.parseLong(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII));
        log.info("event=migration_resolving task=\"{}\" attempt={}", id.infoLine("MIGRATING"), earlier);
        while (true) {
            String answer = links.peer("MGRABORT", earlier);
            if ("+OK".equals(answer)) {
                attempt = earlier + 1;
                return true;
            }
            if (answer != null && answer.startsWith("-ALREADY_COMMITTED")) {
                attempt = earlier;
                flipped(links);
                return false;
            }
            if (stop == Stop.SHUTDOWN) {
                return false;
            }
            park(10);
        }
    }

    /**
     * One fence attempt: hold the slots, let what is in flight answer, copy the last dirty keys, ask
     * the destination to commit. Any doubt (a timeout, an error, no answer) becomes a refusal that the
     * destination itself confirms before the slots are served here again.
     */
    private Outcome fence(Links links, KeyCopier copier) throws IOException, InterruptedException {
        enter(State.FENCED);
        Registers.call(links.source(), "HSET", id.registerKey(), "fence", Long.toString(attempt));
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(settings.fenceTimeoutMillis);
        engine.publish(this, MigrationGate.Verdict.HOLD, null);
        engine.awaitEventLoops(); // every command routed with the old verdict has been counted
        long held = System.nanoTime();
        boolean drained = awaitDrained(deadline);
        long drainedAt = System.nanoTime();
        String answer = null;
        long copiedAt = drainedAt;
        int lastKeys = 0;
        if (drained) {
            List<byte[]> last = dirty.drain();
            lastKeys = last.size();
            copy(copier, last);
            copiedAt = System.nanoTime();
            if (copiedAt - deadline < 0) {
                answer = links.peer("FINALSWITCH", attempt);
            }
        }
        long end = System.nanoTime();
        progress.lastFenceMicros = TimeUnit.NANOSECONDS.toMicros(end - start);
        engine.totals().lastFenceMicros = progress.lastFenceMicros;
        // logged once the slots are served again (flipped, or back to TRACK): nothing is formatted inside the hold
        keyFenceTimes = new KeyFenceTimes(attempt, start, held, drainedAt, copiedAt, end, lastKeys, answer);
        if ("+OK".equals(answer)) {
            return Outcome.COMMITTED;
        }
        // not committed as far as we know: only the destination's refusal lets the source serve again
        while (true) {
            String refusal = links.peer("MGRABORT", attempt);
            if ("+OK".equals(refusal)) {
                break;
            }
            if (refusal != null && refusal.startsWith("-ALREADY_COMMITTED")) {
                    return Outcome.COMMITTED;
            }
            park(10);
        }
        log.info("event=migration_fence_refused task=\"{}\" attempt={} drained={} answer=\"{}\" fence_us={}",
                id.infoLine("MIGRATING"), attempt, drained, answer, progress.lastFenceMicros);
        progress.refusedFences++;
        engine.totals().refusedFences.increment();
        engine.publish(this, MigrationGate.Verdict.TRACK, null);
        logKeyFence();
        return Outcome.REFUSED;
    }

    // ---- the seed by replication ----

    /** Whether this move seeds the destination by replication ({@link SeedRule}); logs the choice. */
    private boolean chooseReplication(Links links) throws IOException {
        var snapshot = engine.snapshot();
        int sourceSlots = 0;
        for (SlotAssignment a : snapshot.local().getOrDefault(id.meta().srcNode(), List.of())) {
            sourceSlots += a.slots().size();
        }
        boolean destinationOwns = false;
        for (SlotAssignment a : snapshot.peers().getOrDefault(id.meta().dstProxy(), List.of())) {
            destinationOwns |= a.tag() == RangeTag.NONE && !a.slots().isEmpty();
        }
        SeedRule.Facts facts = new SeedRule.Facts(settings.seedByReplication(), settings.keysPerSecond(),
                dbsize(links.source()), id.slots().size(), sourceSlots, dbsize(links.destination()), destinationOwns,
                engine.otherTasks(this),
                MigrationEngine.clusterEnabled(links.source()) || MigrationEngine.clusterEnabled(links.destination()),
                ReplicationStatus.of(links.source()).master() && ReplicationStatus.of(links.destination()).master());
        String refusal = SeedRule.refusal(facts);
        log.info("event=migration_mode task=\"{}\" mode={} reason={} source_keys={} destination_keys={}",
                id.infoLine("MIGRATING"), refusal == null ? "replication" : "keys", refusal == null ? "-" : refusal,
                facts.sourceKeys(), facts.destinationKeys());
        return refusal == null;
    }

    private static long dbsize(RedisLink redis) throws IOException {
        Object n = redis.call("DBSIZE");
        if (!(n instanceof Long size)) {
            throw new IOException(redis.address() + ": DBSIZE answered " + n);
        }
        return size;
    }

    /**
     * Asks the destination proxy to be seeded ({@code UMCTL MGRSEED START}) until it agrees or refuses;
     * marks the source's register (the mark reaches the destination with the full sync, and a restarted
     * source finds it); then points the destination's Redis at the source's.
     *
     * @return false when the destination refused (or the task was stopped): the keys are copied instead
     */
    private boolean startSeed(Links links) throws IOException, InterruptedException {
        while (true) {
            String answer = links.seed("START");
            if ("+OK".equals(answer)) {
                break;
            }
            if (stopped() || (answer != null && answer.startsWith("-SEED_REFUSED"))) {
                log.info("event=migration_mode task=\"{}\" mode=keys reason=\"destination: {}\"",
                        id.infoLine("MIGRATING"), answer);
                return false;
            }
            park(10); // restarting, or not staging yet
        }
        // the mark names the source's Redis: a destination that finds it with no task to own it knows whom it followed
        Registers.call(links.source(), "HSET", id.registerKey(), SlotImport.SEED_FIELD, id.meta().srcNode());
        trackDirty = false; // from the REPLICAOF on, the stream carries every write
        dirty.clear();
        progress.mode = "replication";
        seed = new ReplicaSeed(links.source(), links.destination(), id.meta().srcNode());
        replicating = true;
        seed.start(engine.replicationUser());
        return true;
    }

    /** SEEDING: waits for the full sync to load; false when stopped. */
    private boolean seedUntilStreaming(Links links) throws IOException {
        long t0 = System.nanoTime();
        boolean streaming = awaitStreaming(links);
        if (streaming) {
            progress.seedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            log.info("event=migration_seeded task=\"{}\" seed_ms={}", id.infoLine("MIGRATING"), progress.seedMillis);
        }
        return streaming;
    }

    /** Until the destination follows the source's stream closely; false when stopped, IOException on the timeout. */
    private boolean awaitStreaming(Links links) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.seedTimeoutMillis);
        if (seed.awaitStreaming(settings.seedLagBytes, deadline, this::stopped) != null) {
            return true;
        }
        if (stopped()) {
            return false;
        }
        throw new IOException(links.destination().address() + " did not load the seed within "
                + settings.seedTimeoutMillis + " ms");
    }

    /**
     * One fence attempt of a seed: hold the slots, let what is in flight answer, wait until the
     * destination has executed everything the source had then, make it a master, ask for the commit.
     * Until the promotion no FINALSWITCH of this attempt has been sent, so no destination can have
     * committed it: the slots are served again at once, the destination still following. After the
     * promotion, doubt is resolved as the key copy's fence resolves it, and a refusal goes on as a key
     * copy.
     */
    private Outcome seedFence(Links links) throws IOException, InterruptedException {
        enter(State.FENCED);
        Registers.call(links.source(), "HSET", id.registerKey(), "fence", Long.toString(attempt));
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(settings.fenceTimeoutMillis);
        engine.publish(this, MigrationGate.Verdict.HOLD, null);
        engine.awaitEventLoops(); // every command routed with the old verdict has been counted
        long held = System.nanoTime();
        boolean drained = awaitDrained(deadline);
        long drainedAt = System.nanoTime();
        boolean caughtUp = drained && seed.awaitOffset(seed.sourceOffset(), deadline);
        long caughtUpAt = System.nanoTime();
        String answer = null;
        long promotedAt = caughtUpAt;
        if (caughtUp) {
            seed.promote();
            replicating = false;
            promotedAt = System.nanoTime();
            answer = links.peer("FINALSWITCH", attempt);
            if (answer == null && System.nanoTime() - deadline < 0) {
                // the peer link failed (a destination proxy restarted since it was opened): the same
                // attempt once more on a new one; HSETNX makes a repeated FINALSWITCH harmless
                answer = links.peer("FINALSWITCH", attempt);
            }
        }
        long end = System.nanoTime();
        progress.lastFenceMicros = TimeUnit.NANOSECONDS.toMicros(end - start);
        engine.totals().lastFenceMicros = progress.lastFenceMicros;
        // logged once the slots are served again (flipped, or back to TRACK): nothing is formatted inside the hold
        fenceTimes = new FenceTimes(attempt, start, held, drainedAt, caughtUpAt, promotedAt, end, answer);
        if ("+OK".equals(answer)) {
            return Outcome.COMMITTED;
        }
        if (caughtUp) {
            // promoted: only the destination's refusal lets the source serve again
            while (true) {
                String refusal = links.peer("MGRABORT", attempt);
                if ("+OK".equals(refusal)) {
                    break;
                }
                if (refusal != null && refusal.startsWith("-ALREADY_COMMITTED")) {
                    return Outcome.COMMITTED;
                }
                park(10);
            }
            // it holds every key as of this fence; from here the task goes on as a key copy
            dirty.clear();
            trackDirty = true;
        }
        log.info("event=migration_fence_refused task=\"{}\" attempt={} drained={} promoted={} answer=\"{}\" fence_us={}",
                id.infoLine("MIGRATING"), attempt, drained, caughtUp, answer, progress.lastFenceMicros);
        progress.refusedFences++;
        engine.totals().refusedFences.increment();
        engine.publish(this, MigrationGate.Verdict.TRACK, null);
        logSeedFence();
        if (caughtUp) {
            seed.restoreSettings(); // the seed is over, out of the fence
        }
        return Outcome.REFUSED;
    }

    /** When each step of a key copy's fence ended (System.nanoTime), for its log line. */
    private record KeyFenceTimes(long attempt, long start, long held, long drained, long copied, long end,
                                 int lastKeys, String answer) {
    }

    /** The last key copy fence's timings, logged once its slots are served again (the task's thread only). */
    private KeyFenceTimes keyFenceTimes;

    private void logKeyFence() {
        KeyFenceTimes t = keyFenceTimes;
        if (t != null) {
            log.info("event=migration_fence task=\"{}\" attempt={} fence_us={} barrier_us={} drain_us={} "
                            + "last_copy_us={} last_keys={} finalswitch_us={} answer=\"{}\"", id.infoLine("MIGRATING"),
                    t.attempt(), (t.end() - t.start()) / 1_000, (t.held() - t.start()) / 1_000,
                    (t.drained() - t.held()) / 1_000, (t.copied() - t.drained()) / 1_000, t.lastKeys(),
                    (t.end() - t.copied()) / 1_000, t.answer());
            keyFenceTimes = null;
        }
    }

    /** When each step of a seed fence ended (System.nanoTime), for its log line. */
    private record FenceTimes(long attempt, long start, long held, long drained, long caughtUp, long promoted, long end,
                              String answer) {
    }

    private void logSeedFence() {
        FenceTimes t = fenceTimes;
        if (t != null) {
            log.info("event=migration_seed_fence task=\"{}\" attempt={} fence_us={} barrier_us={} drain_us={} "
                            + "catch_up_us={} promote_us={} finalswitch_us={} answer=\"{}\" {}", id.infoLine("MIGRATING"),
                    t.attempt(), (t.end() - t.start()) / 1_000, (t.held() - t.start()) / 1_000, (t.drained() - t.held()) / 1_000,
                    (t.caughtUp() - t.drained()) / 1_000, (t.promoted() - t.caughtUp()) / 1_000, (t.end() - t.promoted()) / 1_000,
                    t.answer(), seed.lastCatchUp());
            fenceTimes = null;
        }
    }

    /**
     * Gives a seed up before any commit: the destination's Redis stops following the source's (at
     * once, even when its proxy does not answer), and its proxy deletes what it brought ({@code UMCTL
     * MGRSEED DROP}, asked until it says it is done or has no such task) within {@code patienceMillis}.
     *
     * @return whether the destination confirmed
     */
    private boolean dropSeed(Links links, long patienceMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(patienceMillis, Long.MAX_VALUE / 2_000_000));
        // the destination's Redis may be loading the full sync: it stops following once the load is over
        if (!ReplicaSeed.stopFollowing(links.destination(), id.meta().srcNode(),
                () -> stop == Stop.SHUTDOWN || System.nanoTime() - deadline > 0)) {
            return false;
        }
        if (seed != null) {
            seed.restoreSettings();
        }
        replicating = false;
        while (true) {
            String answer = links.seed("DROP");
            if ("+OK".equals(answer) || "-TASK_NOT_FOUND".equals(answer)) {
                log.info("event=migration_seed_dropped task=\"{}\" answer=\"{}\"", id.infoLine("MIGRATING"), answer);
                return true;
            }
            if (answer != null && answer.startsWith("-ALREADY_COMMITTED")) {
                log.error("event=migration_seed_drop_refused task=\"{}\": the destination committed", id.infoLine("MIGRATING"));
                return false;
            }
            if (stopped() || System.nanoTime() - deadline > 0) {
                return false; // a cancel: the destination drops the seed itself when it reaches it
            }
            park(10);
        }
    }

    private boolean awaitDrained(long deadlineNanos) {
        while (inFlight.get() > 0) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            LockSupport.parkNanos(50_000); // the replies come from Redis on event loops: nothing to wait on
        }
        return true;
    }

    /** The destination serves the slots: the source redirects, and trims once the coordinator committed. */
    private void flipped(Links links) throws IOException, InterruptedException {
        engine.publish(this, MigrationGate.Verdict.REDIRECT, id.meta().dstProxy());
        enter(State.FLIPPED);
        engine.totals().flips.increment();
        engine.handedOver(id);
        tellClientsOfTheMove();
        if (seed != null) {
            logSeedFence();
            seed.restoreSettings(); // the seed is over, out of the fence
        }
        logKeyFence();
        log.info("event=migration_flipped task=\"{}\" attempt={} fence_us={} keys={} rounds={}",
                id.infoLine("MIGRATING"), attempt, progress.lastFenceMicros, progress.keysCopied, progress.rounds);
        while (stop == Stop.NONE) {
            park(100);
        }
        if (stop == Stop.CANCELLED) {
            // a cancel after the destination committed: the destination has the only current copy
            log.error("event=migration_cancel_after_flip task=\"{}\": the destination owns the slots; "
                    + "this proxy keeps redirecting to it", id.infoLine("MIGRATING"));
            return;
        }
        if (stop == Stop.SHUTDOWN) {
            return;
        }
        enter(State.TRIMMING);
        SlotKeyScanner scanner = new SlotKeyScanner(links.source(), id.slots(), settings.batchKeys);
        while (!scanner.done()) {
            if (engine.trimCancelled(this)) {
                return; // the slots are coming back to this node: the import cleans them itself
            }
            List<byte[]> keys = scanner.next();
            if (!keys.isEmpty()) {
                Unlinks.unlink(links.source(), keys);
                progress.keysTrimmed += keys.size();
                engine.totals().keysTrimmed.add(keys.size());
                budget.pace(keys.size());
            }
        }
        Registers.call(links.source(), "DEL", id.registerKey());
        enter(State.DONE);
    }

    /**
     * The first pass: this thread enumerates the source's keys (SCAN on its own link) while
     * {@code copyWorkers} threads copy the batches, each over its own pair of links, so the source's
     * SCAN, its reads and the destination's writes overlap instead of taking turns. Two copies of one
     * key (SCAN may return a key twice) read the same value unless a client wrote it meanwhile, and
     * then it is dirty and copied again by the catch-up rounds, which run on one thread.
     *
     * @return false when the task was stopped meanwhile
     */
    private boolean copyEveryKey(Links links) throws IOException, InterruptedException {
        int workers = Math.max(1, settings.copyWorkers);
        java.util.concurrent.BlockingQueue<List<byte[]>> batches = new java.util.concurrent.ArrayBlockingQueue<>(workers * 2);
        List<byte[]> end = new java.util.ArrayList<>(0); // the one marker object that ends a worker
        java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int w = 0; w < workers; w++) {
            Thread t = new Thread(() -> {
                try (Links own = Links.open(engine, id)) {
                    KeyCopier copier = own.copier(settings).assumeNoExpiries(noExpiriesAtStart);
                    for (List<byte[]> batch = batches.take(); batch != end; batch = batches.take()) {
                        if (failure.get() == null) {
                            // the destination deleted every key of these slots before answering
                            // PRECHECK, so the first pass need not free old values there first
                            KeyCopier.CopyStats stats = copier.copyFresh(batch);
                            account(stats, batch.size());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                    batches.clear(); // the producer must not block on a full queue nobody takes from
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, Thread.currentThread().getName() + "-copy-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        boolean completed = true;
        try {
            SlotKeyScanner scanner = new SlotKeyScanner(links.source(), id.slots(), settings.batchKeys);
            while (!scanner.done() && failure.get() == null) {
                if (stopped()) {
                    completed = false;
                    break;
                }
                List<byte[]> keys = scanner.next();
                if (!keys.isEmpty()) {
                    while (!batches.offer(keys, 100, TimeUnit.MILLISECONDS)) {
                        if (failure.get() != null) {
                            break;
                        }
                    }
                }
            }
        } finally {
            boolean keepQueued = completed;
            endWorkers(threads, batches, end, () -> !keepQueued || failure.get() != null);
        }
        Exception failed = failure.get();
        if (failed instanceof IOException io) {
            throw io;
        }
        if (failed != null) {
            throw (RuntimeException) failed;
        }
        return completed;
    }

    /**
     * Queues one {@code end} per worker and waits for them all. Any worker may take any marker, so the
     * count is what matters: one marker per thread still alive, not one offered "to" each thread (a
     * worker that took another's marker and exited was then skipped, and the thread left without one
     * waited forever, and the move with it). A worker that died of a failure takes none; the rest are
     * left in the queue. When {@code discard} says so the queued batches are dropped to make room.
     */
    static <T> void endWorkers(List<Thread> workers, java.util.concurrent.BlockingQueue<T> batches, T end,
                               java.util.function.BooleanSupplier discard) throws InterruptedException {
        int queued = 0;
        while (queued < workers.size() && workers.stream().anyMatch(Thread::isAlive)) {
            if (batches.offer(end, 100, TimeUnit.MILLISECONDS)) {
                queued++;
            } else if (discard.getAsBoolean()) {
                batches.clear(); // the pass failed or stopped: what is left is not copied anyway
            }
        }
        for (Thread t : workers) {
            t.join();
        }
    }

    private void copy(KeyCopier copier, List<byte[]> keys) throws IOException {
        if (keys.isEmpty()) {
            return;
        }
        KeyCopier.CopyStats stats = copier.copy(keys);
        account(stats, keys.size());
    }

    /** Counts a copied batch and keeps to the budget; copy workers call it concurrently. */
    private synchronized void account(KeyCopier.CopyStats stats, int keys) {
        progress.add(stats);
        engine.totals().keysCopied.add(stats.keysCopied());
        engine.totals().bytesCopied.add(stats.bytesCopied());
        budget.pace(keys);
    }

    private boolean stopped() {
        return stop != Stop.NONE;
    }

    /**
     * Ownership stays here: the slots are routed by the snapshot again, and what this task copied to
     * the destination is deleted there (the destination does the same when it gets the cancel; this
     * pass also catches a batch that was in flight then).
     */
    private void abortTask() {
        if (state == State.ABORTED || state == State.FLIPPED || state == State.TRIMMING || state == State.DONE) {
            return;
        }
        boolean copied = state != State.RESOLVING && state != State.PRECHECK;
        boolean seeded = seed != null;
        enter(State.ABORTED);
        engine.totals().aborted.increment();
        engine.publish(this, null, null);
        if ((copied || seeded) && stop != Stop.SHUTDOWN) {
            try {
                if (links != null) {
                    cleanUpAfterAbort(links, seeded);
                } else {
                    try (Links fresh = Links.open(engine, id)) { // the task's own links were closed by a failure
                        cleanUpAfterAbort(fresh, seeded);
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.warn("event=migration_abort_cleanup_failed task=\"{}\" error=\"{}\"", id.infoLine("MIGRATING"),
                        e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * What an aborted task copied goes from the destination: a seed is dropped (its Redis follows the
     * source no more; its proxy deletes the rest, or does when the cancel reaches it), keys copied one by
     * one are deleted here.
     */
    private void cleanUpAfterAbort(Links with, boolean seeded) throws IOException, InterruptedException {
        if (seeded) {
            // as long as a seed may take to load: the destination's Redis must not be left following
            if (!dropSeed(with, settings.seedTimeoutMillis)) {
                log.warn("event=migration_abort_cleanup_failed task=\"{}\" error=\"the destination did not confirm "
                        + "the seed's drop; it drops it when the cancel reaches it\"", id.infoLine("MIGRATING"));
            }
        } else {
            cleanDestination(with);
        }
    }

    /** Whether {@code INFO keyspace} of the source says no key of database 0 has an expiry. */
    private static boolean noKeyExpires(RedisLink source) throws IOException {
        Object info = source.call("INFO", "keyspace");
        if (!(info instanceof byte[] text)) {
            return false;
        }
        for (String line : new String(text, java.nio.charset.StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.startsWith("db0:")) {
                return line.contains(",expires=0,");
            }
        }
        return true; // no db0 line: no keys at all
    }

    /** Deletes every key of the moving slots at the destination (never once it may have committed). */
    private void cleanDestination(Links with) throws IOException {
        SlotKeyScanner scanner = new SlotKeyScanner(with.destination(), id.slots(), settings.batchKeys);
        while (!scanner.done()) {
            List<byte[]> keys = scanner.next();
            if (!keys.isEmpty()) {
                Unlinks.unlink(with.destination(), keys);
            }
        }
    }

    private void enter(State next) {
        state = next;
    }

    private static void park(long millis) throws InterruptedException {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis)); // a retry interval, woken early by requestStop
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private boolean peerOk(Links links, String sub, long attemptNumber) throws IOException {
        return "+OK".equals(links.peer(sub, attemptNumber));
    }
}
