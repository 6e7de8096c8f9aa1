package io.moonshard.testkit;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Plays undermoon's coordinator for one slot move at a time (spec §9.1, mgr-0.2), against proxies
 * given by address, each fronting one Redis. It keeps the stable layout (which node owns which
 * slots) and the epoch, and pushes every proxy a full {@code UMCTL SETCLUSTER v2} for each step:
 *
 * <ol>
 *   <li>{@link #startMove}: epoch e+1 with the moving ranges tagged {@code MIGRATING} at the source
 *       and {@code IMPORTING} at the destination (locally and as peers), pushed to the destination
 *       first, then the proxies not involved, then the source;</li>
 *   <li>{@link #awaitCommitted}: polls {@code UMCTL INFOMGR} on both sides until each lists the
 *       task;</li>
 *   <li>{@link #commit}: epoch e+2, the new stable layout, no tags, destination first, then source,
 *       then the rest; or {@link #cancel}: epoch e+2 with the old stable layout.</li>
 * </ol>
 *
 * <p>Entries with no stable slots are sent with the count 0 (SetClusterParser takes
 * {@code <address> 0}); a node with a tagged range and no stable slots gets both entries, as the
 * parser merges them. After a proxy restarted, {@link #repush(int)} pushes it the current metadata
 * again, as undermoon's coordinator does; {@link #progress(int)} reads {@code UMCTL INFOMGR PROGRESS}.
 * Not thread-safe: one test thread drives it.
 */
public final class MigrationCoordinator {

    /** One proxy and the one Redis behind it, as {@code host:port}. */
    public record Node(String proxy, String backend) {
        public int proxyPort() {
            return Integer.parseInt(proxy.substring(proxy.lastIndexOf(':') + 1));
        }

        public String proxyHost() {
            return proxy.substring(0, proxy.lastIndexOf(':'));
        }
    }

    /** A move in progress: node indexes, the normalised ranges, and the migration epoch. */
    public record Move(int from, int to, List<int[]> ranges, long epoch) {
    }

    /** What {@link #cancel()} did. */
    public enum CancelOutcome {
        /** The old layout was pushed before either side listed the task in INFOMGR. */
        CANCELLED,
        /**
         * A side already listed the task, so the move had happened and pushing the old layout would
         * strand its keys; the coordinator committed it instead, as undermoon's would.
         */
        COMMITTED_INSTEAD
    }

    private static final Duration POLL = Duration.ofMillis(25);

    private final String clusterName;
    private final List<Node> nodes;
    private final List<BitSet> owned = new ArrayList<>();
    private long epoch;
    private Move move;
    private final List<String> lastInfoMgr = new ArrayList<>();

    /**
     * @param epoch the epoch the proxies hold now; the next push uses epoch + 1
     */
    public MigrationCoordinator(String clusterName, long epoch, List<Node> nodes) {
        this.clusterName = clusterName;
        this.epoch = epoch;
        this.nodes = List.copyOf(nodes);
        for (int i = 0; i < nodes.size(); i++) {
            owned.add(new BitSet(16384));
            lastInfoMgr.add("(not polled)");
        }
    }

    // ---- layout ------------------------------------------------------------------------------

    /** Gives node {@code node} exactly these stable ranges (takes effect with {@link #pushLayout()}). */
    public void assign(int node, int[]... ranges) {
        requireNoMove();
        BitSet slots = toBits(List.of(ranges));
        for (int i = 0; i < owned.size(); i++) {
            if (i != node) {
                owned.get(i).andNot(slots);
            }
        }
        owned.set(node, slots);
    }

    /** Pushes the stable layout at a new epoch to every proxy, in node order. */
    public void pushLayout() {
        requireNoMove();
        epoch++;
        for (int i = 0; i < nodes.size(); i++) {
            push(i);
        }
    }

    public long epoch() {
        return epoch;
    }

    public Node node(int index) {
        return nodes.get(index);
    }

    public int size() {
        return nodes.size();
    }

    public Move currentMove() {
        return move;
    }

    /** The node whose stable layout holds {@code slot} (the source, while a move is open). */
    public int owner(int slot) {
        for (int i = 0; i < owned.size(); i++) {
            if (owned.get(i).get(slot)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no owner for slot " + slot);
    }

    /** Node {@code node}'s stable ranges, as {@code {start, end}}. */
    public List<int[]> ranges(int node) {
        return toRanges(owned.get(node));
    }

    // ---- the sequence ------------------------------------------------------------------------

    /**
     * Step 1: epoch e+1, {@code ranges} tagged MIGRATING at {@code from} and IMPORTING at {@code to},
     * pushed to {@code to} first, then every proxy not involved, then {@code from}. Every slot of
     * {@code ranges} must be {@code from}'s now.
     */
    public void startMove(int from, int to, int[]... ranges) {
        requireNoMove();
        if (from == to) {
            throw new IllegalArgumentException("a move needs two nodes");
        }
        BitSet moving = toBits(List.of(ranges));
        if (moving.isEmpty()) {
            throw new IllegalArgumentException("nothing to move");
        }
        BitSet notFrom = (BitSet) moving.clone();
        notFrom.andNot(owned.get(from));
        if (!notFrom.isEmpty()) {
            throw new IllegalArgumentException("slot " + notFrom.nextSetBit(0) + " is not node " + from + "'s");
        }
        epoch++;
        move = new Move(from, to, toRanges(moving), epoch);
        List<Integer> order = new ArrayList<>();
        order.add(to);
        for (int i = 0; i < nodes.size(); i++) {
            if (i != from && i != to) {
                order.add(i);
            }
        }
        order.add(from);
        for (int i : order) {
            push(i);
        }
    }

    /**
     * Step 2: polls INFOMGR on both sides every 25 ms until the source lists {@link #migratingLine()}
     * and the destination {@link #importingLine()}. On timeout, an AssertionError with the last
     * replies.
     */
    public void awaitCommitted(Duration timeout) {
        Move m = requireMove();
        try {
            await().pollDelay(Duration.ZERO).pollInterval(POLL).atMost(timeout)
                    .until(() -> listed(m.from(), migratingLine()) & listed(m.to(), importingLine()));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the move of " + rangesText(m.ranges()) + " from " + nodes.get(m.from()).proxy()
                    + " to " + nodes.get(m.to()).proxy() + " was not committed within " + timeout
                    + "; expected '" + migratingLine() + "' at the source and '" + importingLine()
                    + "' at the destination; last INFOMGR: source " + lastInfoMgr.get(m.from())
                    + ", destination " + lastInfoMgr.get(m.to()) + "; progress: source "
                    + progressText(m.from()) + ", destination " + progressText(m.to()));
        }
    }

    /** Step 3: epoch e+2, the moved ranges stable at the destination, destination first, then source, then the rest. */
    public void commit() {
        Move m = requireMove();
        BitSet moving = toBits(m.ranges());
        owned.get(m.from()).andNot(moving);
        owned.get(m.to()).or(moving);
        move = null;
        epoch++;
        pushInCommitOrder(m);
    }

    /**
     * Instead of step 3: if neither side lists the task in INFOMGR, epoch e+2 with the old stable
     * layout (no tags), destination first. If a side already lists it, the move is done and the
     * coordinator commits it instead.
     */
    public CancelOutcome cancel() {
        Move m = requireMove();
        if (listed(m.to(), importingLine()) || listed(m.from(), migratingLine())) {
            commit();
            return CancelOutcome.COMMITTED_INSTEAD;
        }
        move = null;
        epoch++;
        pushInCommitOrder(m);
        return CancelOutcome.CANCELLED;
    }

    private void pushInCommitOrder(Move m) {
        push(m.to());
        push(m.from());
        for (int i = 0; i < nodes.size(); i++) {
            if (i != m.from() && i != m.to()) {
                push(i);
            }
        }
    }

    /**
     * Pushes node {@code index} the metadata it should hold now (same epoch, same layout, the open
     * move's tags if any): what the coordinator does when it sees a proxy come back after a restart.
     */
    public void repush(int index) {
        push(index);
    }

    // ---- INFOMGR -----------------------------------------------------------------------------

    /** The INFOMGR line the source lists for the current move, undermoon's format (spec §2.3). */
    public String migratingLine() {
        return infoMgrLine("MIGRATING", requireMove());
    }

    /** The INFOMGR line the destination lists for the current move. */
    public String importingLine() {
        return infoMgrLine("IMPORTING", requireMove());
    }

    private String infoMgrLine(String tag, Move m) {
        return clusterName + " " + tag + " " + tagged(m);
    }

    /** {@code UMCTL INFOMGR} on node {@code node}, as the exact reply bytes. */
    public String infoMgrRaw(int node) {
        try (RawRedisClient client = connect(node)) {
            return client.call("UMCTL", "INFOMGR");
        }
    }

    /** {@code UMCTL INFOMGR <option>} on node {@code node} (e.g. PROGRESS), raw. */
    public String infoMgrRaw(int node, String option) {
        try (RawRedisClient client = connect(node)) {
            return client.call("UMCTL", "INFOMGR", option);
        }
    }

    /** {@code UMCTL INFOMGR} on node {@code node}: its lines (an array of bulk strings). */
    public List<String> infoMgr(int node) {
        return parseBulkArray(infoMgrRaw(node));
    }

    /** {@code UMCTL INFOMGR PROGRESS} on node {@code node}: one line per task with its state; empty when none. */
    public List<String> progress(int node) {
        return parseBulkArray(infoMgrRaw(node, "PROGRESS"));
    }

    /** INFOMGR PROGRESS on {@code node}, raw and escaped, or why it could not be read (a node may be down). */
    private String progressText(int node) {
        try {
            return infoMgrRaw(node, "PROGRESS").replace("\r\n", "\\r\\n");
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    /** Whether node {@code node} lists {@code line} in INFOMGR now (false when it cannot be reached). */
    public boolean lists(int node, String line) {
        return listed(node, line);
    }

    private boolean listed(int node, String line) {
        try {
            String raw = infoMgrRaw(node);
            lastInfoMgr.set(node, raw.replace("\r\n", "\\r\\n"));
            return parseBulkArray(raw).contains(line);
        } catch (RuntimeException e) {
            lastInfoMgr.set(node, e.toString());
            return false;
        }
    }

    /** Parses a RESP2 array of bulk strings, as RawRedisClient returns it. */
    public static List<String> parseBulkArray(String raw) {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        int[] pos = {0};
        String header = line(bytes, pos);
        if (!header.startsWith("*")) {
            throw new IllegalStateException("not an array: " + raw.replace("\r\n", "\\r\\n"));
        }
        int n = Integer.parseInt(header.substring(1));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String bulk = line(bytes, pos);
            if (!bulk.startsWith("$")) {
                throw new IllegalStateException("not a bulk string in " + raw.replace("\r\n", "\\r\\n"));
            }
            int len = Integer.parseInt(bulk.substring(1));
            out.add(new String(bytes, pos[0], len, StandardCharsets.UTF_8));
            pos[0] += len + 2;
        }
        if (pos[0] != bytes.length) {
            throw new IllegalStateException("trailing bytes after the array: " + raw.replace("\r\n", "\\r\\n"));
        }
        return out;
    }

    private static String line(byte[] bytes, int[] pos) {
        for (int i = pos[0]; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                String s = new String(bytes, pos[0], i - pos[0], StandardCharsets.ISO_8859_1);
                pos[0] = i + 2;
                return s;
            }
        }
        throw new IllegalStateException("no CRLF after offset " + pos[0]);
    }

    // ---- SETCLUSTER --------------------------------------------------------------------------

    /** The SETCLUSTER arguments node {@code index} gets now (current epoch, layout and move). */
    public List<String> setClusterArgs(int index) {
        return setClusterArgs(index, epoch, move);
    }

    /**
     * The SETCLUSTER arguments node {@code index} would get from {@link #startMove} of {@code ranges}
     * from {@code from} to {@code to}, without pushing anything or changing this coordinator: what other
     * renderers of the same sequence (the controller's) are checked against, byte for byte.
     */
    public List<String> startMoveArgs(int index, int from, int to, int[]... ranges) {
        requireNoMove();
        return setClusterArgs(index, epoch + 1, new Move(from, to, toRanges(toBits(List.of(ranges))), epoch + 1));
    }

    private List<String> setClusterArgs(int index, long epoch, Move move) {
        List<String> args = new ArrayList<>(List.of("UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAGS",
                clusterName));
        entries(args, index, nodes.get(index).backend(), move);
        args.add("PEER");
        for (int j = 0; j < nodes.size(); j++) {
            if (j != index) {
                entries(args, j, nodes.get(j).proxy(), move);
            }
        }
        return args;
    }

    /** Node {@code node}'s stable entry and, in a move, its tagged entry, under {@code address}. */
    private void entries(List<String> args, int node, String address, Move move) {
        BitSet stable = (BitSet) owned.get(node).clone();
        if (move != null && node == move.from()) {
            stable.andNot(toBits(move.ranges()));
        }
        List<int[]> ranges = toRanges(stable);
        args.add(address);
        args.add(Integer.toString(ranges.size()));
        for (int[] r : ranges) {
            args.add(r[0] + "-" + r[1]);
        }
        if (move != null && (node == move.from() || node == move.to())) {
            args.add(address);
            args.add(node == move.from() ? "MIGRATING" : "IMPORTING");
            args.addAll(List.of(tagged(move).split(" ")));
        }
    }

    /** {@code <k> <s-e>... <mig_epoch> <src_proxy> <src_node> <dst_proxy> <dst_node>}. */
    private String tagged(Move m) {
        return m.ranges().size() + " " + rangesText(m.ranges()) + " " + m.epoch() + " "
                + nodes.get(m.from()).proxy() + " " + nodes.get(m.from()).backend() + " "
                + nodes.get(m.to()).proxy() + " " + nodes.get(m.to()).backend();
    }

    private void push(int index) {
        List<String> args = setClusterArgs(index);
        String reply;
        try (RawRedisClient client = connect(index)) {
            reply = client.call(args.toArray(String[]::new));
        }
        if (!reply.equals("+OK\r\n")) {
            throw new IllegalStateException("SETCLUSTER on " + nodes.get(index).proxy() + " failed: "
                    + reply.trim() + " (sent: " + String.join(" ", args) + ")");
        }
    }

    private RawRedisClient connect(int index) {
        Node n = nodes.get(index);
        return new RawRedisClient(n.proxyHost(), n.proxyPort());
    }

    // ---- ranges ------------------------------------------------------------------------------

    public static String rangesText(List<int[]> ranges) {
        List<String> parts = new ArrayList<>();
        for (int[] r : ranges) {
            parts.add(r[0] + "-" + r[1]);
        }
        return String.join(" ", parts);
    }

    public static BitSet toBits(List<int[]> ranges) {
        BitSet bits = new BitSet(16384);
        for (int[] r : ranges) {
            int lo = Math.min(r[0], r[1]);
            int hi = Math.max(r[0], r[1]);
            if (lo < 0 || hi > 16383) {
                throw new IllegalArgumentException("slot range " + lo + "-" + hi + " is outside 0-16383");
            }
            bits.set(lo, hi + 1);
        }
        return bits;
    }

    /** Sorted, merged {@code {start, end}} ranges of {@code bits}. */
    public static List<int[]> toRanges(BitSet bits) {
        List<int[]> out = new ArrayList<>();
        for (int s = bits.nextSetBit(0); s >= 0; ) {
            int e = bits.nextClearBit(s) - 1;
            out.add(new int[] {s, e});
            s = bits.nextSetBit(e + 1);
        }
        return out;
    }

    private Move requireMove() {
        return Objects.requireNonNull(move, "no move in progress (startMove first)");
    }

    private void requireNoMove() {
        if (move != null) {
            throw new IllegalStateException("a move is in progress: commit() or cancel() it first");
        }
    }
}
