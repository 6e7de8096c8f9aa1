package io.moonshard.cluster.umctl;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders the arguments after {@code UMCTL SETCLUSTER} for a snapshot: the inverse of {@link
 * SetClusterParser} ({@code parse(args(s))} gives back {@code s}'s name, epoch, local and peer maps and
 * config, with each address's stable ranges merged as the parser merges them).
 *
 * <p>The form is the one testkit's MigrationCoordinator and undermoon's coordinator send: {@code v2
 * <epoch> NOFLAGS|FORCE <name>}, then per local Redis its stable entry {@code <node> <n> <s-e>...}
 * (count 0 when it holds no stable slot) followed by one {@code <node> MIGRATING|IMPORTING <n> <s-e>...
 * <mig_epoch> <src_proxy> <src_node> <dst_proxy> <dst_node>} per tagged range set, then {@code PEER}
 * (always, even with no peer) and the peers the same way, then {@code CONFIG <field> <value>...} only
 * for the fields that differ from {@link ClusterConfig#DEFAULT} (the parser applies the defaults to
 * every field not sent). Ranges are always {@code start-end}: the parser refuses a bare slot.
 *
 * <p>Refuses (IllegalArgumentException) what the parser would refuse: a bad cluster name or address,
 * so a bug shows at the controller and never as a proxy's {@code InvalidArgs}.
 */
public final class SetClusterCommand {

    private SetClusterCommand() {
    }

    /** The arguments of {@code request}: its snapshot, FORCE when it says so. */
    public static List<String> args(SetClusterRequest request) {
        return args(request.snapshot(), request.force());
    }

    /** The arguments for {@code snapshot}, NOFLAGS. */
    public static List<String> args(ClusterSnapshot snapshot) {
        return args(snapshot, false);
    }

    public static List<String> args(ClusterSnapshot snapshot, boolean force) {
        List<String> out = new ArrayList<>();
        out.add("v2");
        out.add(Long.toString(requireEpoch(snapshot.epoch())));
        out.add(force ? "FORCE" : "NOFLAGS");
        out.add(name(snapshot.name()));
        entries(out, snapshot.local());
        out.add("PEER");
        entries(out, snapshot.peers());
        List<String> config = configFields(snapshot.config());
        if (!config.isEmpty()) {
            out.add("CONFIG");
            out.addAll(config);
        }
        return out;
    }

    /** Every address once: its merged stable ranges, then each tagged assignment in order. */
    private static void entries(List<String> out, Map<String, List<SlotAssignment>> byAddress) {
        for (Map.Entry<String, List<SlotAssignment>> e : byAddress.entrySet()) {
            String address = address(e.getKey());
            SlotSet stable = SlotSet.empty();
            for (SlotAssignment a : e.getValue()) {
                if (a.tag() == RangeTag.NONE) {
                    stable = stable.union(a.slots());
                }
            }
            out.add(address);
            ranges(out, stable);
            for (SlotAssignment a : e.getValue()) {
                if (a.tag() == RangeTag.NONE) {
                    continue;
                }
                out.add(address);
                out.add(a.tag().name());
                ranges(out, a.slots());
                meta(out, a.meta());
            }
        }
    }

    private static void ranges(List<String> out, SlotSet slots) {
        out.add(Integer.toString(slots.ranges().size()));
        for (SlotRange r : slots.ranges()) {
            out.add(r.start() + "-" + r.end());
        }
    }

    private static void meta(List<String> out, MigrationMeta meta) {
        out.add(Long.toString(requireEpoch(meta.epoch())));
        out.add(address(meta.srcProxy()));
        out.add(address(meta.srcNode()));
        out.add(address(meta.dstProxy()));
        out.add(address(meta.dstNode()));
    }

    /** {@code field value} pairs for the fields that are not the default, in the parser's names. */
    static List<String> configFields(ClusterConfig c) {
        ClusterConfig d = ClusterConfig.DEFAULT;
        List<String> out = new ArrayList<>();
        if (!c.compressionStrategy().equals(d.compressionStrategy())) {
            out.add("compression_strategy");
            out.add(c.compressionStrategy());
        }
        field(out, "migration_max_migration_time", c.migrationMaxMigrationTime(), d.migrationMaxMigrationTime());
        field(out, "migration_max_blocking_time", c.migrationMaxBlockingTime(), d.migrationMaxBlockingTime());
        field(out, "migration_scan_interval", c.migrationScanInterval(), d.migrationScanInterval());
        field(out, "migration_scan_count", c.migrationScanCount(), d.migrationScanCount());
        return out;
    }

    private static void field(List<String> out, String name, long value, long dflt) {
        if (value != dflt) {
            if (value < 0) {
                throw new IllegalArgumentException(name + " must not be negative: " + value);
            }
            out.add(name);
            out.add(Long.toString(value));
        }
    }

    static long requireEpoch(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("an epoch is unsigned: " + epoch);
        }
        return epoch;
    }

    static String address(String address) {
        if (address.chars().anyMatch(Character::isWhitespace)) {
            // one argument each; a space would split it in a redis-cli line
            throw new IllegalArgumentException("not a host:port address: '" + address + "'");
        }
        try {
            return SetClusterParser.validAddress(address);
        } catch (SetClusterParser.BadArgs e) {
            throw new IllegalArgumentException("not a valid host:port address for SETCLUSTER: '" + address + "'");
        }
    }

    private static String name(String name) {
        try {
            return SetClusterParser.validName(name);
        } catch (SetClusterParser.BadArgs e) {
            throw new IllegalArgumentException("not a valid cluster name for SETCLUSTER: '" + name + "'");
        }
    }
}
