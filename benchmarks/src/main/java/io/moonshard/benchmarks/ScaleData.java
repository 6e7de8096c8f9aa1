package io.moonshard.benchmarks;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The data set of {@code benchmarks/controller-scale.sh}, and the check of where it ended up.
 *
 * <pre>
 * ScaleData load  --nodes HOST:PORT[,...] --keys N [--value-bytes 512] [--prefix key:] [--threads 4] [--batch 256]
 * ScaleData check --node HOST:PORT --slots RANGE[,RANGE...] [--prefix key:] [--sample 20]
 * </pre>
 *
 * <p>{@code load} SETs exactly the keys {@code <prefix>0 .. <prefix>N-1} (values of V bytes) through the
 * proxies with a cluster client, so every key lands in its slot's shard as any client's write would;
 * {@code redis-benchmark -r N -n N} would write random keys with repeats (about 63% distinct) and leave
 * the count of keys unknown. The threads take disjoint ranges of the key numbers, pipelined {@code
 * --batch} at a time; a batch that fails is sent again (SET is idempotent). Prints {@code loaded=N
 * seconds=S keys_per_s=R retries=B}; exit status 1 if a batch still failed after 5 tries.
 *
 * <p>{@code check} SCANs one plain Redis (a shard's master) and prints, as {@code key=value} fields: the
 * keys it holds ({@code keys}), those with the data set's prefix ({@code data}), the others ({@code
 * other}, e.g. the load client's), and the keys whose slot is outside the shard's ranges ({@code
 * foreign}, with up to {@code --sample} of them named): a shard that kept or received keys of slots it
 * does not own has foreign keys. SCAN may return a key twice when the keyspace grows meanwhile; the
 * counts are of distinct keys, and nothing writes to the node while it is checked here.
 */
public final class ScaleData {

    private ScaleData() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || (args.length - 1) % 2 != 0) {
            usage();
        }
        String mode = args[0];
        String nodes = null;
        String node = null;
        String slots = null;
        long keys = -1;
        int valueBytes = 512;
        String prefix = "key:";
        int threads = 4;
        int batch = 256;
        int sample = 20;
        for (int i = 1; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--nodes" -> nodes = v;
                case "--node" -> node = v;
                case "--slots" -> slots = v;
                case "--keys" -> keys = Long.parseLong(v);
                case "--value-bytes" -> valueBytes = Integer.parseInt(v);
                case "--prefix" -> prefix = v;
                case "--threads" -> threads = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--sample" -> sample = Integer.parseInt(v);
                default -> usage();
            }
        }
        int code;
        if (mode.equals("load") && nodes != null && keys >= 0) {
            code = load(nodes, keys, valueBytes, prefix, Math.max(1, threads), Math.max(1, batch));
        } else if (mode.equals("check") && node != null && slots != null) {
            code = check(node, slots, prefix, sample);
        } else {
            usage();
            return;
        }
        System.exit(code); // pooled connections' threads must not keep the JVM up
    }

    private static void usage() {
        System.err.println("usage: ScaleData load --nodes HOST:PORT,... --keys N [--value-bytes V] [--prefix P]"
                + " [--threads T] [--batch B]\n"
                + "       ScaleData check --node HOST:PORT --slots RANGE,... [--prefix P] [--sample S]");
        System.exit(2);
    }

    private static int load(String nodeList, long keys, int valueBytes, String prefix, int threads, int batch)
            throws InterruptedException {
        Set<HostAndPort> seeds = new HashSet<>();
        Arrays.stream(nodeList.split(",")).map(HostAndPort::from).forEach(seeds::add);
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(threads * 2 + 4);
        pool.setMaxIdle(threads * 2 + 4);
        pool.setJmxEnabled(false);
        RedisClusterClient cluster = RedisClusterClient.builder()
                .nodes(seeds)
                .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(30_000)
                        .connectionTimeoutMillis(5_000).build())
                .maxAttempts(10)
                .maxTotalRetriesDuration(Duration.ofSeconds(60))
                .poolConfig(pool)
                .build();
        String value = "x".repeat(valueBytes);
        AtomicLong loaded = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long started = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        long per = (keys + threads - 1) / threads;
        for (int t = 0; t < threads; t++) {
            long from = Math.min(keys, t * per);
            long to = Math.min(keys, from + per);
            Thread w = new Thread(() -> {
                for (long k = from; k < to && failed.get() == 0; k += batch) {
                    long end = Math.min(to, k + batch);
                    if (setBatch(cluster, prefix, k, end, value, retries)) {
                        loaded.addAndGet(end - k);
                    } else {
                        failed.addAndGet(end - k);
                    }
                }
            }, "load-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("loaded=%d failed=%d seconds=%.1f keys_per_s=%.0f retries=%d%n", loaded.get(), failed.get(),
                seconds, loaded.get() / Math.max(seconds, 1e-9), retries.get());
        return failed.get() == 0 ? 0 : 1;
    }

    /** SETs keys [from, to) in one pipeline; again (up to 5 tries) when any of them failed. */
    private static boolean setBatch(RedisClusterClient cluster, String prefix, long from, long to, String value,
                                    AtomicLong retries) {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0) {
                retries.incrementAndGet();
            }
            List<Response<String>> replies = new ArrayList<>((int) (to - from));
            try (ClusterPipeline p = cluster.pipelined()) {
                for (long k = from; k < to; k++) {
                    replies.add(p.set(prefix + k, value));
                }
                p.sync();
                boolean ok = true;
                for (Response<String> r : replies) {
                    ok &= "OK".equals(r.get());
                }
                if (ok) {
                    return true;
                }
            } catch (JedisException e) {
                // a connection closed or a reply was an error: the whole batch again
            }
        }
        return false;
    }

    private static int check(String node, String slotList, String prefix, int sample) {
        List<SlotRange> ranges = new ArrayList<>();
        for (String r : slotList.split(",")) {
            if (!r.isBlank()) {
                ranges.add(SlotRange.parse(r.trim()));
            }
        }
        SlotSet owned = SlotSet.of(ranges);
        HostAndPort at = HostAndPort.from(node);
        Set<String> seen = new HashSet<>();
        long data = 0;
        long other = 0;
        long foreign = 0;
        List<String> named = new ArrayList<>();
        try (Jedis jedis = new Jedis(at.getHost(), at.getPort(), 30_000)) {
            ScanParams params = new ScanParams().count(1000);
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, params);
                for (String key : page.getResult()) {
                    if (!seen.add(key)) {
                        continue;
                    }
                    if (key.startsWith(prefix)) {
                        data++;
                    } else {
                        other++;
                    }
                    int slot = SlotHash.slot(key);
                    if (!owned.contains(slot)) {
                        foreign++;
                        if (named.size() < sample) {
                            named.add(key + "@" + slot);
                        }
                    }
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        System.out.printf("node=%s slots=%d keys=%d data=%d other=%d foreign=%d foreign_sample=%s%n", node,
                owned.size(), seen.size(), data, other, foreign, named.isEmpty() ? "-" : String.join(" ", named));
        return 0;
    }
}
