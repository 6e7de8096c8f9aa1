package io.moonshard.controller.placement;

import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Redis nodes a plan may give to new masters and replicas: the nodes of free proxies, each proxy
 * taken into the cluster at its first use, and the nodes of the proxies it took that are still unused;
 * for replicas also the unused nodes of the cluster's own live proxies (a failover then needs no free
 * proxy when its cluster has a spare node on another host).
 * It keeps the masters and nodes per host as it hands nodes out, so each pick sees the earlier ones.
 * Mutable, used by one plan on one thread and dropped with it.
 */
final class NodePool {

    /** A node a replica could take, and what ranks it. */
    private record Candidate(ProxyRecord proxy, NodeRef node, boolean avoided, int hostMasters, boolean newProxy,
                             int hostNodes) {
    }

    private static final Comparator<Candidate> CANDIDATES = Comparator.comparing(Candidate::avoided)
            .thenComparingInt(Candidate::hostMasters)
            .thenComparing(Candidate::newProxy)
            .thenComparingInt(Candidate::hostNodes)
            .thenComparing(c -> c.proxy().address());

    private final List<ProxyRecord> free = new ArrayList<>();
    /** The cluster's own live proxies: their unused nodes may become replicas without taking anything. */
    private final List<ProxyRecord> own = new ArrayList<>();
    private final Set<String> taken = new LinkedHashSet<>();
    private final Set<NodeRef> used = new HashSet<>();
    private final Map<String, Integer> mastersPerHost;
    private final Map<String, Integer> nodesPerHost;

    NodePool(ClusterRecord record, Hosts hosts, List<ProxyRecord> freeProxies) {
        this(record, hosts, freeProxies, List.of(), null);
    }

    /**
     * @param members      the cluster's proxies, whose unused nodes replicas may take
     * @param excludeProxy a member that failed (none of its nodes is handed out); null: none
     */
    NodePool(ClusterRecord record, Hosts hosts, List<ProxyRecord> freeProxies, List<ProxyRecord> members,
             String excludeProxy) {
        Set<String> inCluster = new HashSet<>(record.proxies());
        inCluster.addAll(record.servingProxies());
        Set<String> seen = new HashSet<>();
        for (ProxyRecord p : freeProxies) {
            if (!inCluster.contains(p.address()) && seen.add(p.address())) {
                free.add(p);
            }
        }
        free.sort(Comparator.comparing(ProxyRecord::address));
        for (ProxyRecord p : members) {
            if (record.proxies().contains(p.address()) && !p.address().equals(excludeProxy) && seen.add(p.address())) {
                own.add(p);
            }
        }
        own.sort(Comparator.comparing(ProxyRecord::address));
        for (Shard s : record.shards()) {
            used.add(s.master());
            used.addAll(s.replicas());
        }
        mastersPerHost = new TreeMap<>(hosts.masters(record));
        nodesPerHost = new TreeMap<>(hosts.nodes(record));
    }

    /** The proxies taken from the free pool, in the order taken. */
    List<String> taken() {
        return List.copyOf(taken);
    }

    /**
     * Node 0 of a free proxy not taken yet, on the host with the fewest masters (then fewest nodes,
     * then by name), or null when none is left.
     */
    NodeRef master() {
        ProxyRecord best = null;
        for (ProxyRecord p : free) {
            if (taken.contains(p.address())) {
                continue;
            }
            if (best == null || masterOrder().compare(p, best) < 0) {
                best = p;
            }
        }
        if (best == null) {
            return null;
        }
        NodeRef node = new NodeRef(best.address(), best.nodes().get(0));
        take(best, node);
        mastersPerHost.merge(best.host(), 1, Integer::sum);
        return node;
    }

    private Comparator<ProxyRecord> masterOrder() {
        return Comparator.<ProxyRecord>comparingInt(p -> mastersPerHost.getOrDefault(p.host(), 0))
                .thenComparingInt(p -> nodesPerHost.getOrDefault(p.host(), 0))
                .thenComparing(ProxyRecord::address);
    }

    /**
     * A node for a replica on a host other than {@code masterHost}: preferably on none of {@code
     * avoidHosts} (where the shard's other replicas are), then on the host with the fewest masters (after
     * a failover piled two masters on one host, the dead master's replacement lands where a master is
     * missing, so {@link Rebalance} can hand one back there), then an unused node of a proxy already
     * taken (so the plan takes few proxies), then on the host with the fewest nodes, then by address;
     * null when none is left.
     */
    NodeRef replica(String masterHost, Set<String> avoidHosts) {
        return replica(masterHost, avoidHosts, List.of());
    }

    /**
     * {@link #replica(String, Set)} for a plan that has more replicas to place after this one, whose
     * masters are on {@code laterMasterHosts} (one entry per replica still to place): the best node
     * whose taking leaves a node for each of them on a host other than its master's. Without that look
     * ahead the ranking can take the one node a later replica could use: three new masters on three
     * hosts, one free node left on each, and the first two replicas placed on each other's master hosts
     * leave the third replica only its own master's host, although a placement of all three exists.
     * When no node keeps the rest placeable, the best one anyway (a later pick then finds none).
     */
    NodeRef replica(String masterHost, Set<String> avoidHosts, List<String> laterMasterHosts) {
        List<ProxyRecord> proxies = new ArrayList<>(own);
        proxies.addAll(free);
        List<Candidate> candidates = new ArrayList<>();
        Map<String, Integer> unused = new TreeMap<>();
        for (ProxyRecord p : proxies) {
            boolean first = true;
            for (String n : p.nodes()) {
                NodeRef node = new NodeRef(p.address(), n);
                if (used.contains(node)) {
                    continue;
                }
                unused.merge(p.host(), 1, Integer::sum);
                if (first && !p.host().equals(masterHost)) {
                    boolean isNew = !taken.contains(p.address()) && !own.contains(p);
                    candidates.add(new Candidate(p, node, avoidHosts.contains(p.host()),
                            mastersPerHost.getOrDefault(p.host(), 0), isNew, nodesPerHost.getOrDefault(p.host(), 0)));
                }
                first = false; // a proxy's first unused node is as good as its others
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(CANDIDATES);
        Candidate best = candidates.get(0);
        for (Candidate c : candidates) {
            Map<String, Integer> left = new TreeMap<>(unused);
            left.merge(c.proxy().host(), -1, Integer::sum);
            if (placeable(laterMasterHosts, left)) {
                best = c;
                break;
            }
        }
        take(best.proxy(), best.node());
        return best.node();
    }

    /**
     * Whether each replica, whose master is on {@code masterHosts} (one entry per replica), can get its
     * own node from {@code unusedPerHost} on a host other than its master's. By Hall's theorem this is
     * exact with two checks: a set of replicas whose masters are on two hosts or more may use every host,
     * so they need no more nodes than there are in all; the replicas of masters on one host {@code h}
     * may use every host but {@code h}.
     */
    static boolean placeable(List<String> masterHosts, Map<String, Integer> unusedPerHost) {
        int total = unusedPerHost.values().stream().mapToInt(Integer::intValue).sum();
        if (masterHosts.size() > total) {
            return false;
        }
        Map<String, Integer> perMasterHost = new TreeMap<>();
        masterHosts.forEach(h -> perMasterHost.merge(h, 1, Integer::sum));
        for (Map.Entry<String, Integer> e : perMasterHost.entrySet()) {
            if (e.getValue() > total - unusedPerHost.getOrDefault(e.getKey(), 0)) {
                return false;
            }
        }
        return true;
    }

    private void take(ProxyRecord p, NodeRef node) {
        if (!own.contains(p)) {
            taken.add(p.address());
        }
        used.add(node);
        nodesPerHost.merge(p.host(), 1, Integer::sum);
    }

    /** A node becomes master where it was counted as a replica (a promotion within the plan). */
    void promoted(String host) {
        mastersPerHost.merge(host, 1, Integer::sum);
    }

    /** A master is gone from {@code host} (its proxy died, or it was demoted). */
    void demoted(String host) {
        mastersPerHost.merge(host, -1, Integer::sum);
    }

    /** A node on {@code host} left the cluster. */
    void left(String host) {
        nodesPerHost.merge(host, -1, Integer::sum);
    }
}
