package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the keys of a set of slots held by the source Redis, by one pass of {@code SCAN} over its
 * whole keyspace: a plain Redis has no index by slot, so every key is looked at once and those of
 * other slots are dropped here. Scanning once for a whole batch of moving ranges, never once per
 * slot, is what keeps this affordable ({@code docs/migration-design.md}).
 *
 * <p>SCAN's guarantees carry over: every key present from the start to the end of the pass is listed
 * at least once; a key may be listed twice (copying it twice is harmless); a key added during the
 * pass may or may not be (the engine's dirty set has it). Keys under {@value #OWN_PREFIX} are the
 * proxy's own (bookkeeping, {@link KeyCopier#STAGING_PREFIX staging keys}) and are never listed.
 *
 * <p>A cluster-enabled source is listed slot by slot instead ({@link #nextBySlot}), found with
 * {@code INFO cluster} at the first call.
 *
 * <p>Not thread-safe; it uses the source link of one migration task.
 */
public final class SlotKeyScanner {

    /** The prefix of every key the proxy writes for itself. */
    public static final String OWN_PREFIX = "moonshard:";
    private static final byte[] OWN = OWN_PREFIX.getBytes(StandardCharsets.US_ASCII);
    /**
     * SCAN rounds after which {@link #next} returns the keys it has, even fewer than {@code scanCount}:
     * a few slots out of many are sparse in the keyspace, and the caller gets to copy (and to check
     * whether it should stop) every so often.
     */
    private static final int MAX_ROUNDS_WITH_KEYS = 16;

    private static final byte[] SCAN = "SCAN".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COUNT = "COUNT".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] CLUSTER = "CLUSTER".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COUNTKEYSINSLOT = "COUNTKEYSINSLOT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GETKEYSINSLOT = "GETKEYSINSLOT".getBytes(StandardCharsets.US_ASCII);

    /** Null until the first {@link #next}: whether the source is cluster-enabled, so it lists keys by slot. */
    private Boolean bySlot;
    private java.util.ArrayDeque<Integer> slotsLeft;
    private final RedisLink source;
    private final SlotSet slots;
    private final byte[] countArg;
    private final int scanCount;
    private byte[] cursor = {'0'};
    private boolean done;

    /** @param scanCount SCAN's COUNT hint, and the number of keys a {@link #next} aims for */
    public SlotKeyScanner(RedisLink source, SlotSet slots, int scanCount) {
        if (scanCount < 1) {
            throw new IllegalArgumentException("scanCount " + scanCount);
        }
        this.source = source;
        this.slots = slots;
        this.scanCount = scanCount;
        this.countArg = Integer.toString(scanCount).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The next keys of the slot set: runs SCAN rounds until it holds {@code scanCount} of them, or has
     * some and has run {@value #MAX_ROUNDS_WITH_KEYS} rounds, or the pass is over. It is empty only
     * when the pass is over ({@link #done()}), and then empty for good.
     */
    public List<byte[]> next() throws IOException {
        if (bySlot == null) {
            Object info = source.call("INFO", "cluster");
            bySlot = info instanceof byte[] text
                    && new String(text, StandardCharsets.US_ASCII).contains("cluster_enabled:1");
            slotsLeft = new java.util.ArrayDeque<>();
            if (bySlot) {
                for (var r : slots.ranges()) {
                    for (int slot = r.start(); slot <= r.end(); slot++) {
                        slotsLeft.add(slot);
                    }
                }
            }
        }
        return bySlot ? nextBySlot() : nextByScan();
    }

    /**
     * A cluster-enabled source (started with {@code cluster-enabled yes}, owning every slot) keeps an
     * index by slot: {@code CLUSTER COUNTKEYSINSLOT} and {@code GETKEYSINSLOT} list one slot's keys
     * without looking at any other key, so the pass costs the moving keys only, not every key the
     * source holds. Slots are asked 16 at a time, pipelined. One slot's keys come in one reply
     * (GETKEYSINSLOT has no cursor): a slot of a million keys (one hash tag) is one long command.
     */
    private List<byte[]> nextBySlot() throws IOException {
        List<byte[]> keys = new ArrayList<>();
        while (keys.size() < scanCount && !slotsLeft.isEmpty()) {
            List<Integer> batch = new ArrayList<>(16);
            while (batch.size() < 16 && !slotsLeft.isEmpty()) {
                batch.add(slotsLeft.poll());
            }
            for (int slot : batch) {
                source.send(CLUSTER, COUNTKEYSINSLOT, Integer.toString(slot).getBytes(StandardCharsets.US_ASCII));
            }
            long[] counts = new long[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                Object reply = source.read();
                if (!(reply instanceof Long n)) {
                    throw new IOException(source.address() + ": CLUSTER COUNTKEYSINSLOT answered " + reply);
                }
                counts[i] = n;
            }
            int asked = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (counts[i] > 0) {
                    source.send(CLUSTER, GETKEYSINSLOT, Integer.toString(batch.get(i)).getBytes(StandardCharsets.US_ASCII),
                            Long.toString(counts[i]).getBytes(StandardCharsets.US_ASCII));
                    asked++;
                }
            }
            for (int i = 0; i < asked; i++) {
                Object reply = source.read();
                if (!(reply instanceof List<?> list)) {
                    throw new IOException(source.address() + ": CLUSTER GETKEYSINSLOT answered " + reply);
                }
                for (Object item : list) {
                    byte[] key = (byte[]) item;
                    if (!isOwn(key)) {
                        keys.add(key);
                    }
                }
            }
        }
        if (slotsLeft.isEmpty()) {
            done = true;
        }
        return keys;
    }

    private List<byte[]> nextByScan() throws IOException {
        List<byte[]> keys = new ArrayList<>();
        int rounds = 0;
        while (!done && (keys.isEmpty() || (keys.size() < scanCount && rounds < MAX_ROUNDS_WITH_KEYS))) {
            Object reply = source.call(SCAN, cursor, COUNT, countArg);
            if (!(reply instanceof List<?> page) || page.size() != 2) {
                throw new IOException(source.address() + ": SCAN answered " + reply);
            }
            cursor = (byte[]) page.get(0);
            done = cursor.length == 1 && cursor[0] == '0';
            for (Object item : (List<?>) page.get(1)) {
                byte[] key = (byte[]) item;
                if (!isOwn(key) && slots.contains(SlotHash.slot(key))) {
                    keys.add(key);
                }
            }
            rounds++;
        }
        return keys;
    }

    /** Whether the pass is over: the cursor came back to 0. */
    public boolean done() {
        return done;
    }

    /** Whether {@code key} is one of the proxy's own ({@value #OWN_PREFIX}...). */
    public static boolean isOwn(byte[] key) {
        if (key.length < OWN.length) {
            return false;
        }
        for (int i = 0; i < OWN.length; i++) {
            if (key[i] != OWN[i]) {
                return false;
            }
        }
        return true;
    }
}
