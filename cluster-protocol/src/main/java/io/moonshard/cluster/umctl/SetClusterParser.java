package io.moonshard.cluster.umctl;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses {@code UMCTL SETCLUSTER v2 <epoch> <flags> <name> <local...> [PEER <peer...>] [CONFIG
 * <field> <value>...]} and its {@code COMPRESS} form, byte-compatible with undermoon's server proxy
 * (grammar and replies: undermoon-proxy-spec §2.1). Where undermoon silently drops input (non-UTF-8
 * arguments, slots of 16384 and above) this parser rejects it with {@code InvalidArgs}.
 */
public final class SetClusterParser {

    static final String INVALID_VERSION = "Failed to parse args: InvalidVersion";
    static final String INVALID_ARGS = "Failed to parse args: InvalidArgs";
    static final String INVALID_CLUSTER_NAME = "Failed to parse args: InvalidClusterName";
    /** Prefix of the errors for metadata undermoon would take but Moonshard refuses (size, contradictions). */
    public static final String INVALID_METADATA = "ERR invalid cluster metadata: ";
    /** The longest COMPRESS argument accepted (its base64 text, as sent); no plain argument comes near it. */
    public static final int MAX_COMPRESSED_BYTES = 4 * 1024 * 1024;
    /** The most JSON a COMPRESS payload may inflate to. */
    public static final int MAX_INFLATED_BYTES = 8 * 1024 * 1024;

    private SetClusterParser() {
    }

    /** Parses the arguments after {@code UMCTL SETCLUSTER} (the first is the version). */
    public static ParseResult<SetClusterRequest> parse(List<String> args) {
        try {
            return ParseResult.ok(parseOrThrow(args));
        } catch (BadArgs e) {
            return ParseResult.error(e.getMessage());
        }
    }

    /** Parses a whole line such as {@code UMCTL SETCLUSTER v2 1 NOFLAGS mydb ...} split on spaces. */
    public static ParseResult<SetClusterRequest> parseLine(String line) {
        String[] words = line.trim().split("\\s+");
        if (words.length < 2 || !words[0].equalsIgnoreCase("UMCTL") || !words[1].equalsIgnoreCase("SETCLUSTER")) {
            return ParseResult.error(INVALID_ARGS);
        }
        return parse(List.of(words).subList(2, words.length));
    }

    private static SetClusterRequest parseOrThrow(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("v2")) {
            throw new BadArgs(args.isEmpty() ? INVALID_ARGS : INVALID_VERSION);
        }
        if (args.size() < 4) {
            throw new BadArgs(INVALID_ARGS);
        }
        long epoch = parseU64(args.get(1));
        boolean force = false;
        boolean compress = false;
        for (String flag : args.get(2).split(",")) {
            switch (flag.toUpperCase(Locale.ROOT)) {
                case "FORCE" -> force = true;
                case "COMPRESS" -> compress = true;
                default -> { } // NOFLAGS and anything else mean "no flag"
            }
        }
        if (compress) {
            if (args.size() != 4) {
                throw new BadArgs(INVALID_ARGS);
            }
            return CompressedSetCluster.parse(args.get(3), epoch, force);
        }
        String name = validName(args.get(3));
        Cursor c = new Cursor(args, 4);
        Map<String, List<SlotAssignment>> local = new LinkedHashMap<>();
        while (c.hasNext() && !c.peekIs("PEER") && !c.peekIs("CONFIG")) {
            readEntry(c, local);
        }
        Map<String, List<SlotAssignment>> peers = new LinkedHashMap<>();
        Map<String, String> configFields = new LinkedHashMap<>();
        boolean configBad = false;
        while (c.hasNext()) {
            if (c.peekIs("PEER")) {
                c.next();
                peers = new LinkedHashMap<>(); // a repeated PEER section replaces the earlier one
                while (c.hasNext() && !c.peekIs("PEER") && !c.peekIs("CONFIG")) {
                    readEntry(c, peers);
                }
            } else if (c.peekIs("CONFIG")) {
                c.next();
                while (c.hasNext() && !c.peekIs("PEER") && !c.peekIs("CONFIG")) {
                    String field = c.next();
                    if (!c.hasNext() || c.peekIs("PEER") || c.peekIs("CONFIG")) {
                        configBad = true; // odd count
                        break;
                    }
                    configFields.put(field, c.next());
                }
            } else {
                throw new BadArgs(INVALID_ARGS);
            }
        }
        ClusterConfig config = ClusterConfig.DEFAULT;
        if (!configBad) {
            try {
                config = ClusterConfig.fromFields(configFields);
            } catch (IllegalArgumentException e) {
                configBad = true;
            }
        }
        if (configBad) {
            if (local.isEmpty() || peers.isEmpty()) {
                throw new BadArgs(INVALID_ARGS);
            }
            config = ClusterConfig.DEFAULT; // applied anyway, with a warning, as undermoon does
        }
        return new SetClusterRequest(new ClusterSnapshot(name, epoch, normalise(local), normalise(peers), config, true),
                force, configBad);
    }

    /** {@code <address> <n> <s-e>...} or {@code <address> MIGRATING|IMPORTING <n> <s-e>... <6 fields>}. */
    private static void readEntry(Cursor c, Map<String, List<SlotAssignment>> into) {
        String address = validAddress(c.next());
        RangeTag tag = RangeTag.NONE;
        if (c.peekIs("MIGRATING")) {
            tag = RangeTag.MIGRATING;
            c.next();
        } else if (c.peekIs("IMPORTING")) {
            tag = RangeTag.IMPORTING;
            c.next();
        }
        long count = parseU64(c.next());
        List<SlotRange> ranges = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            String range = c.next();
            if (range.indexOf('-') <= 0) {
                throw new BadArgs(INVALID_ARGS); // both parts are required: a single slot is "300-300"
            }
            try {
                ranges.add(SlotRange.parse(range));
            } catch (IllegalArgumentException e) {
                throw new BadArgs(INVALID_ARGS);
            }
        }
        MigrationMeta meta = null;
        if (tag != RangeTag.NONE) {
            long migrationEpoch = parseU64(c.next());
            meta = new MigrationMeta(migrationEpoch, validAddress(c.next()), validAddress(c.next()),
                    validAddress(c.next()), validAddress(c.next()));
        }
        into.computeIfAbsent(address, a -> new ArrayList<>()).add(new SlotAssignment(SlotSet.of(ranges), tag, meta));
    }

    /** Merges an address's stable ranges into one set (undermoon appends, sorts and merges them). */
    static Map<String, List<SlotAssignment>> normalise(Map<String, List<SlotAssignment>> in) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<SlotAssignment>> e : in.entrySet()) {
            SlotSet stable = SlotSet.empty();
            List<SlotAssignment> tagged = new ArrayList<>();
            for (SlotAssignment a : e.getValue()) {
                if (a.tag() == RangeTag.NONE) {
                    stable = stable.union(a.slots());
                } else {
                    tagged.add(a);
                }
            }
            List<SlotAssignment> list = new ArrayList<>();
            if (!stable.isEmpty() || tagged.isEmpty()) {
                list.add(SlotAssignment.stable(stable));
            }
            list.addAll(tagged);
            out.put(e.getKey(), list);
        }
        return out;
    }

    static String validName(String name) {
        if (name.length() > 31) {
            throw new BadArgs(INVALID_CLUSTER_NAME);
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '@' || ch == '_' || ch == '-';
            if (!ok) {
                throw new BadArgs(INVALID_CLUSTER_NAME);
            }
        }
        return name;
    }

    static String validAddress(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new BadArgs(INVALID_ARGS);
        }
        String port = address.substring(colon + 1);
        if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(port) > 65535) {
            throw new BadArgs(INVALID_ARGS);
        }
        return address;
    }

    static long parseU64(String text) {
        if (text.isEmpty() || text.length() > 20 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new BadArgs(INVALID_ARGS);
        }
        try {
            return Long.parseLong(text); // up to 2^63-1: epochs beyond that are refused
        } catch (NumberFormatException e) {
            throw new BadArgs(INVALID_ARGS);
        }
    }

    /** Reads tokens left to right; running out is a parse error. */
    private static final class Cursor {
        private final List<String> args;
        private int i;

        Cursor(List<String> args, int start) {
            this.args = args;
            this.i = start;
        }

        boolean hasNext() {
            return i < args.size();
        }

        boolean peekIs(String keyword) {
            return hasNext() && args.get(i).equalsIgnoreCase(keyword);
        }

        String next() {
            if (!hasNext()) {
                throw new BadArgs(INVALID_ARGS);
            }
            return args.get(i++);
        }
    }

    /** A parse failure carrying its reply text; internal control flow only. */
    static final class BadArgs extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadArgs(String reply) {
            super(reply, null, false, false);
        }
    }
}
