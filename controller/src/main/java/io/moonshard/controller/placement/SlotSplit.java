package io.moonshard.controller.placement;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import java.util.ArrayList;
import java.util.List;

/**
 * The 16384 slots in {@code n} contiguous ranges, exactly as {@code redis-cli --cluster create} splits
 * them among its masters (redis-cli.c, clusterManagerCommandCreate): {@code slots_per_node = 16384 /
 * (float) n}; master {@code i} ends at {@code lround(cursor + slots_per_node - 1)} with {@code cursor}
 * the float sum of the earlier shares, the last one at 16383. So 3 shards get 0-5460, 5461-10922,
 * 10923-16383, as a Redis Cluster made by redis-cli does; the arithmetic is done in {@code float} as
 * there, so the boundaries match: for fewer than 2688 shards the shares differ by at most one slot;
 * beyond, the float cursor drifts and they differ by up to four, as redis-cli's do. For some counts
 * from 7542 on, redis-cli's drift runs out of slots before its last master (it would give one slot
 * 16384); there the split is the exact one, range {@code i} from {@code floor(i * 16384 / n)}.
 */
public final class SlotSplit {

    private SlotSplit() {
    }

    /** {@code n} ranges, in slot order; {@code n} from 1 to 16384. */
    public static List<SlotRange> even(int n) {
        if (n < 1 || n > SlotHash.SLOT_COUNT) {
            throw new IllegalArgumentException("the slots split into 1 to 16384 ranges: " + n);
        }
        List<SlotRange> redisCli = redisCli(n);
        return redisCli != null ? redisCli : exact(n);
    }

    /** redis-cli's rule, or null where its drift runs out of slots before the last master. */
    private static List<SlotRange> redisCli(int n) {
        float perNode = SlotHash.SLOT_COUNT / (float) n;
        List<SlotRange> out = new ArrayList<>(n);
        int first = 0;
        float cursor = 0.0f;
        for (int i = 0; i < n; i++) {
            if (first > SlotHash.SLOT_COUNT - 1) {
                return null;
            }
            // float + float - int is float in C too; lround rounds half away from zero, as Math.round
            // does for these non-negative values
            int last = Math.round(cursor + perNode - 1);
            if (last > SlotHash.SLOT_COUNT - 1 || i == n - 1) {
                last = SlotHash.SLOT_COUNT - 1;
            }
            if (last < first) {
                last = first;
            }
            out.add(new SlotRange(first, last));
            first = last + 1;
            cursor += perNode;
        }
        return List.copyOf(out);
    }

    /** Range {@code i} starts at {@code floor(i * 16384 / n)}: shares apart by at most one. */
    private static List<SlotRange> exact(int n) {
        List<SlotRange> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int first = (int) ((long) i * SlotHash.SLOT_COUNT / n);
            int next = (int) ((long) (i + 1) * SlotHash.SLOT_COUNT / n);
            out.add(new SlotRange(first, next - 1));
        }
        return List.copyOf(out);
    }

    /** The sizes of {@link #even(int)}'s ranges: each shard's even share. */
    public static int[] shares(int n) {
        return even(n).stream().mapToInt(SlotRange::size).toArray();
    }
}
