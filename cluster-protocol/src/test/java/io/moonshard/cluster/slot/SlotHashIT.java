package io.moonshard.cluster.slot;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Differential: CLUSTER KEYSLOT of a real cluster-enabled redis-server equals SlotHash.slot for many keys. */
class SlotHashIT {

    private static final int RANDOM_KEYS = 120_000;
    private static final int BATCH = 4_000;

    private static RedisProcess redis;
    private static RawRedisClient client;

    @BeforeAll
    static void start() {
        redis = RedisProcess.startClusterNode();
        client = new RawRedisClient(redis.port());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Hand-picked keys: empty and odd hash tags, braces anywhere, binary bytes around them. */
    static List<byte[]> oddKeys() {
        List<byte[]> keys = new ArrayList<>();
        for (String k : List.of("", "{}", "{{a}}", "a{b}c{d}", "{", "}", "}{", "{}{}", "{}a", "a{}", "{a", "a}",
                "{{}}", "{}}", "{{}", "}{a}", "{a}}", "{{a}", "foo{}{bar}", "foo{{bar}}", "foo{bar}{zap}",
                "{user1000}.following", "{user1000}.followers", "a", "b", "foo", "123456789", "{123456789}",
                "x{ }y", "\r\n", "{\r\n}", "{\u0000}", "\u00e9{\u00e9}")) {
            keys.add(b(k));
        }
        keys.add(new byte[] {0});
        keys.add(new byte[] {'{', 0, '}'});
        keys.add(new byte[] {(byte) 0xff, '{', (byte) 0x80, '}', (byte) 0xfe});
        keys.add(new byte[] {'{', (byte) 0xff, (byte) 0xfe, (byte) 0xfd});
        keys.add(new byte[1000]);
        byte[] long1 = new byte[10_000];
        java.util.Arrays.fill(long1, (byte) '{');
        long1[9_999] = '}';
        keys.add(long1);
        return keys;
    }

    static List<byte[]> randomKeys(Random rnd, int n) {
        byte[] alphabet = {'{', '}', 'a', 'b', 'c', '\r', '\n', 0, (byte) 0xff};
        List<byte[]> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = switch (i % 4) {
                case 0 -> rnd.nextInt(4);
                case 1 -> rnd.nextInt(16);
                case 2 -> rnd.nextInt(64);
                default -> rnd.nextInt(300);
            };
            byte[] key = new byte[len];
            boolean braceHeavy = rnd.nextBoolean();
            for (int j = 0; j < len; j++) {
                key[j] = braceHeavy && rnd.nextInt(3) != 0 ? alphabet[rnd.nextInt(alphabet.length)] : (byte) rnd.nextInt(256);
            }
            keys.add(key);
        }
        return keys;
    }

    static byte[] keyslotRequests(List<byte[]> keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] key : keys) {
            out.writeBytes(b("*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$" + key.length + "\r\n"));
            out.writeBytes(key);
            out.writeBytes(b("\r\n"));
        }
        return out.toByteArray();
    }

    /** Pipelines CLUSTER KEYSLOT for every key, in batches; returns how many were compared. */
    static int compare(List<byte[]> keys) {
        int compared = 0;
        for (int from = 0; from < keys.size(); from += BATCH) {
            List<byte[]> batch = keys.subList(from, Math.min(keys.size(), from + BATCH));
            client.sendRaw(keyslotRequests(batch));
            for (byte[] key : batch) {
                String reply = client.readReply();
                assertThat(reply).as("key %s", HexFormat.of().formatHex(key)).isEqualTo(":" + SlotHash.slot(key) + "\r\n");
                compared++;
            }
        }
        return compared;
    }

    @Test
    void oddHashTagsMatchRedis() {
        List<byte[]> keys = oddKeys();
        assertThat(compare(keys)).isEqualTo(keys.size());
        // and the golden values really come from Redis
        assertThat(client.call("CLUSTER", "KEYSLOT", "a")).isEqualTo(":15495\r\n");
        assertThat(client.call("CLUSTER", "KEYSLOT", "{user1000}.following"))
                .isEqualTo(":" + SlotHash.slot("user1000") + "\r\n");
    }

    @Test
    void randomBinaryKeysMatchRedis() {
        long seed = System.nanoTime();
        List<byte[]> keys = randomKeys(new Random(seed), RANDOM_KEYS);
        assertThat(compare(keys)).as("seed %d", seed).isEqualTo(RANDOM_KEYS);
    }

    @Test
    void everySlotIsReachedAndMatches() {
        // one key per slot: "{<slot's key>}" variants exercise every CRC value mod 16384
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            keys.add(b("{k" + i + "}"));
        }
        assertThat(compare(keys)).isEqualTo(keys.size());
        boolean[] seen = new boolean[SlotHash.SLOT_COUNT];
        int distinct = 0;
        for (byte[] k : keys) {
            int s = SlotHash.slot(k);
            if (!seen[s]) {
                seen[s] = true;
                distinct++;
            }
        }
        assertThat(distinct).isGreaterThan(14_000);
    }
}
