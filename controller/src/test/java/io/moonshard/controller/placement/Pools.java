package io.moonshard.controller.placement;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Pools of proxies for the planning tests: hosts {@code 10.0.0.<h>}, proxies {@code host:6000+k}, nodes beside them. */
final class Pools {

    enum Shape {
        /** proxies dealt to the hosts in turn */
        BALANCED,
        /** half the proxies on the first host, the rest dealt to the others */
        SKEWED,
        /** each proxy on a random host (seeded) */
        RANDOM
    }

    private Pools() {
    }

    static String host(int h) {
        return "10.0.0." + (h + 1);
    }

    static ProxyRecord proxy(int h, int k, int nodes) {
        List<String> ns = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            ns.add(host(h) + ":" + (7000 + 10 * k + i));
        }
        return new ProxyRecord(host(h) + ":" + (6000 + k), host(h), ns);
    }

    /** {@code proxies} proxies with {@code nodes} Redis nodes each over {@code hosts} hosts. */
    static List<ProxyRecord> pool(int hosts, int proxies, Shape shape, int nodes, long seed) {
        Random random = new Random(seed);
        int[] perHost = new int[hosts];
        List<ProxyRecord> out = new ArrayList<>();
        for (int i = 0; i < proxies; i++) {
            int h = switch (shape) {
                case BALANCED -> i % hosts;
                case SKEWED -> hosts == 1 || i < proxies / 2 ? 0 : 1 + (i % (hosts - 1));
                case RANDOM -> random.nextInt(hosts);
            };
            out.add(proxy(h, perHost[h]++, nodes));
        }
        return out;
    }

    /** Proxies of more hosts, numbered after the pool's, to be free. */
    static List<ProxyRecord> more(int hosts, int proxies, int nodes, int firstK) {
        List<ProxyRecord> out = new ArrayList<>();
        for (int i = 0; i < proxies; i++) {
            out.add(proxy(i % hosts, firstK + i / hosts, nodes));
        }
        return out;
    }

    static List<ProxyRecord> shuffled(List<ProxyRecord> in, long seed) {
        List<ProxyRecord> out = new ArrayList<>(in);
        Collections.shuffle(out, new Random(seed));
        return out;
    }

    static Map<String, String> hostOf(List<ProxyRecord> proxies) {
        Map<String, String> out = new TreeMap<>();
        proxies.forEach(p -> out.put(p.address(), p.host()));
        return out;
    }

    static Map<String, Integer> mastersPerHost(ClusterRecord record, Map<String, String> hostOf) {
        Map<String, Integer> out = new TreeMap<>();
        for (Shard s : record.shards()) {
            out.merge(hostOf.get(s.master().proxy()), 1, Integer::sum);
        }
        return out;
    }

    static List<NodeRef> nodes(ClusterRecord record) {
        List<NodeRef> out = new ArrayList<>();
        for (Shard s : record.shards()) {
            out.add(s.master());
            out.addAll(s.replicas());
        }
        return out;
    }
}
