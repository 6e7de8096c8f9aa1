package io.moonshard.benchmarks;

import io.moonshard.cluster.slot.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.RestoreParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One way of moving the keys of slots {@code first..last} from one plain redis-server to another,
 * measured (a probe for {@code benchmarks/migration-cost.sh}, not a migration engine): a full SCAN of
 * the source with the slot computed here, then the keys in batches by one of
 * <ul>
 *   <li>{@code scan}: nothing, the enumeration alone;</li>
 *   <li>{@code migrate}: {@code MIGRATE host port "" 0 timeout COPY REPLACE KEYS ...} (Redis to Redis);</li>
 *   <li>{@code dump}: pipelined {@code DUMP} + {@code PTTL} at the source, then pipelined
 *       {@code RESTORE ... REPLACE} at the destination;</li>
 *   <li>{@code mgetset}: {@code MGET} at the source, {@code MSET} at the destination (strings only);</li>
 *   <li>{@code slotkeys}: no SCAN; the source is a cluster-enabled Redis owning every slot, asked
 *       {@code CLUSTER GETKEYSINSLOT} slot by slot, each slot's keys then copied as {@code mgetset}.</li>
 * </ul>
 * Prints one line of {@code name=value} pairs: keys scanned and moved, wall time, and the longest batch.
 *
 * <p>Arguments: {@code mode srcHost srcPort dstHost dstPort batch scanCount firstSlot lastSlot}.
 */
public final class MigrationCostProbe {

    private MigrationCostProbe() {
    }

    public static void main(String[] args) {
        if (args.length != 9) {
            throw new IllegalArgumentException("usage: mode srcHost srcPort dstHost dstPort batch scanCount firstSlot lastSlot");
        }
        String mode = args[0];
        String dstHost = args[3];
        int dstPort = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        int scanCount = Integer.parseInt(args[6]);
        int firstSlot = Integer.parseInt(args[7]);
        int lastSlot = Integer.parseInt(args[8]);
        try (Jedis src = new Jedis(args[1], Integer.parseInt(args[2]), 60_000);
             Jedis dst = new Jedis(dstHost, dstPort, 60_000)) {
            long start = System.nanoTime();
            if (mode.equals("slotkeys")) {
                long moved = 0;
                long longestBatch = 0;
                for (int slot = firstSlot; slot <= lastSlot; slot++) {
                    List<byte[]> keys = src.clusterGetKeysInSlotBinary(slot, Integer.MAX_VALUE);
                    for (int from = 0; from < keys.size(); from += batch) {
                        List<byte[]> part = keys.subList(from, Math.min(keys.size(), from + batch));
                        long batchStart = System.nanoTime();
                        move("mgetset", src, dst, dstHost, dstPort, part);
                        longestBatch = Math.max(longestBatch, System.nanoTime() - batchStart);
                        moved += part.size();
                    }
                }
                report(mode, batch, scanCount, 0, moved, start, longestBatch, dst);
                return;
            }
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            ScanParams params = new ScanParams().count(scanCount);
            List<byte[]> pending = new ArrayList<>();
            long scanned = 0;
            long moved = 0;
            long longestBatch = 0;
            boolean done;
            do {
                ScanResult<byte[]> page = src.scan(cursor, params);
                cursor = page.getCursorAsBytes();
                done = Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY);
                for (byte[] key : page.getResult()) {
                    scanned++;
                    int slot = SlotHash.slot(key);
                    if (!mode.equals("scan") && slot >= firstSlot && slot <= lastSlot) {
                        pending.add(key);
                    }
                }
                while (pending.size() >= batch || (done && !pending.isEmpty())) {
                    List<byte[]> keys = new ArrayList<>(pending.subList(0, Math.min(batch, pending.size())));
                    pending.subList(0, keys.size()).clear();
                    long batchStart = System.nanoTime();
                    move(mode, src, dst, dstHost, dstPort, keys);
                    longestBatch = Math.max(longestBatch, System.nanoTime() - batchStart);
                    moved += keys.size();
                }
            } while (!done);
            report(mode, batch, scanCount, scanned, moved, start, longestBatch, dst);
        }
    }

    private static void report(String mode, int batch, int scanCount, long scanned, long moved, long startNanos,
                               long longestBatchNanos, Jedis dst) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("mode=%s batch=%d scan_count=%d scanned=%d moved=%d wall_s=%.2f keys_per_s=%.0f"
                        + " longest_batch_ms=%.1f dst_dbsize=%d%n", mode, batch, scanCount, scanned, moved, seconds,
                moved / seconds, longestBatchNanos / 1e6, dst.dbSize());
    }

    private static void move(String mode, Jedis src, Jedis dst, String dstHost, int dstPort, List<byte[]> keys) {
        switch (mode) {
            case "migrate" -> {
                List<byte[]> migrate = new ArrayList<>();
                for (String part : new String[] {dstHost, Integer.toString(dstPort), "", "0", "10000", "COPY", "REPLACE",
                        "KEYS"}) {
                    migrate.add(part.getBytes(StandardCharsets.US_ASCII));
                }
                migrate.addAll(keys);
                src.sendCommand(Protocol.Command.MIGRATE, migrate.toArray(new byte[0][]));
            }
            case "dump" -> {
                Pipeline reads = src.pipelined();
                List<Response<byte[]>> dumps = new ArrayList<>(keys.size());
                List<Response<Long>> ttls = new ArrayList<>(keys.size());
                for (byte[] key : keys) {
                    dumps.add(reads.dump(key));
                    ttls.add(reads.pttl(key));
                }
                reads.sync();
                Pipeline writes = dst.pipelined();
                for (int i = 0; i < keys.size(); i++) {
                    byte[] payload = dumps.get(i).get();
                    if (payload != null) { // deleted since the SCAN
                        writes.restore(keys.get(i), Math.max(0, ttls.get(i).get()), payload,
                                RestoreParams.restoreParams().replace());
                    }
                }
                writes.sync();
            }
            case "mgetset" -> {
                List<byte[]> values = src.mget(keys.toArray(new byte[0][]));
                List<byte[]> pairs = new ArrayList<>(keys.size() * 2);
                for (int i = 0; i < keys.size(); i++) {
                    if (values.get(i) != null) {
                        pairs.add(keys.get(i));
                        pairs.add(values.get(i));
                    }
                }
                if (!pairs.isEmpty()) {
                    dst.mset(pairs.toArray(new byte[0][]));
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
    }
}
