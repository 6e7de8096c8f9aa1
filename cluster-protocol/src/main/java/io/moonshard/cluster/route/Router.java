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
 * is served here, redirected with {@code MOVED}, or not served at all. A pure function.
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
                return fanOut.splittable() ? planFanOut(snapshot, command, keyCount, keys, fanOut) : RouteDecision.CROSSSLOT;
            }
        }
        String backend = snapshot.localOwner(slot);
        if (backend != null) {
            return RouteDecision.local(backend, slot);
        }
        if (asking && snapshot.importingNode(slot) != null) {
            return RouteDecision.local(snapshot.importingNode(slot), slot);
        }
        String peer = snapshot.redirectOwner(slot);
        if (peer != null) {
            return RouteDecision.moved(slot, peer);
        }
        return RouteDecision.unserved(slot);
    }

    /** Groups the keys by local backend; CROSSSLOT as soon as one key's slot is not served here. */
    private static RouteDecision planFanOut(ClusterSnapshot snapshot, RespCommand command, int keyCount,
                                            KeyPositions keys, FanOut fanOut) {
        Map<String, List<Integer>> byBackend = new LinkedHashMap<>();
        for (int i = 0; i < keyCount; i++) {
            String backend = snapshot.localOwner(slotOf(command, keys.get(i)));
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
