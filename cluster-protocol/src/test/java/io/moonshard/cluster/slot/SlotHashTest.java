package io.moonshard.cluster.slot;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden CRC16 and hash-tag values (Redis Cluster spec, cluster.c keyHashSlot). */
class SlotHashTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void crc16OfCheckString() {
        byte[] check = b("123456789");
        assertThat(Crc16.crc16(check, 0, check.length)).isEqualTo(0x31C3);
        ByteBuf buf = Unpooled.wrappedBuffer(b("xx123456789yy"));
        try {
            assertThat(Crc16.crc16(buf, 2, 9)).isEqualTo(0x31C3);
        } finally {
            buf.release();
        }
        assertThat(Crc16.crc16(new byte[0], 0, 0)).isZero();
    }

    @Test
    void slotsOfPlainKeys() {
        assertThat(SlotHash.slot("a")).isEqualTo(15495);
        assertThat(SlotHash.slot("b")).isEqualTo(3300);
        assertThat(SlotHash.slot("foo")).isEqualTo(12182);
        assertThat(SlotHash.slot("")).isZero();
        assertThat(SlotHash.slot("123456789")).isEqualTo(0x31C3 & 16383);
    }

    @Test
    void hashTags() {
        assertThat(SlotHash.slot("{user1000}.following")).isEqualTo(SlotHash.slot("user1000"));
        assertThat(SlotHash.slot("{user1000}.followers")).isEqualTo(SlotHash.slot("user1000"));
        // empty tag: the whole key is hashed
        assertThat(SlotHash.slot("foo{}{bar}")).isEqualTo(crc("foo{}{bar}"));
        assertThat(SlotHash.slot("foo{}{bar}")).isNotEqualTo(SlotHash.slot("bar"));
        // the tag runs from the first '{' to the first '}' after it
        assertThat(SlotHash.slot("foo{{bar}}")).isEqualTo(SlotHash.slot("{bar"));
        assertThat(SlotHash.slot("foo{{bar}}")).isEqualTo(crc("{bar"));
        assertThat(SlotHash.slot("foo{bar}{zap}")).isEqualTo(SlotHash.slot("bar"));
        // no closing brace, or a closing brace before the opening one: whole key
        assertThat(SlotHash.slot("foo{bar")).isEqualTo(crc("foo{bar"));
        assertThat(SlotHash.slot("}{")).isEqualTo(crc("}{"));
        assertThat(SlotHash.slot("{")).isEqualTo(crc("{"));
        assertThat(SlotHash.slot("{}")).isEqualTo(crc("{}"));
        assertThat(SlotHash.slot("a{b}c{d}")).isEqualTo(SlotHash.slot("b"));
        assertThat(SlotHash.slot("{a}")).isEqualTo(15495);
    }

    private static int crc(String whole) {
        byte[] k = b(whole);
        return Crc16.crc16(k, 0, k.length) & 16383;
    }

    @Test
    void byteBufAndArrayAgreeOnRandomBinaryKeys() {
        Random rnd = new Random(42);
        byte[] alphabet = {'{', '}', 'a', 'b', 0, (byte) 0xFF, (byte) 0x80};
        for (int n = 0; n < 20_000; n++) {
            // up to 39 bytes: braces at every position of the 8-byte words the ByteBuf path reads, and the tail
            byte[] key = new byte[rnd.nextInt(40)];
            for (int i = 0; i < key.length; i++) {
                key[i] = rnd.nextBoolean() ? alphabet[rnd.nextInt(alphabet.length)] : (byte) rnd.nextInt(256);
            }
            // surround with noise so absolute offsets are exercised
            byte[] framed = new byte[key.length + 7];
            framed[0] = '{';
            framed[1] = 'x';
            framed[2] = '}';
            System.arraycopy(key, 0, framed, 3, key.length);
            framed[framed.length - 4] = '}';
            ByteBuf buf = Unpooled.wrappedBuffer(framed);
            ByteBuf direct = Unpooled.directBuffer(framed.length).writeBytes(framed);
            try {
                assertThat(SlotHash.slot(direct, 3, key.length)).isEqualTo(reference(key));
                int expected = reference(key);
                assertThat(SlotHash.slot(key)).as("key %s", java.util.Arrays.toString(key)).isEqualTo(expected);
                assertThat(SlotHash.slot(buf, 3, key.length)).isEqualTo(expected);
                assertThat(SlotHash.slot(buf.slice(3, key.length))).isEqualTo(expected);
            } finally {
                direct.release();
                buf.release();
            }
        }
    }

    /** Straight transcription of cluster.c keyHashSlot. */
    private static int reference(byte[] key) {
        int keylen = key.length;
        int s;
        for (s = 0; s < keylen; s++) {
            if (key[s] == '{') {
                break;
            }
        }
        if (s == keylen) {
            return Crc16.crc16(key, 0, keylen) & 0x3FFF;
        }
        int e;
        for (e = s + 1; e < keylen; e++) {
            if (key[e] == '}') {
                break;
            }
        }
        if (e == keylen || e == s + 1) {
            return Crc16.crc16(key, 0, keylen) & 0x3FFF;
        }
        return Crc16.crc16(key, s + 1, e - s - 1) & 0x3FFF;
    }
}
