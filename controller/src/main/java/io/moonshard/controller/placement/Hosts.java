package io.moonshard.controller.placement;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** The host of each proxy a plan deals with, from the pool's records. */
final class Hosts {

    private final Map<String, ProxyRecord> byAddress = new HashMap<>();

    @SafeVarargs
    Hosts(Collection<ProxyRecord>... groups) {
        for (Collection<ProxyRecord> g : groups) {
            for (ProxyRecord p : g) {
                byAddress.putIfAbsent(p.address(), p);
            }
        }
    }

    /** The host of {@code proxy}; IllegalArgumentException when the pool does not know it. */
    String of(String proxy) {
        ProxyRecord p = byAddress.get(proxy);
        if (p == null) {
            throw new IllegalArgumentException("no host known for proxy " + proxy + ": pass its ProxyRecord");
        }
        return p.host();
    }

    String of(NodeRef node) {
        return of(node.proxy());
    }

    ProxyRecord record(String proxy) {
        return byAddress.get(proxy);
    }

    /** Masters per host over {@code record}'s shards (hosts with none are absent). */
    Map<String, Integer> masters(ClusterRecord record) {
        Map<String, Integer> out = new TreeMap<>();
        for (Shard s : record.shards()) {
            out.merge(of(s.master()), 1, Integer::sum);
        }
        return out;
    }

    /** Nodes (masters and replicas) of {@code record} per host. */
    Map<String, Integer> nodes(ClusterRecord record) {
        Map<String, Integer> out = new TreeMap<>();
        for (Shard s : record.shards()) {
            out.merge(of(s.master()), 1, Integer::sum);
            for (NodeRef r : s.replicas()) {
                out.merge(of(r), 1, Integer::sum);
            }
        }
        return out;
    }
}
