package io.moonshard.cluster.umctl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One element of a peer proxy's {@code UMCTL INFOREPL} reply: one SETREPL entry of that proxy, as
 * undermoon prints it ({@code cluster:}, {@code role:}, {@code node_address:}, then
 * {@code replica:<node>@<proxy>} or {@code master:<node>@<proxy>} per peer), with Moonshard's lines
 * after them when the peer prints them ({@code state:}, {@code offset:}, {@code lag:}, {@code link:});
 * a line a peer does not print is {@code null} / -1 here.
 *
 * @param master  {@code role:master}: {@code peers} are its replicas; else its masters
 * @param cluster the cluster name (empty for a free node)
 * @param node    the peer's local Redis of this entry
 * @param peers   the replicas (master entry) or masters (replica entry), node and proxy each
 * @param state   Moonshard's replication state of the node, lower case, or null
 * @param offset  the node's replication offset, or -1 (not printed, or unknown)
 * @param link    for a replica entry, whether its link to its master is up; null when not printed
 */
public record InfoReplEntry(boolean master, String cluster, String node, List<SetReplRequest.Peer> peers,
                            String state, long offset, Boolean link) {

    public InfoReplEntry {
        peers = List.copyOf(peers);
    }

    /**
     * Parses one entry's lines ({@code "key:value\n"} each); null when a line undermoon always prints
     * (cluster, role, node_address) is missing or a peer line is malformed. Unknown lines are skipped,
     * so a peer that prints more than this version knows is still read.
     */
    public static InfoReplEntry parse(List<String> lines) {
        String cluster = null;
        String role = null;
        String node = null;
        List<SetReplRequest.Peer> peers = new ArrayList<>();
        String state = null;
        long offset = -1;
        Boolean link = null;
        for (String raw : lines) {
            String line = raw.endsWith("\n") ? raw.substring(0, raw.length() - 1) : raw;
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 1);
            switch (key) {
                case "cluster" -> cluster = value;
                case "role" -> role = value.toLowerCase(Locale.ROOT);
                case "node_address" -> node = value;
                case "replica", "master" -> {
                    int at = value.indexOf('@');
                    if (at <= 0 || at == value.length() - 1) {
                        return null;
                    }
                    peers.add(new SetReplRequest.Peer(value.substring(0, at), value.substring(at + 1)));
                }
                case "state" -> state = value.toLowerCase(Locale.ROOT);
                case "offset" -> offset = number(value);
                case "link" -> link = value.equalsIgnoreCase("up");
                default -> {
                    // lag and lines of later versions: not needed to show a replica
                }
            }
        }
        if (cluster == null || node == null || !("master".equals(role) || "replica".equals(role))) {
            return null;
        }
        return new InfoReplEntry("master".equals(role), cluster, node, peers, state, offset, link);
    }

    private static long number(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
