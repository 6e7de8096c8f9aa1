package io.moonshard.controller.reconcile;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.proxyclient.ProxyProbe;
import io.moonshard.controller.proxyclient.Reply;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreTxn;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A planned handover of a shard's master to one of its replicas, lossless even with asynchronous
 * acknowledgements: the master's proxy runs {@code UMCTL SWITCHOVER} (it holds the shard, lets the
 * replica catch up, runs Redis's {@code FAILOVER}, tells the replica's proxy), then the record follows.
 *
 * <p>The handover goes first and the record after, because the proxies act on the switchover's epoch at
 * once: it is {@code Epochs.promotion(r + 1)} for the record read at {@code r}, above the epoch every
 * proxy holds ({@code 2r + 1}) and below that of the record written next. Since the roles have then
 * changed for real, the record is rewritten on a newer read until it lands.
 */
public final class Switchover {

    private static final Logger LOG = LoggerFactory.getLogger(Switchover.class);
    private static final int ATTEMPTS = 16;

    private final MetadataStore store;
    private final Keys keys;
    private final ProxyClients clients;

    public Switchover(MetadataStore store, Keys keys, ProxyClients clients) {
        this.store = store;
        this.keys = keys;
        this.clients = clients;
    }

    /**
     * Moves every master role off {@code proxy} (before it is stopped: an upgrade, a Kubernetes preStop),
     * one planned handover per shard it masters; returns the shards handed over, as {@code cluster/shard}.
     * Its replicas stay: they are replaced when the proxy is gone.
     */
    public List<String> drain(String proxy) {
        List<String> done = new ArrayList<>();
        PoolState state = PoolState.read(store, keys);
        for (ClusterRecord record : state.clusters().values()) {
            if (record.deleting()) {
                continue; // it serves nothing for long: nothing to hand over
            }
            for (Shard s : record.shards()) {
                if (s.master().proxy().equals(proxy)) {
                    run(record.name(), s.id());
                    done.add(record.name() + "/" + s.id());
                }
            }
        }
        return done;
    }

    /**
     * Hands shard {@code shardId} of {@code name} over to its caught-up replica, as an operator asked
     * (the API, a drain): the record written. Automatic rebalancing stops there: the operator's layout stands.
     */
    public ClusterRecord run(String name, int shardId) {
        return run(name, shardId, null, false);
    }

    /**
     * Hands shard {@code shardId} of {@code name} over to {@code to}, or with null to its first replica
     * in sync; {@code to} must be in sync. {@code rebalancing}: a handover {@code placement.Rebalance}
     * planned, which leaves the record's {@code rebalance} mark as it is; any other clears it.
     */
    public ClusterRecord run(String name, int shardId, NodeRef to, boolean rebalancing) {
        PoolState state = PoolState.read(store, keys);
        ClusterRecord record = state.clusters().get(name);
        if (record == null) {
            throw new ClusterAdmin.Refused(404, "no cluster " + name);
        }
        if (record.deleting()) {
            throw new ClusterAdmin.Refused(409, "cluster " + name + " is being deleted");
        }
        Shard shard = record.shard(shardId).orElseThrow(() -> new ClusterAdmin.Refused(404, "no shard " + shardId + " in " + name));
        if (!record.moves().isEmpty()) {
            throw new ClusterAdmin.Refused(409, "cluster " + name + " is moving slots; hand over once the moves are done");
        }
        NodeRef target = null;
        boolean alreadyMaster = false;
        for (NodeRef r : shard.replicas()) {
            if (to != null && !r.equals(to)) {
                continue;
            }
            ProxyProbe probe = clients.probe(r.proxy(), 0, 0);
            InfoReplEntry e = probe.reachable() ? probe.entry(r.node(), false) : null;
            if (e != null && "promoted".equals(e.state())) {
                // a replica entry its proxy serves as master until the next SETREPL: an earlier SWITCHOVER
                // to it happened though its answer was lost (a read timed out), so only the record is
                // behind; it is written below, or every later handover of this shard would find no
                // replica in sync, for ever
                target = r;
                alreadyMaster = true;
                break;
            }
            if (e != null && "in_sync".equals(e.state())) {
                target = r;
                break;
            }
        }
        if (target == null) {
            throw new ClusterAdmin.Refused(409, "shard " + shardId + " has no replica in sync to hand over to"
                    + (to == null ? "" : " at " + to));
        }
        long epoch = Epochs.promotion(state.revision(name) + 1);
        NodeRef master = shard.master();
        if (alreadyMaster) {
            LOG.info("cluster {}: shard {} was handed over from {} to {} by an earlier switchover whose answer was lost;"
                    + " recording it", name, shardId, master, target);
        } else {
            Reply reply = clients.switchover(master.proxy(), epoch, master.node(), target.node(), target.proxy());
            if (!reply.done()) {
                throw new ClusterAdmin.Refused(409, "the switchover of shard " + shardId + " did not happen: " + reply.detail());
            }
            LOG.info("cluster {}: shard {} handed over from {} to {} (epoch {})", name, shardId, master, target, epoch);
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PoolState now = attempt == 0 ? state : PoolState.read(store, keys);
            ClusterRecord current = now.clusters().get(name);
            if (current == null) {
                throw new ClusterAdmin.Refused(404, "cluster " + name + " was deleted during the handover");
            }
            Shard s = current.shard(shardId).orElseThrow();
            if (s.master().equals(target)) {
                return current;
            }
            List<NodeRef> replicas = new ArrayList<>(s.replicas());
            replicas.remove(target);
            replicas.add(s.master());
            ClusterRecord next = current.withShard(s.withMaster(target, replicas)).withPromotions(List.of())
                    .withRebalance(rebalancing && current.rebalance());
            StoreTxn txn = StoreTxn.builder().unchanged(keys.cluster(name), now.revision(name))
                    .put(keys.cluster(name), Json.write(next)).build();
            if (store.commit(txn).succeeded()) {
                return next;
            }
        }
        throw new ClusterAdmin.Refused(409, "shard " + shardId + " was handed over but the record kept changing: retry the call");
    }
}
