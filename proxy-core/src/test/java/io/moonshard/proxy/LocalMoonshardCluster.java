package io.moonshard.proxy;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.util.ArrayList;
import java.util.List;

/**
 * A Moonshard cluster for integration tests: {@code proxies} in-process proxies on free loopback
 * ports, each fronting {@code backendsPerProxy} real redis-server processes, with the 16384 slots
 * split evenly (proxy i owns the i-th share; inside it, backend j owns the j-th sub-share), pushed to
 * every proxy with {@code UMCTL SETCLUSTER} at epoch 1.
 */
final class LocalMoonshardCluster implements AutoCloseable {

    static final String NAME = "testcluster";

    final List<ProxyServer> proxies = new ArrayList<>();
    final List<String> proxyAddresses = new ArrayList<>();
    /** backends.get(i).get(j): backend j of proxy i. */
    final List<List<RedisProcess>> backends = new ArrayList<>();
    /** ranges.get(i).get(j): the {start, end} ranges of backend j of proxy i. */
    final List<List<List<int[]>>> ranges = new ArrayList<>();
    private long epoch;

    private LocalMoonshardCluster() {
    }

    static LocalMoonshardCluster start(int proxyCount, int backendsPerProxy) {
        return start(proxyCount, backendsPerProxy, b -> b);
    }

    static LocalMoonshardCluster start(int proxyCount, int backendsPerProxy,
                                       java.util.function.UnaryOperator<ProxyConfig.Builder> tuning) {
        LocalMoonshardCluster cluster = new LocalMoonshardCluster();
        try {
            int perProxy = 16384 / proxyCount;
            for (int i = 0; i < proxyCount; i++) {
                int start = i * perProxy;
                int end = i == proxyCount - 1 ? 16383 : start + perProxy - 1;
                List<RedisProcess> redis = new ArrayList<>();
                List<List<int[]>> proxyRanges = new ArrayList<>();
                int perBackend = (end - start + 1) / backendsPerProxy;
                for (int j = 0; j < backendsPerProxy; j++) {
                    redis.add(RedisProcess.start());
                    int s = start + j * perBackend;
                    int e = j == backendsPerProxy - 1 ? end : s + perBackend - 1;
                    proxyRanges.add(List.of(new int[] {s, e}));
                }
                cluster.backends.add(redis);
                cluster.ranges.add(proxyRanges);
                String address = "127.0.0.1:" + FreePorts.next();
                ProxyConfig config = tuning.apply(ProxyConfig.builder().address(address).threads(1)).build();
                cluster.proxies.add(ProxyServer.builder().config(config).build().start());
                cluster.proxyAddresses.add(address);
            }
            cluster.pushMetadata();
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

    int port(int proxyIndex) {
        return proxies.get(proxyIndex).boundAddress().getPort();
    }

    /** Sends the current metadata (with a new epoch) to every proxy and checks each said +OK. */
    void pushMetadata() {
        epoch++;
        for (int i = 0; i < proxies.size(); i++) {
            String reply;
            try (RawRedisClient client = new RawRedisClient(port(i))) {
                String password = proxies.get(i).config().password();
                if (password != null) {
                    client.call("AUTH", password); // UMCTL needs the client's AUTH too
                }
                String adminPassword = proxies.get(i).config().adminPassword();
                if (adminPassword != null) {
                    client.call("UMCTL", "AUTH", adminPassword);
                }
                reply = client.call(setClusterArgs(i));
            }
            if (!reply.equals("+OK\r\n")) {
                throw new IllegalStateException("SETCLUSTER on proxy " + i + " failed: " + reply);
            }
        }
    }

    /** Gives backend {@code backend} of proxy {@code proxy} exactly these ranges (call {@link #pushMetadata()} after). */
    void assign(int proxy, int backend, int[]... slotRanges) {
        ranges.get(proxy).set(backend, List.of(slotRanges));
    }

    long epoch() {
        return epoch;
    }

    /**
     * A {@link MigrationCoordinator} over this cluster's layout and epoch (it needs one backend per
     * proxy): the next push it makes is at {@link #epoch()} + 1.
     */
    MigrationCoordinator coordinator() {
        List<MigrationCoordinator.Node> nodes = new ArrayList<>();
        for (int i = 0; i < proxies.size(); i++) {
            if (backends.get(i).size() != 1) {
                throw new IllegalArgumentException("the coordinator drives one backend per proxy");
            }
            nodes.add(new MigrationCoordinator.Node(proxyAddresses.get(i), backends.get(i).get(0).address()));
        }
        MigrationCoordinator c = new MigrationCoordinator(NAME, epoch, nodes);
        for (int i = 0; i < nodes.size(); i++) {
            c.assign(i, ranges.get(i).get(0).toArray(int[][]::new));
        }
        return c;
    }

    /** The UMCTL SETCLUSTER arguments proxy {@code index} gets for the current ranges and epoch. */
    String[] setClusterArgs(int index) {
        List<String> args = new ArrayList<>(List.of("UMCTL", "SETCLUSTER", "v2", Long.toString(epoch), "NOFLAGS", NAME));
        for (int j = 0; j < backends.get(index).size(); j++) {
            List<int[]> own = ranges.get(index).get(j);
            if (own.isEmpty()) {
                continue; // a backend without slots is left out of the metadata
            }
            args.add(backends.get(index).get(j).address());
            args.add(Integer.toString(own.size()));
            for (int[] r : own) {
                args.add(r[0] + "-" + r[1]);
            }
        }
        args.add("PEER");
        for (int p = 0; p < proxies.size(); p++) {
            if (p == index) {
                continue;
            }
            List<String> peerRanges = new ArrayList<>();
            for (List<int[]> backendRanges : ranges.get(p)) {
                for (int[] r : backendRanges) {
                    peerRanges.add(r[0] + "-" + r[1]);
                }
            }
            args.add(proxyAddresses.get(p));
            args.add(Integer.toString(peerRanges.size()));
            args.addAll(peerRanges);
        }
        return args.toArray(String[]::new);
    }

    /** Index of the proxy owning {@code slot}. */
    int proxyOwning(int slot) {
        for (int i = 0; i < ranges.size(); i++) {
            for (List<int[]> backendRanges : ranges.get(i)) {
                if (contains(backendRanges, slot)) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("no owner for slot " + slot);
    }

    private static boolean contains(List<int[]> slotRanges, int slot) {
        for (int[] r : slotRanges) {
            if (slot >= r[0] && slot <= r[1]) {
                return true;
            }
        }
        return false;
    }

    /** The backend holding {@code slot}. */
    RedisProcess backendOwning(int slot) {
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = 0; j < ranges.get(i).size(); j++) {
                if (contains(ranges.get(i).get(j), slot)) {
                    return backends.get(i).get(j);
                }
            }
        }
        throw new IllegalArgumentException("no owner for slot " + slot);
    }

    @Override
    public void close() {
        for (ProxyServer proxy : proxies) {
            proxy.close();
        }
        for (List<RedisProcess> list : backends) {
            for (RedisProcess redis : list) {
                redis.close();
            }
        }
    }
}
