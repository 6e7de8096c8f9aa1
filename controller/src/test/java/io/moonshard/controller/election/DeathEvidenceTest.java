package io.moonshard.controller.election;

import static io.moonshard.controller.election.DeathEvidence.Outcome.ACCEPTED;
import static io.moonshard.controller.election.DeathEvidence.Outcome.NO_ANSWER;
import static io.moonshard.controller.election.DeathEvidence.Outcome.REFUSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeathEvidenceTest {

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Folds {@code outcomes}, one every 100 ms from t = 0. */
    private static DeathEvidence fold(DeathEvidence.Outcome... outcomes) {
        DeathEvidence e = DeathEvidence.start();
        for (int i = 0; i < outcomes.length; i++) {
            e = e.next(outcomes[i], ms(100L * i));
        }
        return e;
    }

    @Test
    void refusalsAfterAnAcceptProveDeathOnceTheyLastTheWindow() {
        // accepted at 0; refused at 100, 200, 300: 200 ms of refusals, not yet 300
        assertThat(fold(ACCEPTED, REFUSED, REFUSED, REFUSED).state()).isEqualTo(DeathEvidence.State.REFUSING);
        // ...and at 400: 300 ms, 4 in a row
        DeathEvidence e = fold(ACCEPTED, REFUSED, REFUSED, REFUSED, REFUSED);
        assertThat(e.provesDeath()).isTrue();
        assertThat(e.refusedSinceNanos()).isEqualTo(ms(100));
    }

    @Test
    void refusalsFromAnAddressNeverSeenAcceptingProveNothing() {
        // a wrong address, or a leader killed before this standby first reached it: the lease decides
        DeathEvidence e = fold(REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED);
        assertThat(e.state()).isEqualTo(DeathEvidence.State.NOT_SEEN);
        assertThat(e.provesDeath()).isFalse();
    }

    @Test
    void timeoutsProveNothingAndBreakARunOfRefusals() {
        assertThat(fold(ACCEPTED, NO_ANSWER, NO_ANSWER, NO_ANSWER, NO_ANSWER, NO_ANSWER).state())
                .isEqualTo(DeathEvidence.State.SEEN);
        // refused, refused, timeout, refused, refused: never 300 ms of refusals in a row
        DeathEvidence e = fold(ACCEPTED, REFUSED, REFUSED, NO_ANSWER, REFUSED, REFUSED);
        assertThat(e.state()).isEqualTo(DeathEvidence.State.REFUSING);
        assertThat(e.refusedSinceNanos()).isEqualTo(ms(400));
        assertThat(e.refusedInARow()).isEqualTo(2);
    }

    @Test
    void anAcceptInBetweenStartsTheRunAgain() {
        DeathEvidence e = fold(ACCEPTED, REFUSED, REFUSED, REFUSED, ACCEPTED, REFUSED, REFUSED, REFUSED);
        assertThat(e.provesDeath()).isFalse();
        assertThat(e.refusedSinceNanos()).isEqualTo(ms(500));
    }

    @Test
    void theWindowAloneIsNotEnoughWithoutTheRepeats() {
        // two refusals 1 s apart: long enough, but only 2 of the 3 attempts needed
        DeathEvidence e = DeathEvidence.start().next(ACCEPTED, 0).next(REFUSED, ms(10)).next(REFUSED, ms(1010));
        assertThat(e.provesDeath()).isFalse();
        assertThat(e.next(REFUSED, ms(1020)).provesDeath()).isTrue();
    }

    @Test
    void deathIsFinal() {
        DeathEvidence dead = fold(ACCEPTED, REFUSED, REFUSED, REFUSED, REFUSED);
        assertThat(dead.next(ACCEPTED, ms(500))).isSameAs(dead);
        assertThat(dead.next(NO_ANSWER, ms(600)).provesDeath()).isTrue();
    }

    @Test
    void aShorterWindowAndFewerRepeatsCanBeAskedFor() {
        DeathEvidence e = DeathEvidence.start(Duration.ZERO, 1).next(ACCEPTED, 0).next(REFUSED, ms(5));
        assertThat(e.provesDeath()).isTrue();
        assertThatThrownBy(() -> DeathEvidence.start(Duration.ofMillis(-1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeathEvidence.start(Duration.ZERO, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
