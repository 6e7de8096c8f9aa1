package io.moonshard.cluster.route;

import io.moonshard.cluster.command.FanOut;
import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes a data command by its keys against one cluster snapshot, as Redis Cluster's
 * {@code getNodeByQuery} does: all keys must hash to one slot ({@code CROSSSLOT} otherwise); that slot
 * is served here, redirected with {@code MOVED}, or not served at all. While a slot is open (migrating
 * or importing), whether it is served here can depend on which keys exist here: {@link #route} then
 * answers {@link RouteDecision.Kind#KEY_CHECK} and {@link #afterKeyCheck} finishes the decision with
 * {@code ASK} or {@code TRYAGAIN}, as Redis does. After {@code READONLY}, a read of a slot another
 * proxy serves may be served by a local replica of that proxy's master ({@link ReplicaReads}). Pure
 * functions.
 */
public final class Router {

    private Router() {
    }

    /**
     * @param snapshot the cluster metadata, read once for this command
     * @param command  the request
     * @param keyCount what {@code CommandSpec.findKeys} returned ({@link KeyPositions#INVALID} allowed)
     * @param keys     the key argument indexes it wrote
     */
    public static RouteDecision route(ClusterSnapshot snapshot, RespCommand command, int keyCount, KeyPositions keys) {
        return route(snapshot, command, keyCount, keys, false, FanOut.NONE);
    }

    /**
     * As {@link #route(ClusterSnapshot, RespCommand, int, KeyPositions)}, with the session's
     * {@code ASKING} flag (a slot this proxy is importing is then served here, as Redis does after
     * ASKING) and the command's {@link FanOut}: a splittable command whose keys span several slots that
     * are all served here gets a {@link RouteDecision.Kind#FAN_OUT} plan instead of {@code CROSSSLOT}.
     */
    public static RouteDecision route(ClusterSnapshot snapshot, RespCommand command, int keyCount, KeyPositions keys,
                                      boolean asking, FanOut fanOut) {
        return route(snapshot, command, keyCount, keys, asking, fanOut, ReplicaReads.NONE);
    }

    /**
     * As {@link #route(ClusterSnapshot, RespCommand, int, KeyPositions, boolean, FanOut)}, for a read-only
     * command of a {@code READONLY} client: a slot served by a peer proxy whose master has a replica here
     * ({@code reads}) is read from that replica ({@link RouteDecision.Kind#REPLICA}) instead of
     * redirected, as a Redis Cluster replica serves its master's slots after READONLY; so is each key of
     * a split multi-key read. A slot served here is still served by the local master.
     *
     * @param reads the local replicas by master proxy; {@link ReplicaReads#NONE} for every other command
     */
    public static RouteDecision route(ClusterSnapshot snapshot, RespCommand command, int keyCount, KeyPositions keys,
                                      boolean asking, FanOut fanOut, ReplicaReads reads) {
        if (keyCount == KeyPositions.INVALID) {
            return RouteDecision.INVALID_ARGS;
        }
        if (keyCount == 0) {
            return RouteDecision.NO_KEYS;
        }
        if (!snapshot.isConfigured()) {
            return RouteDecision.CLUSTER_DOWN;
        }
        int slot = slotOf(command, keys.get(0));
        for (int i = 1; i < keyCount; i++) {
            if (slotOf(command, keys.get(i)) != slot) {
                return fanOut.splittable() ? planFanOut(snapshot, command, keyCount, keys, fanOut, reads)
                        : RouteDecision.CROSSSLOT;
            }
        }
        String backend = snapshot.localOwner(slot);
        if (backend != null) {
            // a slot being migrated away is served here only for the keys still here
            return snapshot.migratingTo(slot) != null ? RouteDecision.keyCheck(backend, slot)
                    : RouteDecision.local(backend, slot);
        }
        String importing = snapshot.importingNode(slot);
        if (asking && importing != null) {
            // after ASKING one key is always served; several keys only if they all arrived already
            return keyCount > 1 ? RouteDecision.keyCheck(importing, slot) : RouteDecision.local(importing, slot);
        }
        String peer = snapshot.redirectOwner(slot);
        if (peer != null) {
            String replica = reads.replicaOf(peer);
            return replica != null ? RouteDecision.replica(replica, slot) : RouteDecision.moved(slot, peer);
        }
        return RouteDecision.unserved(slot);
    }

    /**
     * Second step of a {@link RouteDecision.Kind#KEY_CHECK} decision, once the caller knows how many of
     * the command's keys are missing at its backend (Redis 7.0 {@code getNodeByQuery}): on a slot being
     * migrated away, any missing key sends the client to the destination with {@code ASK}; on a slot
     * being imported (the client sent ASKING), several keys of which some are missing get
     * {@code TRYAGAIN}. Otherwise the command is served at the backend.
     *
     * @param keyCheck     the KEY_CHECK decision {@link #route} returned
     * @param snapshot     the snapshot that decision was made from
     * @param keyCount     how many keys the command has
     * @param missingKeys  how many of them do not exist at {@code keyCheck.backend()}
     */
    public static RouteDecision afterKeyCheck(RouteDecision keyCheck, ClusterSnapshot snapshot, int keyCount,
                                              int missingKeys) {
        if (keyCheck.kind() != RouteDecision.Kind.KEY_CHECK) {
            throw new IllegalArgumentException("not a KEY_CHECK decision: " + keyCheck.kind());
        }
        int slot = keyCheck.slot();
        if (missingKeys == 0) {
            return RouteDecision.local(keyCheck.backend(), slot);
        }
        String destination = snapshot.migratingTo(slot);
        if (destination != null) {
            return RouteDecision.ask(slot, destination);
        }
        return keyCount > 1 ? RouteDecision.TRY_AGAIN : RouteDecision.local(keyCheck.backend(), slot);
    }

    /**
     * Groups the keys by local backend (a local master, or for a READONLY read a local replica of the
     * slot's proxy); CROSSSLOT as soon as one key's slot is not served here.
     */
    private static RouteDecision planFanOut(ClusterSnapshot snapshot, RespCommand command, int keyCount,
                                            KeyPositions keys, FanOut fanOut, ReplicaReads reads) {
        Map<String, List<Integer>> byBackend = new LinkedHashMap<>();
        for (int i = 0; i < keyCount; i++) {
            int slot = slotOf(command, keys.get(i));
            String backend = snapshot.localOwner(slot);
            if (backend == null && !reads.isEmpty()) {
                String peer = snapshot.redirectOwner(slot);
                backend = peer == null ? null : reads.replicaOf(peer);
            }
            if (backend == null) {
                return RouteDecision.CROSSSLOT; // Redis Cluster's answer when keys live on several nodes
            }
            byBackend.computeIfAbsent(backend, b -> new ArrayList<>()).add(keys.get(i));
        }
        return RouteDecision.fanOut(new FanOutPlan(fanOut, byBackend));
    }

    private static int slotOf(RespCommand command, int argIndex) {
        return SlotHash.slot(command.frame(), command.argOffset(argIndex), command.argLength(argIndex));
    }
}
