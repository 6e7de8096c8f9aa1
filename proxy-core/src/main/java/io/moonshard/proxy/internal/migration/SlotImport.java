package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.proxy.internal.route.MigrationGate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * CLEANING ─► STAGING ─► COMMITTED(attempt) ─(commit SETCLUSTER)─► OWNED
 *                │                │
 *                └─(cancel)───────┴──────────────────────────────► DISCARDING ─► DISCARDED
 * </pre>
 * <ul>
 *   <li>CLEANING: keys of the moving slots left in this Redis by an earlier, unfinished move are
 *       deleted first, so none can come back to life at the commit.</li>
 *   <li>STAGING: clients are sent to the source ({@code MOVED}), ASKING or not.</li>
 *   <li>COMMITTED: this proxy serves the slots; the source redirects to it.</li>
 * </ul>
 */
final class SlotImport extends MigrationTask {

    private static final Logger log = LoggerFactory.getLogger(SlotImport.class);
    /** How long a finished task's register outlives it: a source restarted late still learns the outcome. */
    private static final int REGISTER_TTL_SECONDS = 86_400;

    enum State { CLEANING, STAGING, COMMITTED, OWNED, DISCARDING, DISCARDED }

    private volatile State state = State.CLEANING;
    private volatile long committedAttempt = -1;

    SlotImport(MigrationTaskId id, MigrationEngine engine, MigrationSettings settings) {
        super(id, engine, settings);
    }

    State state() {
        return state;
    }

    long committedAttempt() {
        return committedAttempt;
    }

    @Override
    public void run() {
        try (RedisLink redis = engine.connectBackend(id.meta().dstNode(), 10_000)) {
            engine.awaitTurn(this);
            Map<String, String> register = register(redis);
            if (!recoverCommit(register)) {
                if (!register.containsKey("staging")) {
                    // first start: leftovers of an earlier, unfinished move go; after a restart of this
                    // proxy the keys here are the source's copies of this very task, and stay
                    clean(redis, true);
                    Registers.call(redis, "HSET", id.registerKey(), "staging", "1");
                }
                synchronized (this) {
                    if (state == State.CLEANING) {
                        enter(State.STAGING);
                    }
                }
            }
            while (stop == Stop.NONE) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // woken by requestStop
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
            clean(redis, false);
            enter(State.DISCARDED);
        }
        Registers.call(redis, "EXPIRE", id.registerKey(), Integer.toString(REGISTER_TTL_SECONDS));
    }

    /** {@code UMCTL PRECHECK}: ready once the leftovers of earlier moves are gone. */
    String precheck() {
        State now = state;
        return now == State.STAGING || now == State.COMMITTED ? "+OK" : "-NOT_READY_FOR_SWITCHING";
    }

    /** {@code UMCTL FINALSWITCH ... ATTEMPT k}: commit attempt k unless it was refused before. Peer thread. */
    synchronized String finalSwitch(long attempt, RedisLink redis) throws IOException {
        if (state == State.CLEANING) {
            return "-NOT_READY_FOR_SWITCHING";
        }
        if (state != State.STAGING && state != State.COMMITTED) {
            // discarding: the attempt is refused for good, unless it was committed before
            return decide(redis, id.registerKey(), attempt, "refuse").equals("commit") ? "+OK" : "-ATTEMPT_REFUSED";
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
        engine.handedOverSoon(id); // after the answer: the fence waits for it, CLUSTER replies need not
        log.info("event=import_committed task=\"{}\" attempt={}", id.infoLine("IMPORTING"), attempt);
    }

    private void enter(State next) {
        state = next;
    }
}
