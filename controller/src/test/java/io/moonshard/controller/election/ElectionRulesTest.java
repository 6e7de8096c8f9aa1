package io.moonshard.controller.election;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ElectionRulesTest {

    private static final String KEY = "/moonshard/leader";

    private static Optional<Versioned> key(long create, long mod, long lease) {
        return Optional.of(new Versioned(KEY, new byte[0], create, mod, lease));
    }

    @Test
    void aKeyThatVanishedMeansTryAgain() {
        assertThat(ElectionRules.afterLostTxn(Optional.empty(), 10, 7)).isEqualTo(new ElectionRules.Retry());
    }

    @Test
    void anotherCandidatesKeyMeansWaitFromTheReadRevision() {
        assertThat(ElectionRules.afterLostTxn(key(5, 5, 99), 12, 7)).isEqualTo(new ElectionRules.Wait(12));
    }

    @Test
    void ourOwnKeyFromAnAttemptWhoseAnswerWasLostMeansElected() {
        assertThat(ElectionRules.afterLostTxn(key(5, 5, 7), 12, 7)).isEqualTo(new ElectionRules.Elected(5));
        // ours but written over since: not a term we can claim
        assertThat(ElectionRules.afterLostTxn(key(5, 6, 7), 12, 7)).isEqualTo(new ElectionRules.Wait(12));
    }

    @Test
    void theTermEndsWhenTheKeyIsDeletedOrOverwritten() {
        assertThat(ElectionRules.endsTerm(new WatchEvent(WatchEvent.Kind.DELETE, KEY, null, 9), KEY, 5)).isTrue();
        assertThat(ElectionRules.endsTerm(new WatchEvent(WatchEvent.Kind.PUT, KEY, new byte[0], 9), KEY, 5)).isTrue();
        assertThat(ElectionRules.endsTerm(new WatchEvent(WatchEvent.Kind.PUT, KEY, new byte[0], 5), KEY, 5)).isFalse();
        assertThat(ElectionRules.endsTerm(new WatchEvent(WatchEvent.Kind.DELETE, KEY + "2", null, 9), KEY, 5))
                .as("a longer key under the same prefix").isFalse();
    }

    @Test
    void stillOursNeedsTheSameCreationWriteAndLease() {
        assertThat(ElectionRules.stillOurs(key(5, 5, 7), 5, 7)).isTrue();
        assertThat(ElectionRules.stillOurs(key(5, 6, 7), 5, 7)).isFalse();
        assertThat(ElectionRules.stillOurs(key(8, 8, 7), 5, 7)).isFalse();
        assertThat(ElectionRules.stillOurs(key(5, 5, 8), 5, 7)).isFalse();
        assertThat(ElectionRules.stillOurs(Optional.empty(), 5, 7)).isFalse();
    }

    @Test
    void aStandbyCampaignsOnlyWhenTheKeyItselfIsDeleted() {
        assertThat(ElectionRules.vacated(new WatchEvent(WatchEvent.Kind.DELETE, KEY, null, 9), KEY)).isTrue();
        assertThat(ElectionRules.vacated(new WatchEvent(WatchEvent.Kind.PUT, KEY, new byte[0], 9), KEY)).isFalse();
        assertThat(ElectionRules.vacated(new WatchEvent(WatchEvent.Kind.DELETE, KEY + "/x", null, 9), KEY)).isFalse();
    }

    @Test
    void endingADeadTermComparesTheRevisionItWasReadAtAndOnlyDeletes() {
        Versioned dead = new Versioned(KEY, new byte[0], 41, 41, 0x55);
        io.moonshard.controller.store.StoreTxn txn = ElectionRules.endDeadTerm(KEY, dead);
        assertThat(txn.compares()).containsExactly(new io.moonshard.controller.store.StoreTxn.Compare(KEY, 41));
        assertThat(txn.ops()).containsExactly(new io.moonshard.controller.store.StoreTxn.Delete(KEY));
    }

    @Test
    void endingADeadTermNeedsTheLeaderKey() {
        Versioned other = new Versioned(KEY + "x", new byte[0], 41, 41, 0x55);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ElectionRules.endDeadTerm(KEY, other))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
