package io.moonshard.proxy.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The replication metadata of {@code UMCTL SETREPL} (undermoon-proxy-spec §2.2): stored and shown by
 * {@code UMCTL INFOREPL}. Enforcing roles on the local Redis nodes is not done by this version.
 */
final class ReplicationState {

    /** One local node's role and its peers ({@code node@proxy}). */
    record Entry(String role, String cluster, String node, List<String> peers) {
    }

    private final String announceHost;
    private long epoch;
    private List<Entry> entries = List.of();

    ReplicationState(String announceHost) {
        this.announceHost = announceHost;
    }

    /**
     * {@code UMCTL SETREPL <epoch> <flags> ((master|replica) <cluster> <node> <n> (<peer_node> <peer_proxy>){n})*};
     * returns the reply line.
     */
    synchronized String apply(List<String> args) {
        long newEpoch;
        boolean force;
        List<Entry> parsed = new ArrayList<>();
        try {
            if (args.size() < 2) {
                return "-Invalid arguments";
            }
            newEpoch = Long.parseLong(args.get(0));
            if (newEpoch < 0) {
                return "-Invalid arguments";
            }
            force = List.of(args.get(1).toUpperCase(Locale.ROOT).split(",")).contains("FORCE");
            int i = 2;
            while (i < args.size()) {
                String role = args.get(i).toLowerCase(Locale.ROOT);
                if (!role.equals("master") && !role.equals("replica")) {
                    return "-Invalid arguments";
                }
                String cluster = args.get(i + 1);
                String node = args.get(i + 2);
                int n = Integer.parseInt(args.get(i + 3));
                if (n < 0) {
                    return "-Invalid arguments";
                }
                List<String> peers = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    peers.add(args.get(i + 4 + 2 * k) + "@" + args.get(i + 5 + 2 * k));
                }
                parsed.add(new Entry(role, cluster, node, peers));
                i += 4 + 2 * n;
            }
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return "-Invalid arguments";
        }
        for (Entry e : parsed) {
            int colon = e.node().lastIndexOf(':');
            if (colon <= 0 || !e.node().substring(0, colon).equals(announceHost)) {
                return "-ERR_NOT_MY_META";
            }
        }
        if (!force && newEpoch <= epoch) {
            return "-OLD_EPOCH";
        }
        epoch = newEpoch;
        entries = List.copyOf(parsed);
        return "+OK";
    }

    synchronized List<Entry> entries() {
        return entries;
    }
}
