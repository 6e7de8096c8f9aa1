package io.moonshard.controller;

import io.moonshard.resp.RespParser;
import io.moonshard.resp.RespValue;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the proxies' CLUSTER SHARDS replies may show while a scale moves slots, checked sample by
 * sample (one proxy's reply at one moment). Pure: it is fed replies, it asks nobody.
 *
 * <p>What a proxy legitimately shows for a slot that moves from shard {@code a} to shard {@code b}
 * (testkit and the proxy's {@code ClusterSnapshot}: the shown owner is the source until the commit):
 * <ul>
 *   <li>before its move is tagged, while it is tagged and copied, and up to the flip: {@code a}'s
 *       master, at every proxy (an {@code IMPORTING} entry is never shown, a {@code MIGRATING} one is);</li>
 *   <li>from the flip (at the source) or the destination's commit (at the destination) on: {@code b}'s
 *       master at those two proxies, which show the move as handed over until the commit SETCLUSTER
 *       reaches them; every other proxy still shows {@code a}'s master until the commit SETCLUSTER
 *       reaches it, and the controller pushes that one proxy after another;</li>
 *   <li>from its commit SETCLUSTER on: {@code b}'s master, at every proxy.</li>
 * </ul>
 * So two proxies may disagree about a moving slot, and only that way: one still says the old owner,
 * the other already the new one. "All proxies agree" holds only once the scale settled
 * ({@link ControllerTestbed#slotProblems}, checked after it). Within one reply, though, there is no
 * transient at all: a reply is rendered from one snapshot in which every slot has exactly one shown
 * owner, and the handover changes a slot's owner in one step.
 *
 * <p>Hence, per sample:
 * <ol>
 *   <li>every slot 0-16383 has exactly one owner in the reply: never none, never two;</li>
 *   <li>a slot's owner is its owner before the scale, or else one single other proxy for that slot
 *       over all samples of all proxies, which must be its owner once the scale settled (checked by
 *       {@link #problems(String[])}): no third owner ever shows, e.g. a move re-planned elsewhere by
 *       the new leader, or a slot shown at a shard that never got it;</li>
 *   <li>each proxy's view only moves forward: once it showed a slot at its new owner it never shows
 *       it at the old one again (a proxy never takes an older epoch, and keeps showing a handed-over
 *       move until the SETCLUSTER that commits it). A move cancelled after its flip, or a commit lost
 *       and re-done, would show here.</li>
 * </ol>
 * The one exception to (1): a proxy that has shown no slot at all since the watch began has no metadata
 * of the cluster yet (a free proxy before the scale's first SETCLUSTER reaches it; it owns nothing,
 * and no client is sent to it) and is skipped; once a proxy has shown slots, a reply without any is a
 * problem. This relies on a slot moving at most once per watch, which is what the plans here do
 * (2 to 4 shards: each new shard takes the top half of one old shard; 4 to 2: the reverse).
 */
final class SlotOwnershipWatch {

    static final int SLOTS = 16384;
    private static final int KEPT = 20;

    /** A range of slots and the proxy that one reply shows owning it (the master of its shard). */
    record Owned(int from, int to, String owner) {
    }

    private final String[] before;
    /** Per slot: the one owner other than {@link #before} that any proxy showed, or null. */
    private final String[] other = new String[SLOTS];
    /** Per proxy: the slots it has shown at their new owner. */
    private final Map<String, BitSet> moved = new HashMap<>();
    private final Set<String> configured = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private int problemCount;
    private int samples;
    private int skipped;

    /** @param before each slot's owner (a proxy address) in the settled layout before the scale */
    SlotOwnershipWatch(String[] before) {
        if (before.length != SLOTS) {
            throw new IllegalArgumentException("an owner for each of the " + SLOTS + " slots");
        }
        for (int s = 0; s < SLOTS; s++) {
            if (before[s] == null) {
                throw new IllegalArgumentException("slot " + s + " has no owner before the scale");
            }
        }
        this.before = before.clone();
    }

    /** One proxy's reply, as the ranges it shows with their owners (in any order, overlapping if it says so). */
    synchronized void observe(String proxy, List<Owned> shown) {
        samples++;
        String[] owner = new String[SLOTS];
        int[] count = new int[SLOTS];
        boolean any = false;
        for (Owned o : shown) {
            for (int s = o.from(); s <= o.to(); s++) {
                count[s]++;
                owner[s] = o.owner();
                any = true;
            }
        }
        if (!any && !configured.contains(proxy)) {
            skipped++;
            return;
        }
        configured.add(proxy);
        BitSet forward = moved.computeIfAbsent(proxy, k -> new BitSet(SLOTS));
        Tally none = new Tally();
        Tally twice = new Tally();
        Tally third = new Tally();
        Tally back = new Tally();
        for (int s = 0; s < SLOTS; s++) {
            if (count[s] == 0) {
                none.add(s);
                continue;
            }
            if (count[s] > 1) {
                twice.add(s);
                continue;
            }
            if (owner[s].equals(before[s])) {
                if (forward.get(s)) {
                    back.add(s);
                }
            } else if (other[s] == null || other[s].equals(owner[s])) {
                other[s] = owner[s];
                forward.set(s);
            } else {
                third.add(s);
            }
        }
        none.report(proxy + " shows no owner for", "");
        twice.report(proxy + " shows two owners for", "");
        third.report(proxy + " shows a third owner for", " (neither the owner before the scale nor the one shown elsewhere)");
        back.report(proxy + " shows at their old owner again", " (after it had shown them moved)");
    }

    /** Every problem seen, plus the slots shown at a new owner that is not their owner once settled. */
    synchronized List<String> problems(String[] after) {
        List<String> out = new ArrayList<>(problems);
        if (problemCount > problems.size()) {
            out.add("... " + (problemCount - problems.size()) + " more");
        }
        Tally wrong = new Tally();
        for (int s = 0; s < SLOTS; s++) {
            if (other[s] != null && !other[s].equals(after[s])) {
                wrong.add(s);
            }
        }
        if (wrong.count > 0) {
            out.add("slots shown at a new owner that does not own them once settled: " + wrong.count + ", first "
                    + wrong.first + " shown at " + other[wrong.first] + ", settled at " + after[wrong.first]);
        }
        return out;
    }

    synchronized int samples() {
        return samples;
    }

    /** Replies of proxies without the cluster's metadata yet (no slot shown), not checked. */
    synchronized int skipped() {
        return skipped;
    }

    /** The slots that some proxy showed at a new owner. */
    synchronized int slotsSeenMoving() {
        int n = 0;
        for (String o : other) {
            n += o == null ? 0 : 1;
        }
        return n;
    }

    private void problem(String what) {
        problemCount++;
        if (problems.size() < KEPT) {
            problems.add(what);
        }
    }

    /** The slots of one kind of problem in one sample: one line per kind and sample, not one per slot. */
    private final class Tally {
        int count;
        int first = -1;

        void add(int slot) {
            if (count++ == 0) {
                first = slot;
            }
        }

        void report(String prefix, String suffix) {
            if (count > 0) {
                problem(prefix + " " + count + " slot(s), first " + first + suffix);
            }
        }
    }

    // ---- reading CLUSTER SHARDS ----

    /**
     * The owned ranges of a raw RESP2 {@code CLUSTER SHARDS} reply (as {@code RawRedisClient} returns it):
     * each shard's {@code slots} pairs, owned by the {@code ip:port} of its node whose role is master.
     */
    static List<Owned> parseClusterShards(String raw) {
        if (!(RespParser.parse(raw) instanceof RespValue.ArrayValue shards)) {
            throw new IllegalArgumentException("CLUSTER SHARDS answered " + raw.trim());
        }
        List<Owned> out = new ArrayList<>();
        for (RespValue shard : shards.elements()) {
            Map<String, RespValue> fields = pairs(shard);
            String master = null;
            for (RespValue node : ((RespValue.ArrayValue) fields.get("nodes")).elements()) {
                Map<String, RespValue> n = pairs(node);
                if ("master".equals(text(n.get("role")))) {
                    master = text(n.get("ip")) + ":" + ((RespValue.IntegerValue) n.get("port")).value();
                }
            }
            List<RespValue> slots = ((RespValue.ArrayValue) fields.get("slots")).elements();
            if (master == null && !slots.isEmpty()) {
                throw new IllegalArgumentException("a shard with slots and no master: " + raw.trim());
            }
            for (int i = 0; i + 1 < slots.size(); i += 2) {
                out.add(new Owned((int) ((RespValue.IntegerValue) slots.get(i)).value(),
                        (int) ((RespValue.IntegerValue) slots.get(i + 1)).value(), master));
            }
        }
        return out;
    }

    /** A RESP2 array of name, value, name, value ... as a map by name. */
    private static Map<String, RespValue> pairs(RespValue array) {
        List<RespValue> list = ((RespValue.ArrayValue) array).elements();
        Map<String, RespValue> out = new HashMap<>();
        for (int i = 0; i + 1 < list.size(); i += 2) {
            out.put(text(list.get(i)), list.get(i + 1));
        }
        return out;
    }

    private static String text(RespValue v) {
        if (v instanceof RespValue.BulkString b) {
            return new String(b.bytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (v instanceof RespValue.SimpleString ss) {
            return ss.value();
        }
        throw new IllegalArgumentException("not a string: " + v);
    }
}
