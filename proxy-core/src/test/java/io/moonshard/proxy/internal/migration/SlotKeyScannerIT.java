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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SlotKeyScanner} over a real Redis: exactly the keys of the slot set, none of the proxy's own. */
class SlotKeyScannerIT {

    private static final int KEYS = 20_000;

    private static RedisProcess redis;
    private RedisLink link;
    private final List<String> written = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        redis = RedisProcess.start();
    }

    @AfterAll
    static void stopServer() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void writeKeys() throws IOException {
        link = RedisLink.connect(redis.address(), null, null, 30_000);
        assertThat(link.call("FLUSHALL")).isEqualTo("OK");
        for (int i = 0; i < KEYS; i++) {
            // plain keys, hash-tagged ones, and braces that are no tag
            String key = switch (i % 3) {
                case 0 -> "user:" + i;
                case 1 -> "{tag" + (i % 97) + "}:" + i;
                default -> "x{}" + i;
            };
            written.add(key);
            link.send(bytes("SET"), bytes(key), bytes("v"));
        }
        for (int i = 0; i < 200; i++) {
            // the proxy's own keys, in every slot of the set too: never listed
            link.send(bytes("SET"), bytes(SlotKeyScanner.OWN_PREFIX + "bookkeeping:" + i), bytes("v"));
            link.send(bytes("SET"), KeyCopier.stagingKey(bytes("user:" + i)), bytes("v"));
        }
        for (int i = 0; i < KEYS + 400; i++) {
            assertThat(link.read()).isEqualTo("OK");
        }
        assertThat(link.call("DBSIZE")).isEqualTo((long) KEYS + 400);
    }

    @AfterEach
    void disconnect() {
        link.close();
    }

    @Test
    void listsExactlyTheKeysOfTheSlotSet_andSkipsTheProxysOwn() throws IOException {
        SlotSet slots = SlotSet.of(new SlotRange(0, 4000), new SlotRange(9000, 9100), new SlotRange(16383, 16383));
        Set<String> expected = new HashSet<>();
        for (String key : written) {
            if (slots.contains(SlotHash.slot(key))) {
                expected.add(key);
            }
        }
        assertThat(expected).hasSizeBetween(4_000, 6_000);

        SlotKeyScanner scanner = new SlotKeyScanner(link, slots, 500);
        Set<String> listed = new HashSet<>();
        int calls = 0;
        while (!scanner.done()) {
            List<byte[]> keys = scanner.next();
            calls++;
            // empty only when the pass is over
            assertThat(keys.isEmpty()).isEqualTo(scanner.done() && keys.isEmpty());
            for (byte[] key : keys) {
                listed.add(new String(key, StandardCharsets.UTF_8));
            }
        }

        assertThat(listed).isEqualTo(expected);
        assertThat(calls).isGreaterThan(1);
        assertThat(scanner.next()).isEmpty();
    }

    @Test
    void aSlotSetWithNoKeys_endsWithNothing() throws IOException {
        SlotSet slots = SlotSet.of(new SlotRange(100, 100));
        written.removeIf(key -> SlotHash.slot(key) == 100);
        for (String key : List.copyOf(written)) {
            assertThat(SlotHash.slot(key)).isNotEqualTo(100);
        }
        // whatever lived in slot 100 is gone first
        SlotKeyScanner all = new SlotKeyScanner(link, slots, 1000);
        while (!all.done()) {
            for (byte[] key : all.next()) {
                link.call("DEL", key);
            }
        }

        SlotKeyScanner scanner = new SlotKeyScanner(link, slots, 1000);
        assertThat(scanner.next()).isEmpty();
        assertThat(scanner.done()).isTrue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
