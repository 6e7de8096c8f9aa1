package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A cluster-enabled source owning every slot: the scanner lists keys slot by slot
 * (COUNTKEYSINSLOT/GETKEYSINSLOT), UNLINK is split by slot, and the registers live in database 0.
 */
class ClusterEnabledSourceIT {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void listsBySlot_unlinksBySlot_andKeepsRegistersInDatabaseZero() throws IOException {
        try (RedisProcess redis = RedisProcess.startClusterNode();
             RedisLink link = RedisLink.connect(redis.address(), null, null, 30_000)) {
            assertThat(link.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")).isEqualTo("OK");
            org.awaitility.Awaitility.await("cluster_state:ok").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> new String((byte[]) link.call("CLUSTER", "INFO"), StandardCharsets.US_ASCII)
                            .contains("cluster_state:ok"));
            List<String> written = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                String key = i % 2 == 0 ? "k:" + i : "{t" + (i % 13) + "}:" + i;
                written.add(key);
                link.send(bytes("SET"), bytes(key), bytes("v"));
            }
            link.send(bytes("SET"), bytes(SlotKeyScanner.OWN_PREFIX + "own"), bytes("v"));
            for (int i = 0; i <= 5000; i++) {
                assertThat(link.read()).isEqualTo("OK");
            }
            SlotSet slots = SlotSet.of(new SlotRange(0, 9000));
            Set<String> expected = new HashSet<>();
            for (String key : written) {
                if (slots.contains(SlotHash.slot(key))) {
                    expected.add(key);
                }
            }
            SlotKeyScanner scanner = new SlotKeyScanner(link, slots, 1000);
            List<byte[]> listed = new ArrayList<>();
            while (!scanner.done()) {
                listed.addAll(scanner.next());
            }
            Set<String> seen = new HashSet<>();
            listed.forEach(k -> seen.add(new String(k, StandardCharsets.UTF_8)));
            assertThat(seen).isEqualTo(expected);
            assertThat(listed).hasSize(expected.size()); // slot by slot: each key once

            // UNLINK over many slots is refused by a cluster node unless split by slot
            Unlinks.unlink(link, listed);
            assertThat(link.call("DBSIZE")).isEqualTo((long) (written.size() - expected.size() + 1));

            // no SELECT on a cluster node: the register is a key of database 0
            assertThat(Registers.call(link, "HSET", "moonshard:migration:test", "fence", "3")).isEqualTo(1L);
            assertThat(link.call("HGET", "moonshard:migration:test", "fence")).isEqualTo(bytes("3"));
            assertThat(Registers.call(link, "HGET", "moonshard:migration:test", "fence")).isEqualTo(bytes("3"));
        }
    }
}
