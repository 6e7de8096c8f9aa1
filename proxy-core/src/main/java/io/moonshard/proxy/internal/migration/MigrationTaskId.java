package io.moonshard.proxy.internal.migration;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.MigrationMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * What names one migration, as undermoon does: the cluster, the moving ranges and the six fields of
 * their tag (the migration epoch, both proxies and both nodes). A SETCLUSTER that repeats it keeps the
 * task running; one that changes any part of it ends the task and starts another.
 */
public record MigrationTaskId(String cluster, SlotSet slots, MigrationMeta meta) {

    /** The protocol version undermoon's proxies check in every switch command. */
    public static final String VERSION = "mgr-0.2";

    /** {@code <n> <s-e>... <epoch> <src_proxy> <src_node> <dst_proxy> <dst_node>}, the tail of INFOMGR lines. */
    public String rangesAndMeta() {
        StringBuilder sb = new StringBuilder().append(slots.ranges().size());
        for (SlotRange r : slots.ranges()) {
            sb.append(' ').append(r.start()).append('-').append(r.end());
        }
        return sb.append(' ').append(meta.epoch()).append(' ').append(meta.srcProxy()).append(' ')
                .append(meta.srcNode()).append(' ').append(meta.dstProxy()).append(' ').append(meta.dstNode())
                .toString();
    }

    /** undermoon's INFOMGR line for this task, from the {@code side} ("MIGRATING" or "IMPORTING"). */
    public String infoLine(String side) {
        return cluster + ' ' + side + ' ' + rangesAndMeta();
    }

    /** The arguments after {@code UMCTL <SUB>} of a switch command: {@code mgr-0.2 <cluster> MIGRATING ...}. */
    public List<String> switchArgs() {
        List<String> args = new ArrayList<>();
        args.add(VERSION);
        args.add(cluster);
        args.add("MIGRATING");
        args.addAll(List.of(rangesAndMeta().split(" ")));
        return args;
    }

    /**
     * Where both sides keep the outcome of each fence attempt, in their own Redis (a hash): it outlives
     * a proxy restart, so a restarted proxy knows what it promised.
     */
    public String registerKey() {
        return "moonshard:migration:" + cluster + ':' + meta.epoch() + ':' + slots;
    }

    /** The ranges as {start, end} pairs, for the gate's table. */
    public List<int[]> rangePairs() {
        List<int[]> out = new ArrayList<>();
        for (SlotRange r : slots.ranges()) {
            out.add(new int[] {r.start(), r.end()});
        }
        return out;
    }

    /**
     * Parses the arguments of a switch command (after the subcommand): {@code mgr-0.2 <cluster>
     * MIGRATING <n> <s-e>... <epoch> <src_proxy> <src_node> <dst_proxy> <dst_node> [ATTEMPT <k>]}.
     *
     * @throws IllegalArgumentException with undermoon's error text
     */
    public static Parsed parseSwitch(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals(VERSION)) {
            throw new IllegalArgumentException("switch failed: IncompatibleVersion");
        }
        try {
            String cluster = args.get(1);
            String tag = args.get(2);
            if (!tag.equalsIgnoreCase("MIGRATING")) {
                throw new IllegalArgumentException("Invalid Arg");
            }
            int n = Integer.parseInt(args.get(3));
            List<SlotRange> ranges = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ranges.add(SlotRange.parse(args.get(4 + i)));
            }
            int at = 4 + n;
            MigrationMeta meta = new MigrationMeta(Long.parseLong(args.get(at)), args.get(at + 1), args.get(at + 2),
                    args.get(at + 3), args.get(at + 4));
            at += 5;
            long attempt = -1;
            if (args.size() == at + 2 && args.get(at).equalsIgnoreCase("ATTEMPT")) {
                attempt = Long.parseLong(args.get(at + 1));
            } else if (args.size() != at) {
                throw new IllegalArgumentException("failed to parse migration switch arguments");
            }
            return new Parsed(new MigrationTaskId(cluster, SlotSet.of(ranges), meta), attempt);
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("failed to parse migration switch arguments");
        }
    }

    /** A parsed switch command: the task and the fence attempt it is about (-1 when it names none). */
    public record Parsed(MigrationTaskId id, long attempt) {
    }
}
