package io.moonshard.cluster.umctl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses {@code UMCTL SETREPL <epoch> <flags> ((master|replica) <cluster> <node> <n>
 * (<peer_node> <peer_proxy>){n})*}; any problem is undermoon's {@code Invalid arguments}.
 */
public final class SetReplParser {

    static final String INVALID = "Invalid arguments";

    private SetReplParser() {
    }

    /** Parses the arguments after {@code UMCTL SETREPL}. */
    public static ParseResult<SetReplRequest> parse(List<String> args) {
        try {
            if (args.size() < 2) {
                return ParseResult.error(INVALID);
            }
            long epoch = SetClusterParser.parseU64(args.get(0));
            boolean force = false;
            for (String flag : args.get(1).split(",")) {
                force |= flag.toUpperCase(Locale.ROOT).equals("FORCE");
            }
            List<SetReplRequest.Node> nodes = new ArrayList<>();
            int i = 2;
            while (i < args.size()) {
                String role = args.get(i).toLowerCase(Locale.ROOT);
                if (!role.equals("master") && !role.equals("replica") || i + 3 >= args.size()) {
                    return ParseResult.error(INVALID);
                }
                String cluster = args.get(i + 1);
                String node = SetClusterParser.validAddress(args.get(i + 2));
                long n = SetClusterParser.parseU64(args.get(i + 3));
                i += 4;
                if (n > (args.size() - i) / 2) {
                    return ParseResult.error(INVALID);
                }
                List<SetReplRequest.Peer> peers = new ArrayList<>();
                for (long k = 0; k < n; k++, i += 2) {
                    peers.add(new SetReplRequest.Peer(SetClusterParser.validAddress(args.get(i)),
                            SetClusterParser.validAddress(args.get(i + 1))));
                }
                nodes.add(new SetReplRequest.Node(role.equals("master"), cluster, node, peers));
            }
            return ParseResult.ok(new SetReplRequest(epoch, force, nodes));
        } catch (SetClusterParser.BadArgs e) {
            return ParseResult.error(INVALID);
        }
    }
}
