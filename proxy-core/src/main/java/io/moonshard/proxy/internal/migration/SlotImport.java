package io.moonshard.proxy.internal.migration;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.proxy.internal.route.MigrationGate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination side of one migration. The source proxy writes the keys straight into this
 * proxy's Redis; this side keeps them from its clients until it commits, and is the one place the
 * outcome of each fence attempt is decided, in a register in its own Redis ({@code HSETNX}: the first
 * of "commit" and "refuse" wins, for good, across restarts of this proxy).
 *
 * <pre>
 * CLEANING ─► STAGING ─► COMMITTED(attempt) ─(commit SETCLUSTER)─► OWNED [─► PURGING ─► OWNED]
 *                │  ▲ ▲           ▲
 *                │  │ └─ SEEDING ─┘ (promoted, attempt refused: STAGING)
 *                └──┴─(cancel, from any state before COMMITTED)──────────► DISCARDING ─► DISCARDED
 * </pre>
 * <ul>
 *   <li>CLEANING: keys of the moving slots left in this Redis by an earlier, unfinished move are
 *       deleted first, so none can come back to life at the commit.</li>
 *   <li>STAGING: clients are sent to the source ({@code MOVED}), ASKING or not.</li>
 *   <li>SEEDING: the source chose to seed this (empty) Redis by replication ({@code UMCTL MGRSEED
 *       START}): it becomes a replica of the source's Redis, holding <em>every</em> slot of it. Every
 *       slot it does not import is {@link MigrationGate.Verdict#FOREIGN} here (hidden, routed by the
 *       snapshot), and nothing is written to its Redis, which would refuse it: an attempt is refused
 *       without a record while it follows the source (it cannot have committed one). The source makes it
 *       a master again inside the fence, before it asks for the commit.</li>
 *   <li>COMMITTED: this proxy serves the slots; the source redirects to it. After a seed, the keys of
 *       the slots it does not import are deleted in the background, budgeted, and stay hidden until
 *       then (PURGING once the coordinator's commit has ended the task).</li>
 * </ul>
 * A seed's data is marked by the source's {@code seed} field, which arrives in this task's register
 * with the full sync: a proxy restarted after it keeps the keys (they are the source's copies of this
 * very task), hides and deletes the others; one restarted during it finds its Redis following the
 * source and goes on SEEDING.
 */
final class SlotImport extends MigrationTask {

    private static final Logger log = LoggerFactory.getLogger(SlotImport.class);
    /** How long a finished task's register outlives it: a source restarted late still learns the outcome. */
    private static final int REGISTER_TTL_SECONDS = 86_400;
    /** The source's register field that says its Redis seeded this one (it comes with the full sync). */
    static final String SEED_FIELD = "seed";
    /** Fields the source writes in its register, which a seed brings here: dropped once the seed is over. */
    private static final List<String> SOURCE_FIELDS = List.of(SEED_FIELD, "fence", "copying");
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    enum State { CLEANING, STAGING, SEEDING, COMMITTED, OWNED, PURGING, DISCARDING, DISCARDED }

    private volatile State state = State.CLEANING;
    private volatile long committedAttempt = -1;
    /** Its Redis follows (or may follow) the source's: it commits nothing, and records nothing. */
    private volatile boolean seeding;
    /** Its Redis holds the source's keys of slots this task does not import: hidden, to be deleted. */
    private volatile boolean seeded;
    /** The source gave the seed up ({@code MGRSEED DROP}): the thread deletes what it brought. */
    private volatile boolean dropRequested;
    /** Attempts refused while its Redis followed the source: recorded once it is a master again. */
    private final List<Long> refusedWhileFollowing = new ArrayList<>();
    /** The owner of the FOREIGN entries in the gate, apart from the task's own. */
    final Object foreignEntries = new Object();
    private final Budget budget;
    private SlotKeyScanner purge;
    private volatile Thread thread;

    SlotImport(MigrationTaskId id, MigrationEngine engine, MigrationSettings settings) {
        super(id, engine, settings);
        this.budget = new Budget(settings);
    }

    State state() {
        return state;
    }

    long committedAttempt() {
        return committedAttempt;
    }

    boolean seeded() {
        return seeded;
    }

    /** Every slot but this task's: what a seed brings that is not this task's. */
    SlotSet foreignSlots() {
        return SlotSet.of(new SlotRange(0, SlotHash.SLOT_COUNT - 1)).minus(id.slots());
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try (RedisLink redis = engine.connectBackend(id.meta().dstNode(), 10_000)) {
            engine.awaitTurn(this);
            if (ReplicationStatus.of(redis).replicates(id.meta().srcNode())) {
                // this proxy restarted during the task's seed: its Redis goes on following the source
                synchronized (this) {
                    seeding = true;
                    becomeSeeded();
                    enter(State.SEEDING);
                }
                log.info("event=import_seeding task=\"{}\" reason=\"its Redis follows the source\"", id.infoLine("IMPORTING"));
            } else {
                Map<String, String> register = register(redis);
                if (register.containsKey(SEED_FIELD)) {
                    synchronized (this) {
                        becomeSeeded(); // the source's copy of every slot: this task's keys stay, the others go
                    }
                }
                if (!recoverCommit(register)) {
                    if (!register.containsKey("staging")) {
                        if (!seeded) {
                            // first start: leftovers of an earlier, unfinished move go; after a restart of this
                            // proxy the keys here are the source's copies of this very task, and stay
                            clean(redis, true);
                        }
                        Registers.call(redis, "HSET", id.registerKey(), "staging", "1");
                    }
                    synchronized (this) {
                        if (state == State.CLEANING) {
                            enter(State.STAGING);
                        }
                    }
                }
            }
            while (stop == Stop.NONE) {
                if (!step(redis)) {
                    LockSupport.parkNanos(IDLE_NANOS); // woken by requestStop and by a drop request
                }
            }
            finish(redis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            log.error("event=import_failed task=\"{}\" state={}", id.infoLine("IMPORTING"), state, e);
        } finally {
            engine.finished(this);
        }
    }

    /** One piece of the task's background work; false when there is none now. */
    private boolean step(RedisLink redis) throws IOException {
        if (dropRequested) {
            dropSeed(redis, false);
            return true;
        }
        if (seeding) {
            // made a master by the source's fence? Asked without the lock, which the fence's FINALSWITCH needs
            if (holdsPromotedSeed(redis)) {
                synchronized (this) {
                    promotedIfMaster(redis);
                }
            }
            return false;
        }
        if (seeded) {
            return purgeSome(redis);
        }
        return false;
    }

    /** This task's register in the destination's database 1, field by field. */
    private Map<String, String> register(RedisLink redis) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (Registers.call(redis, "HGETALL", id.registerKey()) instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                out.put(new String((byte[]) list.get(i), StandardCharsets.US_ASCII),
                        new String((byte[]) list.get(i + 1), StandardCharsets.US_ASCII));
            }
        }
        return out;
    }

    /** A commit made before this proxy restarted still stands: serve at once. */
    private boolean recoverCommit(Map<String, String> register) {
        for (Map.Entry<String, String> e : register.entrySet()) {
            if (e.getKey().startsWith("attempt:") && e.getValue().equals("commit")) {
                synchronized (this) {
                    committed(Long.parseLong(e.getKey().substring("attempt:".length())));
                }
                return true;
            }
        }
        return false;
    }

    /** Deletes every key of the task's slots here; {@code untilStopped}: give up once the task is asked to stop. */
    private void clean(RedisLink redis, boolean untilStopped) throws IOException {
        SlotKeyScanner scanner = new SlotKeyScanner(redis, id.slots(), settings.batchKeys);
        while (!scanner.done() && !(untilStopped && stop != Stop.NONE)) {
            List<byte[]> keys = scanner.next();
            if (!keys.isEmpty()) {
                Unlinks.unlink(redis, keys);
                progress.keysDeleted += keys.size();
            }
        }
    }

    private void finish(RedisLink redis) throws IOException {
        boolean discard;
        synchronized (this) {
            if (stop == Stop.SHUTDOWN) {
                return;
            }
            if (state == State.COMMITTED) {
                if (stop == Stop.CANCELLED) {
                    log.error("event=import_cancel_after_commit task=\"{}\": this proxy committed attempt {} and "
                            + "may have served writes; its keys are kept", id.infoLine("IMPORTING"), committedAttempt);
                }
                enter(State.OWNED);
                discard = false;
            } else {
                enter(State.DISCARDING); // refuses every later attempt
                discard = true;
            }
        }
        engine.publish(this, null, null);
        if (discard) {
            if (seeded || seeding) {
                dropSeed(redis, true);
            } else {
                clean(redis, false);
            }
            enter(State.DISCARDED);
        } else if (seeded) {
            enter(State.PURGING); // the slots are this proxy's now; the source's other keys still go
            while (seeded && stop != Stop.SHUTDOWN) {
                purgeSome(redis);
            }
            if (stop == Stop.SHUTDOWN) {
                return;
            }
            enter(State.OWNED);
        }
        Registers.call(redis, "EXPIRE", id.registerKey(), Integer.toString(REGISTER_TTL_SECONDS));
    }

    // ---- the seed -------------------------------------------------------------------------------

    /** Hides every slot but this task's, and makes later tasks of this proxy wait until they are gone. Locked. */
    private void becomeSeeded() {
        if (!seeded) {
            seeded = true;
            engine.seeded(this, true);
        }
    }

    /**
     * {@code UMCTL MGRSEED START}: the source asks to seed this Redis by replication. Agreed only while
     * staging an empty Redis, with no stable slot and no other task on this proxy ({@link
     * MigrationEngine#seedRefusal}); from the answer on nothing here writes to the Redis until it is a
     * master again. Peer thread.
     */
    synchronized String seedStart(RedisLink redis) throws IOException {
        if (state == State.SEEDING) {
            return "+OK"; // the same request again (the source's answer was lost)
        }
        if (state != State.STAGING || dropRequested) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        if (seeded) {
            return "-SEED_REFUSED this Redis holds a seed of this task already";
        }
        String why = engine.seedRefusal(this, redis);
        if (why != null) {
            return "-SEED_REFUSED " + why;
        }
        seeding = true;
        becomeSeeded();
        enter(State.SEEDING);
        log.info("event=import_seeding task=\"{}\"", id.infoLine("IMPORTING"));
        return "+OK";
    }

    /**
     * {@code UMCTL MGRSEED DROP}: the source gave the seed up before any commit (it aborts, or restarted
     * and starts over). This task's thread stops the Redis following the source and deletes what it
     * brought; {@code +OK} once that is done, {@code -SEED_DROPPING} until then. Peer thread.
     */
    synchronized String seedDrop() {
        if (state == State.COMMITTED || state == State.OWNED || state == State.PURGING) {
            return "-ALREADY_COMMITTED";
        }
        if (state == State.CLEANING) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        if (!seeded && !seeding && !dropRequested) {
            return "+OK";
        }
        if (state != State.DISCARDING) {
            dropRequested = true;
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        return "-SEED_DROPPING";
    }

    /**
     * Deletes what a seed brought: its Redis stops following the source; then, when this Redis serves
     * nothing else (the proxy owns no stable slot on it and runs no other task), {@code FLUSHDB ASYNC}
     * (it was empty before the seed), else every key of the task's slots and the foreign ones; then the
     * registers the seed brought. {@code discarding}: the task ends (a cancel), else it stages again.
     */
    private void dropSeed(RedisLink redis, boolean discarding) throws IOException {
        if (!ReplicaSeed.stopFollowing(redis, id.meta().srcNode(), () -> stop == Stop.SHUTDOWN)) {
            return; // shutting down during the load: a restarted proxy finds its Redis following, and goes on
        }
        synchronized (this) {
            seeding = false;
            if (discarding) {
                refusedWhileFollowing.clear(); // the task refuses every attempt from now on anyway
            }
        }
        if (engine.servesNothingElse(this)) {
            Object flushed = redis.call("FLUSHDB", "ASYNC");
            if (!"OK".equals(flushed)) {
                throw new IOException(redis.address() + ": FLUSHDB ASYNC answered " + flushed);
            }
        } else {
            clean(redis, false);
            SlotKeyScanner scanner = new SlotKeyScanner(redis, foreignSlots(), settings.batchKeys);
            while (!scanner.done()) {
                unlinkForeign(redis, scanner.next());
            }
        }
        tidyRegisters(redis);
        if (!discarding) {
            Registers.call(redis, "HSET", id.registerKey(), "staging", "1");
        }
        synchronized (this) {
            recordRefusals(redis);
            purge = null;
            seeded = false;
            dropRequested = false;
            engine.seeded(this, false);
            if (state == State.SEEDING) {
                enter(State.STAGING);
            }
        }
        log.info("event=import_seed_dropped task=\"{}\" state={}", id.infoLine("IMPORTING"), state);
    }

    /**
     * While seeding: when its Redis answers as a master (the source's fence promoted it), the seed is
     * over: the refusals given meanwhile are recorded, and this task stages (or commits) as usual.
     * Locked.
     *
     * @return whether its Redis is a master now
     */
    private boolean promotedIfMaster(RedisLink redis) throws IOException {
        if (!seeding) {
            return true;
        }
        if (!holdsPromotedSeed(redis)) {
            return false;
        }
        seeding = false;
        recordRefusals(redis);
        if (state == State.SEEDING) {
            enter(State.STAGING);
        }
        log.info("event=import_seed_promoted task=\"{}\"", id.infoLine("IMPORTING"));
        return true;
    }

    /**
     * Whether its Redis is a master that holds this task's seed, in one round trip ({@code INFO
     * replication} and {@code HEXISTS} of the seed's mark in database 1, pipelined). A master before the
     * source's REPLICAOF reached it is not a promoted one: the mark (the source writes it before the
     * REPLICAOF, and it arrives with the full sync) tells them apart.
     */
    private boolean holdsPromotedSeed(RedisLink redis) throws IOException {
        redis.send(bytes("INFO"), bytes("replication"));
        redis.send(bytes("SELECT"), bytes(Registers.DATABASE));
        redis.send(bytes("HEXISTS"), bytes(id.registerKey()), bytes(SEED_FIELD));
        redis.send(bytes("SELECT"), bytes("0"));
        Object info = redis.read();
        redis.read();
        Object marked = redis.read();
        redis.read();
        return info instanceof byte[] text && ReplicationStatus.parse(new String(text, StandardCharsets.UTF_8)).master()
                && Long.valueOf(1).equals(marked);
    }

    /** The attempts refused while its Redis followed the source, recorded as refused. Locked. */
    private void recordRefusals(RedisLink redis) throws IOException {
        for (long attempt : refusedWhileFollowing) {
            decide(redis, id.registerKey(), attempt, "refuse");
        }
        refusedWhileFollowing.clear();
    }

    /**
     * One budgeted batch of the foreign keys' deletion (keys of slots neither this task's nor owned by
     * this proxy now); once the pass is over, the seed's registers go and the slots are shown again.
     *
     * @return whether there was a batch
     */
    private boolean purgeSome(RedisLink redis) throws IOException {
        if (purge == null) {
            purge = new SlotKeyScanner(redis, foreignSlots(), settings.batchKeys);
        }
        if (!purge.done() && !foreignSlots().isEmpty()) { // every slot imported: nothing to look for
            unlinkForeign(redis, purge.next());
            return true;
        }
        tidyRegisters(redis);
        synchronized (this) {
            purge = null;
            seeded = false;
            engine.seeded(this, false);
        }
        log.info("event=import_purged task=\"{}\" foreign_keys_deleted={}", id.infoLine("IMPORTING"),
                progress.foreignKeysDeleted);
        return false;
    }

    private void unlinkForeign(RedisLink redis, List<byte[]> keys) throws IOException {
        var snapshot = engine.snapshot();
        List<byte[]> foreign = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            if (snapshot.localOwner(SlotHash.slot(key)) == null) { // a slot this proxy came to own stays
                foreign.add(key);
            }
        }
        if (!foreign.isEmpty()) {
            Unlinks.unlink(redis, foreign);
            progress.foreignKeysDeleted += foreign.size();
            budget.pace(foreign.size());
        }
    }

    /**
     * The registers a seed brought go: the source's fields of this task's register, and every other
     * register that holds no attempt's outcome (those of the source's own tasks). This Redis's earlier
     * registers were replaced by the full sync; no other task of this proxy has written any since (the
     * seed's rule, and later tasks waited for this one).
     */
    private void tidyRegisters(RedisLink redis) throws IOException {
        List<Object> hdel = new ArrayList<>(List.of("HDEL", id.registerKey()));
        hdel.addAll(SOURCE_FIELDS);
        Registers.call(redis, hdel.toArray());
        if (!(Registers.call(redis, "KEYS", "moonshard:migration:*") instanceof List<?> keys)) {
            return;
        }
        for (Object item : keys) {
            String key = new String((byte[]) item, StandardCharsets.UTF_8);
            if (key.equals(id.registerKey())) {
                continue;
            }
            boolean outcomes = Registers.call(redis, "HKEYS", key) instanceof List<?> fields
                    && fields.stream().anyMatch(f -> new String((byte[]) f, StandardCharsets.UTF_8).startsWith("attempt:"));
            if (!outcomes) {
                Registers.call(redis, "DEL", key);
            }
        }
    }

    // ---- the handshake ----------------------------------------------------------------------------

    /** {@code UMCTL PRECHECK}: ready once the leftovers of earlier moves are gone. */
    String precheck() {
        State now = state;
        return now == State.STAGING || now == State.SEEDING || now == State.COMMITTED ? "+OK" : "-NOT_READY_FOR_SWITCHING";
    }

    /** {@code UMCTL FINALSWITCH ... ATTEMPT k}: commit attempt k unless it was refused before. Peer thread. */
    synchronized String finalSwitch(long attempt, RedisLink redis) throws IOException {
        switchStartNanos = System.nanoTime();
        if (state == State.CLEANING || dropRequested) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        if (state != State.STAGING && state != State.SEEDING && state != State.COMMITTED) {
            // discarding: the attempt is refused for good, unless it was committed before
            return decide(redis, id.registerKey(), attempt, "refuse").equals("commit") ? "+OK" : "-ATTEMPT_REFUSED";
        }
        if (!promotedIfMaster(redis)) {
            // its Redis still follows the source, which promotes it before it asks: not this attempt
            return "-NOT_READY_FOR_SWITCHING";
        }
        String decided = decide(redis, id.registerKey(), attempt, "commit");
        if (!decided.equals("commit")) {
            return "-ATTEMPT_REFUSED";
        }
        if (state == State.STAGING) {
            committed(attempt);
        }
        return "+OK";
    }

    /**
     * {@code UMCTL MGRABORT ... ATTEMPT k}: refuse attempt k unless it was committed. While its Redis
     * follows the source, a refusal cannot be recorded there (a replica takes no writes), and none is
     * needed to be sure: a replica has committed nothing, and the source promotes it only inside a later
     * fence; it is recorded once its Redis is a master again. Peer thread.
     */
    synchronized String abortAttempt(long attempt, RedisLink redis) throws IOException {
        String standing = decide(redis, id.registerKey(), attempt, "refuse");
        if (standing.isEmpty() && ReplicationStatus.of(redis).replicates(id.meta().srcNode())) {
            refusedWhileFollowing.add(attempt);
            return "+OK";
        }
        return MigrationEngine.abortAnswer(standing);
    }

    /**
     * Records {@code wanted} ("commit" or "refuse") for attempt k in the register at {@code redis}
     * unless something was recorded for it already; returns what stands ("" when Redis failed).
     */
    static String decide(RedisLink redis, String registerKey, long attempt, String wanted) throws IOException {
        String field = "attempt:" + attempt;
        redis.send(bytes("SELECT"), bytes(Registers.DATABASE));
        redis.send(bytes("HSETNX"), bytes(registerKey), bytes(field), bytes(wanted));
        redis.send(bytes("HGET"), bytes(registerKey), bytes(field));
        redis.send(bytes("SELECT"), bytes("0"));
        redis.read();
        redis.read();
        Object standing = redis.read();
        redis.read();
        return standing instanceof byte[] value ? new String(value, StandardCharsets.US_ASCII) : "";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void committed(long attempt) {
        committedAttempt = attempt;
        engine.publish(this, MigrationGate.Verdict.SERVE_IMPORTED, id.meta().dstNode());
        enter(State.COMMITTED);
        boolean withSeed = seeded;
        // 0 for a commit recovered from the register at a restart, not answered to a FINALSWITCH
        long switchMicros = switchStartNanos == 0 ? 0 : (System.nanoTime() - switchStartNanos) / 1_000;
        // after the answer: the fence waits for it; CLUSTER replies and the log line need not
        engine.afterAnswer(() -> {
            engine.handedOver(id);
            log.info("event=import_committed task=\"{}\" attempt={} seeded={} finalswitch_us={}",
                    id.infoLine("IMPORTING"), attempt, withSeed, switchMicros);
        });
    }

    /** When the last FINALSWITCH came in (System.nanoTime), for the commit's log line; 0 before any. */
    private long switchStartNanos;

    private void enter(State next) {
        state = next;
    }
}
