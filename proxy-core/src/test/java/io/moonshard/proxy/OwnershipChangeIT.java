package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * An empty slot range moves from one proxy to another by SETCLUSTER while clients write: they follow
 * MOVED and finish with no error and no lost write.
 */
class OwnershipChangeIT {

    @Test
    void clientsFollowMovedWhenAnEmptyRangeChangesOwner() throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            int[] moving = {1000, 1999}; // inside proxy 0's share 0-8191, and nobody writes there before the move
            RedisClusterClient client = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(0)));
            ExecutorService writers = Executors.newFixedThreadPool(4);
            Map<String, String> written = new ConcurrentHashMap<>();
            AtomicBoolean moved = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch warmedUp = new CountDownLatch(4);
            try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
                RedisAdvancedClusterCommands<String, String> sync = connection.sync();
                List<Future<?>> tasks = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    tasks.add(writers.submit(() -> {
                        for (int i = 0; !stop.get() || i < 600; i++) {
                            int slot = (i * 7919 + writer * 131) % 16384;
                            boolean inMoving = slot >= moving[0] && slot <= moving[1];
                            if (inMoving && !moved.get()) {
                                slot = (slot + 5000) % 16384; // keep the range empty until it moves
                            }
                            String key = Slots.keyIn(slot, "w" + writer + ":" + i);
                            String value = "v" + i;
                            sync.set(key, value);
                            written.put(key, value);
                            if (i == 300) {
                                warmedUp.countDown();
                            }
                        }
                        return null;
                    }));
                }
                assertThat(warmedUp.await(60, TimeUnit.SECONDS)).isTrue();
                // proxy 0 hands slots 1000-1999 to proxy 1
                cluster.assign(0, 0, new int[] {0, 999}, new int[] {2000, 8191});
                cluster.assign(1, 0, new int[] {1000, 1999}, new int[] {8192, 16383});
                cluster.pushMetadata();
                moved.set(true);
                stop.set(true);
                for (Future<?> task : tasks) {
                    task.get(120, TimeUnit.SECONDS); // rethrows any client error
                }
                for (Map.Entry<String, String> e : written.entrySet()) {
                    assertThat(sync.get(e.getKey())).isEqualTo(e.getValue());
                }
            } finally {
                writers.shutdownNow();
                client.shutdown();
            }
            long inMovedRange = written.keySet().stream()
                    .filter(k -> Slots.slotOf(k) >= moving[0] && Slots.slotOf(k) <= moving[1]).count();
            assertThat(inMovedRange).isPositive();
            RedisProcess newOwner = cluster.backends.get(1).get(0);
            for (String key : written.keySet()) {
                int slot = Slots.slotOf(key);
                if (slot >= moving[0] && slot <= moving[1]) {
                    assertThat(newOwner.rawCommand("EXISTS", key)).isEqualTo(":1\r\n");
                }
            }
        }
    }
}
