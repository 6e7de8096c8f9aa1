package io.moonshard.cluster.route;

import io.moonshard.cluster.command.KeyPositions;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.resp.RespCommand;

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
                return RouteDecision.CROSSSLOT;
            }
        }
        String backend = snapshot.localOwner(slot);
        if (backend != null) {
            return RouteDecision.local(backend, slot);
        }
        String peer = snapshot.redirectOwner(slot);
        if (peer != null) {
            return RouteDecision.moved(slot, peer);
        }
        return RouteDecision.unserved(slot);
    }

    private static int slotOf(RespCommand command, int argIndex) {
        return SlotHash.slot(command.frame(), command.argOffset(argIndex), command.argLength(argIndex));
    }
}
