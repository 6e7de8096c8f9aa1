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
 * Two "hosts" (127.0.0.1 and 127.0.0.2), each with a proxy, a master Redis and a replica Redis of the
 * other host's master, configured as undermoon's coordinator does it: SETREPL, then SETCLUSTER. Host 0's
 * master owns slots 0-8191, host 1's 8192-16383. {@link #failedOver} is the layout after shard 0's master
 * moved to host 1 (its replica there promoted), which a controller would push next.
 */
final class ReplicatedPair implements AutoCloseable {

    static final String NAME = "replpair";
    static final String[] HOSTS = {"127.0.0.1", "127.0.0.2"};
    static final int[][] SLOTS = {{0, 8191}, {8192, 16383}};

    final List<ProxyServer> proxies = new ArrayList<>();
    final List<String> proxyAddresses = new ArrayList<>();
    final List<RedisProcess> masters = new ArrayList<>();
    final List<RedisProcess> replicas = new ArrayList<>();
    long epoch;

    static ReplicatedPair start() {
        return start(b -> b);
    }

    static ReplicatedPair start(UnaryOperator<ProxyConfig.Builder> tuning) {
        ReplicatedPair pair = new ReplicatedPair();
        try {
            for (String host : HOSTS) {
                // a diskless full sync starts at once (Redis 7.0 waits 5 s by default to batch replicas)
                pair.masters.add(RedisProcess.startOn(host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                pair.replicas.add(RedisProcess.startOn(host, FreePorts.next(), "--repl-diskless-sync-delay", "0"));
                String address = host + ":" + FreePorts.next();
                ProxyConfig config = tuning.apply(ProxyConfig.builder().address(address).threads(1)).build();
                pair.proxies.add(ProxyServer.builder().config(config).build().start());
                pair.proxyAddresses.add(address);
            }
            pair.pushSteady();
            return pair;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pair.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException | Error e) {
            pair.close();
            throw e;
        }
    }

    int port(int i) {
        return proxies.get(i).boundAddress().getPort();
    }

    /** One command to proxy {@code i}, with the admin rights UMCTL needs; the raw reply. */
    String call(int i, String... args) {
        try (RawRedisClient client = new RawRedisClient(HOSTS[i], port(i))) {
            return client.call(args);
        }
    }

    /** Every host's master with its replica on the other host: SETREPL first, then SETCLUSTER, at a new epoch. */
    void pushSteady() {
        epoch++;
        for (int i = 0; i < 2; i++) {
            int other = 1 - i;
            expectOk(i, "UMCTL", "SETREPL", Long.toString(epoch), "NOFLAG",
                    "master", NAME, masters.get(i).address(), "1", replicas.get(other).address(), proxyAddresses.get(other),
                    "replica", NAME, replicas.get(i).address(), "1", masters.get(other).address(), proxyAddresses.get(other));
        }
        for (int i = 0; i < 2; i++) {
            int other = 1 - i;
            expectOk(i, "UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAG", NAME,
                    masters.get(i).address(), "1", range(SLOTS[i]),
                    "PEER", proxyAddresses.get(other), "1", range(SLOTS[other]));
        }
    }

    /**
     * Shard 0 now on host 1: host 1's replica of it is its master (beside host 1's own master), and host 0's
     * old master is that shard's replica. What a controller pushes after the failover, at {@code newEpoch}.
     */
    void pushFailedOver(long newEpoch) {
        epoch = newEpoch;
        expectOk(1, "UMCTL", "SETREPL", Long.toString(epoch), "NOFLAG",
                "master", NAME, masters.get(1).address(), "1", replicas.get(0).address(), proxyAddresses.get(0),
                "master", NAME, replicas.get(1).address(), "1", masters.get(0).address(), proxyAddresses.get(0));
        expectOk(0, "UMCTL", "SETREPL", Long.toString(epoch), "NOFLAG",
                "replica", NAME, masters.get(0).address(), "1", replicas.get(1).address(), proxyAddresses.get(1),
                "replica", NAME, replicas.get(0).address(), "1", masters.get(1).address(), proxyAddresses.get(1));
        expectOk(1, "UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAG", NAME,
                masters.get(1).address(), "1", range(SLOTS[1]), replicas.get(1).address(), "1", range(SLOTS[0]));
        expectOk(0, "UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAG", NAME,
                "PEER", proxyAddresses.get(1), "2", range(SLOTS[0]), range(SLOTS[1]));
    }

    private void expectOk(int i, String... args) {
        String reply = call(i, args);
        if (!reply.equals("+OK\r\n")) {
            throw new IllegalStateException(args[1] + " on proxy " + i + " failed: " + reply);
        }
    }

    static String range(int[] r) {
        return r[0] + "-" + r[1];
    }

    /** UMCTL INFOREPL of proxy {@code i} as text. */
    String infoRepl(int i) {
        return call(i, "UMCTL", "INFOREPL");
    }

    /** Waits until proxy {@code i}'s INFOREPL shows {@code line} (e.g. {@code state:in_sync}) for node {@code node}. */
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
        for (ProxyServer p : proxies) {
            p.close();
        }
        for (RedisProcess r : masters) {
            r.close();
        }
        for (RedisProcess r : replicas) {
            r.close();
        }
    }
}
