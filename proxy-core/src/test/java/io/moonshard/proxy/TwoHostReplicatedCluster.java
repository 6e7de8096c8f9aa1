package io.moonshard.proxy;

import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * undermoon's layout on two "hosts" (127.0.0.1 and 127.0.0.2): on each, a proxy announcing its own
 * host, a master Redis and a replica Redis of the OTHER host's master, made a replica here with
 * {@code REPLICAOF} (the proxy applies no roles). Proxy 0 serves 0-8191, proxy 1 8192-16383. The
 * metadata is pushed as undermoon's coordinator pushes it: SETREPL, then SETCLUSTER, to each proxy.
 */
final class TwoHostReplicatedCluster implements AutoCloseable {

    static final String NAME = "replicas";
    static final String[] HOSTS = {"127.0.0.1", "127.0.0.2"};
    static final int[][] RANGES = {{0, 8191}, {8192, 16383}};

    final List<RedisProcess> masters = new ArrayList<>();
    /** replicas.get(i): on host i, replicating masters.get(1 - i). */
    final List<RedisProcess> replicas = new ArrayList<>();
    final List<ProxyServer> proxies = new ArrayList<>();
    final List<String> proxyAddresses = new ArrayList<>();
    private long epoch;

    private TwoHostReplicatedCluster() {
    }

    static TwoHostReplicatedCluster start(UnaryOperator<ProxyConfig.Builder> tuning) {
        TwoHostReplicatedCluster cluster = new TwoHostReplicatedCluster();
        try {
            for (String host : HOSTS) {
                // a diskless full sync starts at once (Redis 7.0 waits 5 s by default to batch replicas)
                cluster.masters.add(RedisProcess.startOn(host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                cluster.replicas.add(RedisProcess.startOn(host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
            }
            // no REPLICAOF here: SETREPL makes each proxy attach its replica (with replica-announce-ip)
            for (String host : HOSTS) {
                String address = host + ":" + FreePorts.next();
                ProxyConfig config = tuning.apply(ProxyConfig.builder().address(address).threads(1)).build();
                cluster.proxies.add(ProxyServer.builder().config(config).build().start());
                cluster.proxyAddresses.add(address);
            }
            cluster.push();
            return cluster;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cluster.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** SETREPL, then SETCLUSTER, at a new epoch, to each proxy. */
    void push() {
        epoch++;
        for (int i = 0; i < 2; i++) {
            expectOk(i, setRepl(i));
            expectOk(i, setCluster(i));
        }
    }

    /** Pushes a SETREPL without any replica (every node a master), as for a cluster whose replicas were removed. */
    void pushWithoutReplicas() {
        epoch++;
        for (int i = 0; i < 2; i++) {
            expectOk(i, "UMCTL", "SETREPL", Long.toString(epoch), "NOFLAGS", "master", NAME, masters.get(i).address(), "0");
        }
    }

    long epoch() {
        return epoch;
    }

    String[] setRepl(int i) {
        int other = 1 - i;
        return new String[] {"UMCTL", "SETREPL", Long.toString(epoch), "NOFLAGS",
                "master", NAME, masters.get(i).address(), "1", replicas.get(other).address(), proxyAddresses.get(other),
                "replica", NAME, replicas.get(i).address(), "1", masters.get(other).address(), proxyAddresses.get(other)};
    }

    String[] setCluster(int i) {
        int other = 1 - i;
        return new String[] {"UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAGS", NAME,
                masters.get(i).address(), "1", RANGES[i][0] + "-" + RANGES[i][1],
                "PEER", proxyAddresses.get(other), "1", RANGES[other][0] + "-" + RANGES[other][1]};
    }

    private void expectOk(int proxy, String... command) {
        String reply = call(proxy, command);
        if (!reply.equals("+OK\r\n")) {
            throw new IllegalStateException(String.join(" ", command) + " on proxy " + proxy + ": " + reply);
        }
    }

    /** One command to proxy {@code i}, raw reply. */
    String call(int i, String... command) {
        try (RawRedisClient client = client(i)) {
            return client.call(command);
        }
    }

    RawRedisClient client(int i) {
        return new RawRedisClient(HOSTS[i], port(i));
    }

    int port(int i) {
        return proxies.get(i).boundAddress().getPort();
    }

    /** Waits until both proxies show all four nodes online in CLUSTER SHARDS (replicas listed in CLUSTER SLOTS). */
    void awaitReplicasShown() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = 0; i < 2; i++) {
                String shards = call(i, "CLUSTER", "SHARDS");
                if (shards.split("\\$6\r\nonline\r\n", -1).length - 1 != 4) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Writes to each master and waits until both replicas have it: their offsets are then not 0. */
    void awaitReplicasInStep() {
        for (int i = 0; i < 2; i++) {
            masters.get(i).rawCommand("SET", "warm-up", "1");
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = 0; i < 2; i++) {
                if (!masters.get(i).rawCommand("WAIT", "1", "100").equals(":1\r\n")) {
                    return false;
                }
            }
            return true;
        });
    }

    /** {@code cmdstat_<command>} calls of {@code redis} since its last CONFIG RESETSTAT. */
    static long calls(RedisProcess redis, String command) {
        String stats = redis.rawCommand("INFO", "commandstats");
        String marker = "cmdstat_" + command + ":calls=";
        int at = stats.indexOf(marker);
        if (at < 0) {
            return 0;
        }
        int from = at + marker.length();
        int to = stats.indexOf(',', from);
        return Long.parseLong(stats.substring(from, to));
    }

    void resetStats() {
        for (RedisProcess redis : List.of(masters.get(0), masters.get(1), replicas.get(0), replicas.get(1))) {
            redis.rawCommand("CONFIG", "RESETSTAT");
        }
    }

    /**
     * Shard 0 now on host 1: host 1's replica of it is its master (beside host 1's own master), and host 0's
     * old master is that shard's replica. What a controller pushes after the failover, at {@code newEpoch}.
     */
    void pushFailedOver(long newEpoch) {
        epoch = newEpoch;
        String e = Long.toString(epoch);
        expectOk(1, "UMCTL", "SETREPL", e, "NOFLAG",
                "master", NAME, masters.get(1).address(), "1", replicas.get(0).address(), proxyAddresses.get(0),
                "master", NAME, replicas.get(1).address(), "1", masters.get(0).address(), proxyAddresses.get(0));
        expectOk(0, "UMCTL", "SETREPL", e, "NOFLAG",
                "replica", NAME, masters.get(0).address(), "1", replicas.get(1).address(), proxyAddresses.get(1),
                "replica", NAME, replicas.get(0).address(), "1", masters.get(1).address(), proxyAddresses.get(1));
        expectOk(1, "UMCTL", "SETCLUSTER", "v2", e, "NOFLAG", NAME,
                masters.get(1).address(), "1", RANGES[1][0] + "-" + RANGES[1][1],
                replicas.get(1).address(), "1", RANGES[0][0] + "-" + RANGES[0][1]);
        expectOk(0, "UMCTL", "SETCLUSTER", "v2", e, "NOFLAG", NAME,
                "PEER", proxyAddresses.get(1), "2", RANGES[0][0] + "-" + RANGES[0][1], RANGES[1][0] + "-" + RANGES[1][1]);
    }

    /** UMCTL INFOREPL of proxy {@code i} as text. */
    String infoRepl(int i) {
        return call(i, "UMCTL", "INFOREPL");
    }

    /** Waits until proxy {@code i}'s INFOREPL shows {@code state:<state>} for node {@code node}. */
    void awaitState(int i, String node, String state, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> entryOf(infoRepl(i), node).contains("state:" + state + "\n"));
    }

    /** The INFOREPL lines of the entry for {@code node}, "" when absent. */
    static String entryOf(String infoRepl, String node) {
        for (String entry : infoRepl.split("\\*\\d+\r\n\\$")) {
            if (entry.contains("node_address:" + node + "\n")) {
                return entry;
            }
        }
        return "";
    }

    @Override
    public void close() {
        // the Redis processes are stopped whatever a proxy's close throws
        try {
            for (ProxyServer proxy : proxies) {
                proxy.close();
            }
        } finally {
            for (RedisProcess redis : replicas) {
                redis.close();
            }
            for (RedisProcess redis : masters) {
                redis.close();
            }
        }
    }
}
