package io.moonshard.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The wrapping walk against a model of Redis's cursor (dict.c {@code dictScan}: the bucket is
 * {@code cursor & mask}, then the cursor's unmasked bits are set and it is incremented bit-reversed),
 * for tables of every size, starts of every kind, and tables that grow or shrink during the walk.
 */
class ScanWrapTest {

    /** Redis's next cursor after visiting {@code cursor} in a table of 2^{@code exp} buckets. */
    private static long redisNext(long cursor, int exp) {
        long mask = (1L << exp) - 1;
        long v = cursor | ~mask;
        return Long.reverse(Long.reverse(v) + 1);
    }

    /**
     * Walks from {@code start}; the table has 2^exp buckets until {@code resizeAt} pages, then
     * 2^resizedExp. Returns the hashes (of 2^maxExp) whose keys the walk was sure to see.
     */
    private static BitSet walk(long start, int exp, int resizeAt, int resizedExp, int maxExp) {
        ScanWrap wrap = new ScanWrap(start);
        BitSet seen = new BitSet(1 << maxExp);
        String cursor = wrap.first();
        int pages = 0;
        while (cursor != null) {
            int e = pages < resizeAt ? exp : resizedExp;
            long c = Long.parseUnsignedLong(cursor);
            long bucket = c & ((1L << e) - 1);
            for (int h = 0; h < (1 << maxExp); h++) {
                if ((h & ((1L << e) - 1)) == bucket) {
                    seen.set(h);
                }
            }
            cursor = wrap.next(Long.toUnsignedString(redisNext(c, e)));
            pages++;
            assertThat(pages).as("the walk ends").isLessThan(4 * (1 << maxExp) + 4);
        }
        return seen;
    }

    @Test
    void everyBucketIsVisitedWhateverTheStart() {
        Random random = new Random(7);
        for (int exp = 0; exp <= 10; exp++) {
            for (int trial = 0; trial < 40; trial++) {
                long start = switch (trial % 4) {
                    case 0 -> 0;
                    case 1 -> random.nextInt(1 << exp); // inside the table
                    case 2 -> random.nextLong() >>> 32; // what VisibleRandomKey sends: bits above the mask too
                    default -> random.nextLong(); // any unsigned 64-bit cursor
                };
                BitSet seen = walk(start, exp, Integer.MAX_VALUE, exp, exp);
                assertThat(seen.cardinality()).as("table 2^%d from %s", exp, Long.toUnsignedString(start))
                        .isEqualTo(1 << exp);
            }
        }
    }

    @Test
    void aWholePassFromZeroIsOnePass() {
        ScanWrap wrap = new ScanWrap(0);
        assertThat(wrap.first()).isEqualTo("0");
        assertThat(wrap.next("6")).isEqualTo("6");
        assertThat(wrap.next("0")).isNull();
    }

    @Test
    void theSecondPartStopsWhereTheFirstBegan() {
        // table of 8 buckets, start at bucket 2 (reversed order: 0 4 2 6 1 5 3 7)
        ScanWrap wrap = new ScanWrap(2);
        assertThat(wrap.next("6")).isEqualTo("6");
        assertThat(wrap.next("1")).isEqualTo("1");
        assertThat(wrap.next("5")).isEqualTo("5");
        assertThat(wrap.next("3")).isEqualTo("3");
        assertThat(wrap.next("7")).isEqualTo("7");
        assertThat(wrap.next("0")).as("wraps").isEqualTo("0");
        assertThat(wrap.next("4")).isEqualTo("4");
        assertThat(wrap.next("2")).as("back at the start").isNull();
    }

    @Test
    void aTableThatGrowsOrShrinksDuringTheWalkIsStillCovered() {
        Random random = new Random(11);
        for (int trial = 0; trial < 400; trial++) {
            int exp = 1 + random.nextInt(7);
            int resizedExp = random.nextBoolean() ? exp + 1 : exp - 1;
            int maxExp = Math.max(exp, resizedExp);
            long start = random.nextLong() >>> 32;
            int resizeAt = random.nextInt((1 << exp) + 1);
            BitSet seen = walk(start, exp, resizeAt, resizedExp, maxExp);
            assertThat(seen.cardinality()).as("2^%d -> 2^%d after %d pages, from %d", exp, resizedExp, resizeAt, start)
                    .isEqualTo(1 << maxExp);
        }
    }
}
