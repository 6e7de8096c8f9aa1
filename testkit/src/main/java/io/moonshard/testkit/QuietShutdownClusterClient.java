package io.moonshard.testkit;

import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A Lettuce cluster client whose shutdown first stops its topology refresh and waits for one already
 * running to end. Lettuce's own shutdown stops the client's timer and event loops while a periodic or
 * adaptive refresh may be opening connections: such a connection's channel is registered (its
 * {@code CommandHandler} allocates a buffer in {@code channelRegistered}), its connect then fails on the
 * stopped timer ({@code IllegalStateException: cannot be started once stopped}), and the channel is
 * never closed, so the buffer is never released. {@link LeakCheckExtension} reported that buffer after 2
 * of the 6 {@code ControllerChaosIT} scenarios at 20 trials, whose clients refresh every second.
 */
public final class QuietShutdownClusterClient extends RedisClusterClient {

    /** How long a shutdown waits for a running refresh (it is bounded by the seeds' connect timeouts). */
    private static final Duration REFRESH_WAIT = Duration.ofSeconds(10);

    private QuietShutdownClusterClient(Iterable<RedisURI> seeds) {
        super(null, seeds); // null: resources of its own, shut down with it, as RedisClusterClient.create
    }

    /** Like {@link RedisClusterClient#create(Iterable)}. */
    public static QuietShutdownClusterClient create(Iterable<RedisURI> seeds) {
        return new QuietShutdownClusterClient(seeds);
    }

    @Override
    public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit timeUnit) {
        suspendTopologyRefresh();
        try {
            await("a running topology refresh to end").atMost(REFRESH_WAIT).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(10)).until(() -> !isTopologyRefreshInProgress());
        } catch (ConditionTimeoutException e) {
            // shut down all the same: a leak report is better than a client that never closes
        }
        return super.shutdownAsync(quietPeriod, timeout, timeUnit);
    }
}
