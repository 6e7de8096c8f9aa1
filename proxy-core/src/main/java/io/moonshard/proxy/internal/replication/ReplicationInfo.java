package io.moonshard.proxy.internal.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one Redis says of itself in {@code INFO server replication} (Redis 7.0 field names), parsed
 * once per probe. Pure: no I/O.
 *
 * @param runId           {@code run_id}: a new value means the process restarted (and, without
 *                        persistence, lost its data)
 * @param master          {@code role:master}
 * @param replid          {@code master_replid}: the replication history this node is on
 * @param offset          {@code master_repl_offset} (on a replica, what it has processed of its master's stream)
 * @param masterHost      a replica's {@code master_host}, else null
 * @param masterPort      a replica's {@code master_port}, else -1
 * @param linkUp          a replica's {@code master_link_status:up}
 * @param syncInProgress  a replica's {@code master_sync_in_progress:1}: a full resync is replacing its data
 * @param failoverState   {@code master_failover_state} ({@code no-failover} unless a FAILOVER runs)
 * @param replicas        a master's {@code slaveN:} lines: its connected replicas as it sees them
 */
record ReplicationInfo(String runId, boolean master, String replid, long offset, String masterHost, int masterPort,
                       boolean linkUp, boolean syncInProgress, String failoverState, List<Replica> replicas) {

    /** A replica as its master lists it: the address it connected from, its listening port, its offset. */
    record Replica(String ip, int port, String state, long offset) {
    }

    static ReplicationInfo parse(String info) {
        Map<String, String> fields = new HashMap<>();
        List<Replica> replicas = new ArrayList<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                String name = line.substring(0, colon);
                String value = line.substring(colon + 1).trim();
                fields.put(name, value);
                if (name.startsWith("slave") && value.startsWith("ip=")) {
                    Map<String, String> parts = new HashMap<>();
                    for (String part : value.split(",")) {
                        int eq = part.indexOf('=');
                        if (eq > 0) {
                            parts.put(part.substring(0, eq), part.substring(eq + 1));
                        }
                    }
                    replicas.add(new Replica(parts.getOrDefault("ip", ""), (int) parseLong(parts.get("port"), -1),
                            parts.getOrDefault("state", ""), parseLong(parts.get("offset"), -1)));
                }
            }
        }
        boolean master = "master".equals(fields.get("role"));
        long offset = parseLong(fields.get(master ? "master_repl_offset" : "slave_repl_offset"),
                parseLong(fields.get("master_repl_offset"), -1));
        return new ReplicationInfo(fields.getOrDefault("run_id", ""), master, fields.getOrDefault("master_replid", ""),
                offset, master ? null : fields.get("master_host"),
                master ? -1 : (int) parseLong(fields.get("master_port"), -1),
                "up".equals(fields.get("master_link_status")),
                "1".equals(fields.get("master_sync_in_progress")),
                fields.getOrDefault("master_failover_state", "no-failover"), List.copyOf(replicas));
    }

    /** Whether this node is a replica of {@code host:port}. */
    boolean replicates(String address) {
        return !master && masterHost != null && address.equals(masterHost + ":" + masterPort);
    }

    /** The replica {@code host:port} as this master lists it (its announced IP and port), or null when not connected. */
    Replica replica(String address) {
        for (Replica r : replicas) {
            if (address.equals(r.ip() + ":" + r.port())) {
                return r;
            }
        }
        return null;
    }

    private static long parseLong(String value, long otherwise) {
        if (value == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }
}
