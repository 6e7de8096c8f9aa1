package io.moonshard.controller.reconcile;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything in the store, read at once: the pool's proxies, who owns which, and every cluster with
 * the revision of its record. Immutable; each decision works on one of these and writes back with
 * revision checks, so a decision made on a stale view fails instead of overwriting. {@code ownersRevision}
 * is the store revision the owner keys were read at: a proxy free in this view was let go at or before
 * it, and any cluster that takes it later writes at a higher revision.
 */
public record PoolState(Map<String, Versioned> proxyKeys, Map<String, ProxyRecord> proxies, Map<String, Versioned> ownerKeys,
                        Map<String, String> owners, Map<String, Versioned> clusterKeys, Map<String, ClusterRecord> clusters,
                        long ownersRevision) {

    public static PoolState read(MetadataStore store, Keys keys) {
        Map<String, Versioned> proxyKeys = new TreeMap<>();
        Map<String, ProxyRecord> proxies = new TreeMap<>();
        for (Versioned v : store.list(keys.proxies()).items()) {
            String address = Keys.tail(v.key(), keys.proxies());
            proxyKeys.put(address, v);
            proxies.put(address, Json.read(v.value(), ProxyRecord.class));
        }
        Map<String, Versioned> ownerKeys = new TreeMap<>();
        Map<String, String> owners = new TreeMap<>();
        MetadataStore.Listing ownerListing = store.list(keys.owners());
        for (Versioned v : ownerListing.items()) {
            String address = Keys.tail(v.key(), keys.owners());
            ownerKeys.put(address, v);
            owners.put(address, new String(v.value(), StandardCharsets.UTF_8));
        }
        Map<String, Versioned> clusterKeys = new TreeMap<>();
        Map<String, ClusterRecord> clusters = new TreeMap<>();
        for (Versioned v : store.list(keys.clusters()).items()) {
            String name = Keys.tail(v.key(), keys.clusters());
            clusterKeys.put(name, v);
            clusters.put(name, Json.read(v.value(), ClusterRecord.class));
        }
        return new PoolState(proxyKeys, proxies, ownerKeys, owners, clusterKeys, clusters, ownerListing.revision());
    }

    /**
     * Proxies of the pool that no cluster holds, in address order; a proxy a cluster let go is free only
     * once it has taken that cluster's metadata and been wiped (it is off the cluster's retired and
     * wiping lists). A deleting cluster's proxies keep their owner keys until each is wiped.
     */
    public List<ProxyRecord> freeProxies() {
        java.util.Set<String> retired = new java.util.HashSet<>();
        clusters.values().forEach(c -> {
            retired.addAll(c.retired());
            retired.addAll(c.wiping());
        });
        List<ProxyRecord> out = new ArrayList<>();
        for (ProxyRecord p : proxies.values()) {
            if (!owners.containsKey(p.address()) && !retired.contains(p.address())) {
                out.add(p);
            }
        }
        return out;
    }

    /** The revision of {@code name}'s record (its epochs derive from it); 0 when absent. */
    public long revision(String name) {
        Versioned v = clusterKeys.get(name);
        return v == null ? 0 : v.modRevision();
    }

}
