package io.moonshard.proxy.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotHash;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Confirmations as Redis 7.0 writes them, in RESP2 (arrays) and RESP3 (pushes). */
class PubSubFramesTest {

    private static ByteBuf frame(String resp) {
        return Unpooled.copiedBuffer(resp, StandardCharsets.ISO_8859_1);
    }

    @Test
    void anSsubscribeConfirmationNamesItsChannelAndSlot() {
        ByteBuf f = frame("*3\r\n$10\r\nssubscribe\r\n$3\r\nfoo\r\n:1\r\n");
        try {
            PubSubFrames.ShardConfirmation c = PubSubFrames.shardConfirmation(f);
            assertThat(c).isNotNull();
            assertThat(c.subscribed()).isTrue();
            assertThat(c.channel()).isEqualTo("foo");
            assertThat(c.slot()).isEqualTo(12182); // CLUSTER KEYSLOT foo
            assertThat(PubSubFrames.trailingCount(f)).isEqualTo(1);
        } finally {
            f.release();
        }
    }

    @Test
    void aResp3SunsubscribeOfAHashTaggedChannel() {
        ByteBuf f = frame(">3\r\n$12\r\nsunsubscribe\r\n$12\r\n{user1}:chan\r\n:0\r\n");
        try {
            PubSubFrames.ShardConfirmation c = PubSubFrames.shardConfirmation(f);
            assertThat(c.subscribed()).isFalse();
            assertThat(c.channel()).isEqualTo("{user1}:chan");
            assertThat(c.slot()).isEqualTo(SlotHash.slot("user1"));
        } finally {
            f.release();
        }
    }

    @Test
    void aSunsubscribeWithNothingSubscribedNamesNoChannel() {
        ByteBuf f = frame("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
        try {
            assertThat(PubSubFrames.confirmationKind(f)).isEqualTo(PubSubFrames.Kind.SHARD);
            assertThat(PubSubFrames.shardConfirmation(f)).isNull();
        } finally {
            f.release();
        }
    }

    @Test
    void classicConfirmationsAndMessagesAreNotShardConfirmations() {
        for (String resp : new String[] {"*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n",
                "*3\r\n$8\r\nsmessage\r\n$3\r\nfoo\r\n$2\r\nhi\r\n", "+OK\r\n"}) {
            ByteBuf f = frame(resp);
            try {
                assertThat(PubSubFrames.shardConfirmation(f)).as(resp).isNull();
            } finally {
                f.release();
            }
        }
    }
}
