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
 * {@code ASK} or {@code TRYAGAIN}, as Redis does. Pure functions.
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
            return RouteDecision.moved(slot, peer);
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
