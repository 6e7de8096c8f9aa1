package io.moonshard.proxy.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.proxy.LatencyHistogram;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fixed latency buckets and the per-loop histograms summed at read time. */
class LatencyBucketsTest {

    private static final long US = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void bounds_25MicrosTo10Seconds_thenInf() {
        assertThat(LatencyBuckets.upperBoundsSeconds()).containsExactly(
                0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25, 0.5, 1, 2.5, 5, 10);
        assertThat(LatencyBuckets.BUCKETS).isEqualTo(19);
    }

    @Test
    void bucket_isTheFirstWhoseBoundIsAtLeastTheDuration() {
        assertThat(LatencyBuckets.bucket(0)).isZero();
        assertThat(LatencyBuckets.bucket(-5)).as("never negative in practice; lowest bucket").isZero();
        assertThat(LatencyBuckets.bucket(25 * US)).as("le is inclusive").isZero();
        assertThat(LatencyBuckets.bucket(25 * US + 1)).isEqualTo(1);
        assertThat(LatencyBuckets.bucket(80 * US)).isEqualTo(2);   // le 100 µs
        assertThat(LatencyBuckets.bucket(MS)).isEqualTo(5);        // le 1 ms
        assertThat(LatencyBuckets.bucket(MS + 1)).isEqualTo(6);    // le 2.5 ms
        assertThat(LatencyBuckets.bucket(10_000 * MS)).isEqualTo(17);
        assertThat(LatencyBuckets.bucket(10_000 * MS + 1)).as("+Inf").isEqualTo(18);
        assertThat(LatencyBuckets.bucket(Long.MAX_VALUE)).isEqualTo(18);
        double[] bounds = LatencyBuckets.upperBoundsSeconds();
        for (int i = 0; i < bounds.length; i++) {
            long nanos = Math.round(bounds[i] * 1e9);
            assertThat(LatencyBuckets.bucket(nanos)).isEqualTo(i);
            assertThat(LatencyBuckets.bucket(nanos + 1)).isEqualTo(i + 1);
        }
    }

    @Test
    void histogram_sumsEveryLoop() {
        ProxyMeters meters = new ProxyMeters();
        LoopStats a = meters.newLoop();
        LoopStats b = meters.newLoop();
        a.commandLatency(10 * US);
        a.commandLatency(10 * US);
        b.commandLatency(3 * MS);
        b.commandLatency(20_000 * MS);
        a.backendLatency(40 * US);

        LatencyHistogram commands = meters.commandLatency();
        assertThat(commands.name()).isEqualTo("moonshard.command.duration");
        assertThat(commands.count()).isEqualTo(4);
        assertThat(commands.bucketCounts()).hasSize(19);
        assertThat(commands.bucketCounts()[0]).isEqualTo(2);
        assertThat(commands.bucketCounts()[7]).isEqualTo(1); // le 5 ms
        assertThat(commands.bucketCounts()[18]).isEqualTo(1); // +Inf
        assertThat(commands.sumSeconds()).isCloseTo(20.00302, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(meters.histogramCount(LoopStats.COMMAND_LATENCY)).isEqualTo(4);
        assertThat(meters.histogramSumNanos(LoopStats.COMMAND_LATENCY)).isEqualTo(20 * US + 3 * MS + 20_000 * MS);

        LatencyHistogram backend = meters.backendLatency();
        assertThat(backend.name()).isEqualTo("moonshard.backend.duration");
        assertThat(backend.count()).isEqualTo(1);
        assertThat(backend.bucketCounts()[1]).isEqualTo(1);
    }
}
