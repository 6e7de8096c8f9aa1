package io.moonshard.proxy.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotHash;
import org.junit.jupiter.api.Test;

/** The per-client state a slot's move or a failover reads: shard subscriptions per slot, blocking, WATCH. */
class ClientStateTest {

    private final ClientState state = new ClientState(true, null);

    @Test
    void shardSubscriptionsAreCountedPerSlotFromRedisConfirmations() {
        int slot = SlotHash.slot("user1");
        state.shardChannelConfirmed("127.0.0.1:6379", true, "{user1}:a", slot);
        state.subscriptionsConfirmed("127.0.0.1:6379", true, 1);
        state.shardChannelConfirmed("127.0.0.1:6379", true, "{user1}:b", slot);
        state.subscriptionsConfirmed("127.0.0.1:6379", true, 2);
        state.shardChannelConfirmed("127.0.0.1:6379", true, "{user1}:a", slot); // Redis confirms a repeat, count stays
        state.subscriptionsConfirmed("127.0.0.1:6379", true, 2);
        assertThat(state.shardSubscriptionsIn(slot)).isEqualTo(2);
        assertThat(state.shardSubscriptionsIn(SlotHash.slot("other"))).isZero();
        assertThat(state.subscriptionsAt("127.0.0.1:6379")).containsExactly(0, 2);
        assertThat(state.isSubscribed()).isTrue();

        state.shardChannelConfirmed("127.0.0.1:6379", false, "{user1}:a", slot);
        state.subscriptionsConfirmed("127.0.0.1:6379", true, 1);
        assertThat(state.shardSubscriptionsIn(slot)).isEqualTo(1);

        state.subscriptionsConfirmed("127.0.0.1:6379", true, 0); // SUNSUBSCRIBE of all
        assertThat(state.shardSubscriptionsIn(slot)).isZero();
        assertThat(state.isSubscribed()).isFalse();
    }

    @Test
    void closedDedicatedConnectionsTakeTheirSubscriptionsAndWatchWithThem() {
        int slot = SlotHash.slot("k");
        state.shardChannelConfirmed("10.0.0.1:6379", true, "k", slot);
        state.subscriptionsConfirmed("10.0.0.1:6379", true, 1);
        state.watchingAt("10.0.0.1:6379");
        state.dedicatedConnectionsClosed();
        assertThat(state.shardSubscriptionsIn(slot)).isZero();
        assertThat(state.isSubscribed()).isFalse();
        assertThat(state.watchBackend()).isNull();
    }

    @Test
    void aClientIsBlockedWhileAnyBlockingCommandIsInFlight() {
        assertThat(state.blockingStarted()).isTrue();
        assertThat(state.blockingStarted()).isFalse();
        assertThat(state.isBlocked()).isTrue();
        assertThat(state.blockingEnded()).isFalse();
        assertThat(state.blockingEnded()).isTrue();
        assertThat(state.isBlocked()).isFalse();
    }

    @Test
    void replySkipAppliesToOneCommandAndNotWhileRepliesAreOff() {
        state.skipNextReply();
        assertThat(state.takeReplySuppression()).isTrue();
        assertThat(state.takeReplySuppression()).isFalse();
        state.replyOff();
        state.skipNextReply();
        state.replyOn();
        assertThat(state.takeReplySuppression()).isFalse();
    }
}
