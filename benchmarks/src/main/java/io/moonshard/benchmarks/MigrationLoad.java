package io.moonshard.benchmarks;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * The client load of {@code benchmarks/migration.sh}: a cluster client (Jedis, following MOVED as any
 * cluster-aware client does) doing SET and GET of random keys {@code load:0..K-1} from T threads, each
 * sending P commands at a time (a {@code ClusterPipeline}, like {@code redis-benchmark -P}; a command of
 * a batch answered with MOVED or ASK is sent again on its own through the cluster client, which follows
 * the redirection and renews its slot map). Every second it appends one line to the CSV
 * {@code t_ms,window_ms,ops,errors,redirects}: the window's end (epoch ms, the clock of
 * {@link MigrationDriver}), its length, the commands answered in it, the commands that failed, and the
 * MOVED/ASK answers; the first 20 errors go to stderr with their time. Stops when the stop file exists
 * or after the longest run.
 *
 * <pre>
 * MigrationLoad --nodes HOST:PORT[,HOST:PORT...] --out CSV --stop-file PATH [--threads 8] [--pipeline 16]
 *               [--keyspace 100000] [--value-bytes 64] [--max-seconds 900]
 * </pre>
 */
public final class MigrationLoad {

    private static final AtomicInteger NOTED = new AtomicInteger();

    private MigrationLoad() {}

    public static void main(String[] args) throws Exception {
        Set<HostAndPort> nodes = new HashSet<>();
        Path out = null;
        Path stopFile = null;
        int threads = 8;
        int pipeline = 16;
        int keyspace = 100_000;
        int valueBytes = 64;
        long maxSeconds = 900;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--nodes" -> Arrays.stream(v.split(",")).map(HostAndPort::from).forEach(nodes::add);
                case "--out" -> out = Path.of(v);
                case "--stop-file" -> stopFile = Path.of(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--pipeline" -> pipeline = Integer.parseInt(v);
                case "--keyspace" -> keyspace = Integer.parseInt(v);
                case "--value-bytes" -> valueBytes = Integer.parseInt(v);
                case "--max-seconds" -> maxSeconds = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (nodes.isEmpty() || out == null || stopFile == null || args.length % 2 != 0) {
            System.err.println("usage: MigrationLoad --nodes HOST:PORT,... --out CSV --stop-file PATH [--threads T]"
                    + " [--pipeline P] [--keyspace K] [--value-bytes V] [--max-seconds S]");
            System.exit(2);
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(threads * 2 + 4);
        pool.setMaxIdle(threads * 2 + 4);
        pool.setJmxEnabled(false);
        RedisClusterClient cluster = RedisClusterClient.builder()
                .nodes(nodes)
                .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(10_000)
                        .connectionTimeoutMillis(5_000).build())
                .maxAttempts(10)
                .maxTotalRetriesDuration(Duration.ofSeconds(30))
                .poolConfig(pool)
                .build();
        LongAdder ops = new LongAdder();
        LongAdder errors = new LongAdder();
        LongAdder redirects = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        String value = "v".repeat(valueBytes);
        int batch = Math.max(1, pipeline);
        int keys = keyspace;
        List<Thread> workers = new ArrayList<>();
        for (int n = 0; n < threads; n++) {
            Thread w = new Thread(() -> work(cluster, batch, keys, value, stop, ops, errors, redirects), "load-" + n);
            w.setDaemon(true);
            workers.add(w);
            w.start();
        }
        long started = System.currentTimeMillis();
        long deadline = started + maxSeconds * 1000;
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8), true)) {
            csv.println("t_ms,window_ms,ops,errors,redirects");
            long last = started;
            long lastOps = 0;
            long lastErrors = 0;
            long lastRedirects = 0;
            while (!Files.exists(stopFile) && System.currentTimeMillis() < deadline) {
                long next = last + 1000;
                long sleep = next - System.currentTimeMillis();
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
                long now = System.currentTimeMillis();
                long o = ops.sum();
                long e = errors.sum();
                long r = redirects.sum();
                csv.println(now + "," + (now - last) + "," + (o - lastOps) + "," + (e - lastErrors) + "," + (r - lastRedirects));
                last = now;
                lastOps = o;
                lastErrors = e;
                lastRedirects = r;
            }
        }
        stop.set(true);
        for (Thread w : workers) {
            w.join(2000);
        }
        System.err.println("MigrationLoad: ops=" + ops.sum() + " errors=" + errors.sum() + " redirects=" + redirects.sum());
        System.exit(0); // workers stuck in a read must not keep the JVM up
    }

    private static void work(RedisClusterClient cluster, int batch, int keyspace, String value, AtomicBoolean stop,
                             LongAdder ops, LongAdder errors, LongAdder redirects) {
        String[] keys = new String[batch];
        boolean[] isSet = new boolean[batch];
        List<Response<String>> replies = new ArrayList<>(batch);
        while (!stop.get()) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = 0; i < batch; i++) {
                keys[i] = "load:" + rnd.nextInt(keyspace);
                isSet[i] = rnd.nextBoolean();
            }
            if (batch == 1) {
                try {
                    one(cluster, keys[0], isSet[0], value);
                    ops.increment();
                } catch (JedisException e) {
                    errors.increment();
                    note(e);
                    pause();
                }
                continue;
            }
            replies.clear();
            try (ClusterPipeline p = cluster.pipelined()) {
                for (int i = 0; i < batch; i++) {
                    replies.add(isSet[i] ? p.set(keys[i], value) : p.get(keys[i]));
                }
                p.sync();
            } catch (JedisException e) {
                // the batch as a whole failed (e.g. a connection closed): count what did not answer
                errors.add(batch - answered(replies));
                ops.add(answered(replies));
                note(e);
                pause();
                continue;
            }
            for (int i = 0; i < batch; i++) {
                try {
                    replies.get(i).get();
                    ops.increment();
                } catch (JedisRedirectionException e) {
                    redirects.increment();
                    try {
                        one(cluster, keys[i], isSet[i], value);
                        ops.increment();
                    } catch (JedisException again) {
                        errors.increment();
                        note(again);
                    }
                } catch (JedisException e) {
                    errors.increment();
                    note(e);
                }
            }
        }
    }

    /** The first errors, with the time, on stderr: the count alone does not say what failed. */
    private static void note(JedisException e) {
        if (NOTED.incrementAndGet() <= 20) {
            System.err.println("MigrationLoad: error at " + System.currentTimeMillis() + ": " + e);
        }
    }

    private static int answered(List<Response<String>> replies) {
        int n = 0;
        for (Response<String> r : replies) {
            try {
                r.get();
                n++;
            } catch (RuntimeException e) {
                // not answered, or answered with an error
            }
        }
        return n;
    }

    private static void one(RedisClusterClient cluster, String key, boolean isSet, String value) {
        if (isSet) {
            cluster.set(key, value);
        } else {
            cluster.get(key);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
