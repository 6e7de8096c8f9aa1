package io.moonshard.cluster.topology;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one {@code UMCTL SETCLUSTER} says, as one immutable value: the cluster name and epoch,
 * the local Redis nodes and the peer proxies with their slots (and migration tags), and the cluster
 * config; plus per-slot tables built once for O(1) routing and rendering. Never mutated after
 * construction: a new SETCLUSTER builds a new snapshot that replaces this one whole.
 *
 * <p>Routing owner of a slot (who serves it now): a local node holding it stable or
 * {@code MIGRATING} (the data is still here); for a local {@code IMPORTING} range, the source proxy;
 * else a peer holding it stable or {@code MIGRATING}; else a peer {@code IMPORTING} it.
 *
 * <p>Shown owner of a slot (CLUSTER NODES/SLOTS/SHARDS): the source until the move is committed, as
 * Redis Cluster shows it until {@code CLUSTER SETSLOT ... NODE}: entries tagged {@code IMPORTING} are
 * not shown and entries tagged {@code MIGRATING} are, so each slot has exactly one owner in every reply.
 * (undermoon shows the importing side at once; with its atomic moves the source serves every key until
 * the flip, so showing the destination would send every client there to be redirected back.)
 */
public final class ClusterSnapshot {

    private static final ClusterSnapshot EMPTY =
            new ClusterSnapshot("", 0, Map.of(), Map.of(), ClusterConfig.DEFAULT, false);

    private final String name;
    private final long epoch;
    private final Map<String, List<SlotAssignment>> local;
    private final Map<String, List<SlotAssignment>> peers;
    private final ClusterConfig config;
    private final boolean configured;
    // per slot: the local Redis that serves it, or null; else the proxy to redirect to, or null
    private final String[] localOwner = new String[SlotHash.SLOT_COUNT];
    private final String[] redirectOwner = new String[SlotHash.SLOT_COUNT];
    // per slot: the local Redis importing it (served after ASKING), or null
    private final String[] importingNode = new String[SlotHash.SLOT_COUNT];
    // per slot being migrated away from a local Redis: the destination proxy (ASK target), or null
    private final String[] migratingTo = new String[SlotHash.SLOT_COUNT];
    private final Set<String> localBackends;
    private final SlotSet shownLocal;
    private final Map<String, SlotSet> shownPeers;

    public ClusterSnapshot(String name, long epoch, Map<String, List<SlotAssignment>> local,
                           Map<String, List<SlotAssignment>> peers, ClusterConfig config, boolean configured) {
        this.name = name;
        this.epoch = epoch;
        this.local = copy(local);
        this.peers = copy(peers);
        this.config = config;
        this.configured = configured;
        this.localBackends = Collections.unmodifiableSet(new LinkedHashSet<>(this.local.keySet()));

        // routing: each pass overwrites the earlier ones, so the last pass wins: a peer MIGRATING
        // beats a peer holding the slot stable, which beats a peer IMPORTING it; local entries
        // (stable or MIGRATING served here, IMPORTING sent to the source proxy) come last and win
        fillPeers(RangeTag.IMPORTING);
        fillPeers(RangeTag.NONE);
        fillPeers(RangeTag.MIGRATING);
        for (Map.Entry<String, List<SlotAssignment>> e : this.local.entrySet()) {
            for (SlotAssignment a : e.getValue()) {
                for (var r : a.slots().ranges()) {
                    for (int s = r.start(); s <= r.end(); s++) {
                        if (a.tag() == RangeTag.IMPORTING) {
                            importingNode[s] = e.getKey();
                            if (localOwner[s] == null) {
                                redirectOwner[s] = a.meta().srcProxy();
                            }
                        } else {
                            localOwner[s] = e.getKey();
                            redirectOwner[s] = null;
                            migratingTo[s] = a.tag() == RangeTag.MIGRATING ? a.meta().dstProxy() : null;
                        }
                    }
                }
            }
        }

        SlotSet mine = SlotSet.empty();
        for (List<SlotAssignment> list : this.local.values()) {
            mine = mine.union(shown(list));
        }
        this.shownLocal = mine;
        Map<String, SlotSet> shownPeerMap = new LinkedHashMap<>();
        SlotSet taken = mine;
        for (Map.Entry<String, List<SlotAssignment>> e : this.peers.entrySet()) {
            SlotSet s = shown(e.getValue()).minus(taken);
            taken = taken.union(s);
            shownPeerMap.put(e.getKey(), s);
        }
        this.shownPeers = Collections.unmodifiableMap(shownPeerMap);
    }

    /**
     * This snapshot as it reads once the move of {@code slots} described by {@code meta} has been
     * handed over (the destination committed it), before the coordinator's SETCLUSTER says so: the
     * {@code MIGRATING} entries of that move are gone and its {@code IMPORTING} entries are stable.
     * Used for what CLUSTER replies show; routing keeps the snapshot as pushed.
     */
    public ClusterSnapshot handedOver(SlotSet slots, MigrationMeta meta) {
        return new ClusterSnapshot(name, epoch, handedOver(local, slots, meta), handedOver(peers, slots, meta), config,
                configured);
    }

    private static Map<String, List<SlotAssignment>> handedOver(Map<String, List<SlotAssignment>> in, SlotSet slots,
                                                                MigrationMeta meta) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        in.forEach((address, list) -> {
            List<SlotAssignment> kept = new java.util.ArrayList<>(list.size());
            for (SlotAssignment a : list) {
                boolean ofTheMove = a.tag() != RangeTag.NONE && a.meta().equals(meta) && a.slots().equals(slots);
                if (!ofTheMove) {
                    kept.add(a);
                } else if (a.tag() == RangeTag.IMPORTING) {
                    kept.add(SlotAssignment.stable(a.slots()));
                }
            }
            out.put(address, kept);
        });
        return out;
    }

    /**
     * This snapshot as it reads once a failover moved {@code slots} to another owner, before the
     * controller's SETCLUSTER says so: the slots leave every entry (local and peer) and go, stable, to
     * {@code owner}, a local Redis node when {@code ownerIsLocal} (a replica promoted here) or else a peer
     * proxy (this proxy's master was switched over to it). Used for what CLUSTER replies show; routing keeps
     * the snapshot as pushed.
     */
    public ClusterSnapshot failedOver(SlotSet slots, String owner, boolean ownerIsLocal) {
        Map<String, List<SlotAssignment>> newLocal = without(local, slots);
        Map<String, List<SlotAssignment>> newPeers = without(peers, slots);
        Map<String, List<SlotAssignment>> target = ownerIsLocal ? newLocal : newPeers;
        List<SlotAssignment> list = new java.util.ArrayList<>(target.getOrDefault(owner, List.of()));
        list.add(SlotAssignment.stable(slots));
        target.put(owner, list);
        return new ClusterSnapshot(name, epoch, newLocal, newPeers, config, configured);
    }

    private static Map<String, List<SlotAssignment>> without(Map<String, List<SlotAssignment>> in, SlotSet slots) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        in.forEach((address, list) -> {
            List<SlotAssignment> kept = new java.util.ArrayList<>(list.size());
            for (SlotAssignment a : list) {
                SlotSet rest = a.slots().minus(slots);
                if (!rest.isEmpty() || a.slots().isEmpty()) {
                    kept.add(new SlotAssignment(rest, a.tag(), a.meta()));
                }
            }
            out.put(address, kept);
        });
        return out;
    }

    /** Before any SETCLUSTER: no name, epoch 0, no slots. */
    public static ClusterSnapshot empty() {
        return EMPTY;
    }

    private void fillPeers(RangeTag tag) {
        for (Map.Entry<String, List<SlotAssignment>> e : peers.entrySet()) {
            for (SlotAssignment a : e.getValue()) {
                if (a.tag() != tag) {
                    continue;
                }
                for (var r : a.slots().ranges()) {
                    for (int s = r.start(); s <= r.end(); s++) {
                        redirectOwner[s] = e.getKey();
                    }
                }
            }
        }
    }

    private static SlotSet shown(List<SlotAssignment> list) {
        SlotSet out = SlotSet.empty();
        for (SlotAssignment a : list) {
            if (a.tag() != RangeTag.IMPORTING) {
                out = out.union(a.slots());
            }
        }
        return out;
    }

    private static Map<String, List<SlotAssignment>> copy(Map<String, List<SlotAssignment>> in) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }

    public String name() {
        return name;
    }

    public long epoch() {
        return epoch;
    }

    /** False until the first SETCLUSTER: the proxy has no metadata. */
    public boolean isConfigured() {
        return configured;
    }

    /** Local Redis address -> its slot assignments, in SETCLUSTER order. */
    public Map<String, List<SlotAssignment>> local() {
        return local;
    }

    /** Peer proxy address -> its slot assignments, in SETCLUSTER order. */
    public Map<String, List<SlotAssignment>> peers() {
        return peers;
    }

    public ClusterConfig config() {
        return config;
    }

    /** Addresses of the local Redis nodes. */
    public Set<String> localBackends() {
        return localBackends;
    }

    /** The local Redis serving {@code slot}, or null when no local node serves it. */
    public String localOwner(int slot) {
        return localOwner[slot];
    }

    /** The local Redis importing {@code slot} (a client that sent ASKING is served there), or null. */
    public String importingNode(int slot) {
        return importingNode[slot];
    }

    /**
     * For a slot a local Redis is migrating away: the destination proxy, where a client is sent with
     * {@code ASK} for keys that are no longer here; else null.
     */
    public String migratingTo(int slot) {
        return migratingTo[slot];
    }

    /** The proxy to redirect {@code slot} to, or null (served locally, or by nobody). */
    public String redirectOwner(int slot) {
        return redirectOwner[slot];
    }

    /** Slots this proxy shows as its own in CLUSTER replies. */
    public SlotSet shownLocalSlots() {
        return shownLocal;
    }

    /** Each peer proxy and the slots shown for it (disjoint from each other and from ours). */
    public Map<String, SlotSet> shownPeerSlots() {
        return shownPeers;
    }

    /** Every slot shown with an owner. */
    public SlotSet assignedSlots() {
        SlotSet all = shownLocal;
        for (SlotSet s : shownPeers.values()) {
            all = all.union(s);
        }
        return all;
    }
}
