package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.placement.Placement;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The changes people ask for through the API, run on whichever controller received them (the store is
 * the only state, so no forwarding to the leader is needed): each is one transaction that compares the
 * revisions it read, retried on a conflict with a newer read. The leader's reconciler then acts on the
 * result.
 */
public final class ClusterAdmin {

    private static final int ATTEMPTS = 8;

    private final MetadataStore store;
    private final Keys keys;
    /**
     * Whether this controller logs in to the proxies with their admin password: without it, once a
     * cluster's password is set on a proxy, the probes and pushes would need that password too.
     */
    private final boolean proxyAdminLogin;

    public ClusterAdmin(MetadataStore store, Keys keys, boolean proxyAdminLogin) {
        this.store = store;
        this.keys = keys;
        this.proxyAdminLogin = proxyAdminLogin;
    }

    /** A refusal the API turns into 4xx: {@code status} is the HTTP status. */
    public static final class Refused extends RuntimeException {
        private final int status;

        public Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** Adds a proxy to the pool, or updates a free one; the same record again is a no-op. */
    public ProxyRecord registerProxy(ProxyRecord proxy) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<Versioned> existing = store.get(keys.proxy(proxy.address()));
            StoreTxn.Builder txn = StoreTxn.builder();
            if (existing.isPresent()) {
                if (Arrays.equals(existing.get().value(), Json.write(proxy))) {
                    return proxy;
                }
                if (store.get(keys.owner(proxy.address())).isPresent()) {
                    throw new Refused(409, "proxy " + proxy.address() + " serves a cluster: it cannot be changed now");
                }
                txn.unchanged(keys.proxy(proxy.address()), existing.get().modRevision()).absent(keys.owner(proxy.address()));
            } else {
                txn.absent(keys.proxy(proxy.address()));
            }
            txn.put(keys.proxy(proxy.address()), Json.write(proxy));
            if (store.commit(txn.build()).succeeded()) {
                return proxy;
            }
        }
        throw new Refused(409, "the pool kept changing; try again");
    }

    /**
     * Removes a free proxy from the pool, or one that a deleting cluster still holds because it could not
     * be wiped (it does not answer), or one owned by a cluster that no longer exists: the delete then goes
     * on without it, and its Redis keep whatever they hold, so they must be flushed by hand before the
     * proxy is registered again.
     */
    public void removeProxy(String address) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PoolState state = PoolState.read(store, keys);
            Versioned existing = state.proxyKeys().get(address);
            if (existing == null) {
                throw new Refused(404, "no proxy " + address + " in the pool");
            }
            StoreTxn.Builder txn = StoreTxn.builder().unchanged(keys.proxy(address), existing.modRevision());
            String owner = state.owners().get(address);
            if (owner != null) {
                ClusterRecord holder = state.clusters().get(owner);
                if (holder != null && !holder.deleting()) {
                    throw new Refused(409, "proxy " + address + " serves cluster " + owner + ": scale the cluster down first");
                }
                // a deleting cluster's, or one whose cluster is gone (a failed proxy a delete before wipes left owned)
                txn = holder == null ? txn.absent(keys.cluster(owner)) : txn.unchanged(keys.cluster(owner), state.revision(owner));
                txn.unchanged(keys.owner(address), state.ownerKeys().get(address).modRevision()).delete(keys.owner(address));
            } else {
                txn.absent(keys.owner(address));
            }
            if (store.commit(txn.delete(keys.proxy(address)).build()).succeeded()) {
                return;
            }
        }
        throw new Refused(409, "proxy " + address + " kept changing; try again");
    }

    /** Creates a cluster on free proxies of the pool. */
    public ClusterRecord createCluster(ClusterSpec spec) {
        if (spec.password() != null && !proxyAdminLogin) {
            throw new Refused(400, "a cluster password needs the proxies' admin password (--proxy-admin-password): "
                    + "the controller sets the password on the proxies and must not need it itself");
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PoolState state = PoolState.read(store, keys);
            ClusterRecord existing = state.clusters().get(spec.name());
            if (existing != null) {
                throw new Refused(409, "cluster " + spec.name() + (existing.deleting() ? " is being deleted; try once it is gone" : " exists"));
            }
            io.moonshard.controller.placement.Outcome<ClusterRecord> placed = Placement.create(spec, state.freeProxies());
            if (placed.value() == null) {
                throw new Refused(409, placed.refusal());
            }
            ClusterRecord record = placed.value();
            StoreTxn.Builder txn = StoreTxn.builder().absent(keys.cluster(spec.name()));
            for (String proxy : record.proxies()) {
                txn.absent(keys.owner(proxy)).put(keys.owner(proxy), spec.name().getBytes(StandardCharsets.UTF_8));
            }
            txn.put(keys.cluster(spec.name()), Json.write(record));
            if (store.commit(txn.build()).succeeded()) {
                return record;
            }
        }
        throw new Refused(409, "the pool kept changing; try again");
    }

    /**
     * Marks a cluster for deletion and returns the record as marked; marking it again is a no-op. The
     * leader then wipes every proxy of the cluster ({@code UMCTL WIPE}: it serves nothing, its Redis are
     * flushed masters) and, once all are, removes the record and the owner keys in one transaction, so the
     * proxies are free only when they hold nothing of it (docs/controller.md, "Deleting a cluster").
     */
    public ClusterRecord deleteCluster(String name) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PoolState state = PoolState.read(store, keys);
            ClusterRecord record = state.clusters().get(name);
            if (record == null) {
                throw new Refused(404, "no cluster " + name);
            }
            if (record.deleting()) {
                return record;
            }
            ClusterRecord marked = record.asDeleting();
            StoreTxn txn = StoreTxn.builder().unchanged(keys.cluster(name), state.revision(name))
                    .put(keys.cluster(name), Json.write(marked)).build();
            if (store.commit(txn).succeeded()) {
                return marked;
            }
        }
        throw new Refused(409, "cluster " + name + " kept changing; try again");
    }

    /**
     * Sets a cluster's shard count: the new shards are placed on free proxies now (owning no slot); the
     * leader then moves slots to even them out, and after a scale-in releases the emptied shards.
     */
    public ClusterRecord scale(String name, int shards) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PoolState state = PoolState.read(store, keys);
            ClusterRecord record = state.clusters().get(name);
            if (record == null) {
                throw new Refused(404, "no cluster " + name);
            }
            if (record.deleting()) {
                throw new Refused(409, "cluster " + name + " is being deleted");
            }
            if (!record.moves().isEmpty() || record.shards().size() != record.spec().shards()) {
                throw new Refused(409, "cluster " + name + " is still moving slots for its last scale; try when it is done");
            }
            List<ProxyRecord> members = new java.util.ArrayList<>();
            record.proxies().forEach(p -> {
                if (state.proxies().containsKey(p)) {
                    members.add(state.proxies().get(p));
                }
            });
            io.moonshard.controller.placement.Outcome<io.moonshard.controller.placement.ScalePlan.Plan> plan =
                    io.moonshard.controller.placement.ScalePlan.to(record, shards, members, state.freeProxies());
            if (!plan.isOk()) {
                throw new Refused(409, plan.refusal());
            }
            StoreTxn.Builder txn = StoreTxn.builder().unchanged(keys.cluster(name), state.revision(name));
            for (String p : plan.value().takenProxies()) {
                txn.absent(keys.owner(p)).put(keys.owner(p), name.getBytes(StandardCharsets.UTF_8));
            }
            txn.put(keys.cluster(name), Json.write(plan.value().record().withPromotions(List.of())));
            if (store.commit(txn.build()).succeeded()) {
                return plan.value().record();
            }
        }
        throw new Refused(409, "cluster " + name + " kept changing; try again");
    }

    public PoolState state() {
        return PoolState.read(store, keys);
    }
}
