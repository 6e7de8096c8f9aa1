package io.moonshard.controller.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LeaseValidityTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theMarginIsTenPercentAtLeast200MsAtMostHalf() {
        assertThat(LeaseValidity.margin(2 * S)).isEqualTo(200 * MS);
        assertThat(LeaseValidity.margin(10 * S)).isEqualTo(1000 * MS);
        assertThat(LeaseValidity.margin(S)).isEqualTo(200 * MS);
        assertThat(LeaseValidity.margin(300 * MS)).isEqualTo(150 * MS);
    }

    @Test
    void aGrantIsValidForTheTtlMinusTheMarginFromItsSendTime() {
        LeaseValidity v = new LeaseValidity(1_000 * S, 2 * S);
        assertThat(v.validUntilNanos()).isEqualTo(1_000 * S + 1800 * MS);
        assertThat(v.isOver(1_000 * S + 1799 * MS)).isFalse();
        assertThat(v.isOver(1_000 * S + 1800 * MS)).isTrue();
    }

    @Test
    void anAcknowledgementExtendsFromTheSendTimeNotTheAnswerTime() {
        LeaseValidity v = new LeaseValidity(0, 2 * S);
        // sent at 0.5 s, answered at 1.4 s (a slow network): valid until 0.5 + 2 - 0.2
        assertThat(v.acknowledged(500 * MS, 2 * S, 1400 * MS)).isTrue();
        assertThat(v.validUntilNanos()).isEqualTo(2300 * MS);
    }

    @Test
    void anOlderAcknowledgementArrivingLateNeverShortensTheWindow() {
        LeaseValidity v = new LeaseValidity(0, 2 * S);
        v.acknowledged(1000 * MS, 2 * S, 1010 * MS);
        v.acknowledged(500 * MS, 2 * S, 1020 * MS); // an earlier keepalive answered after the later one
        assertThat(v.validUntilNanos()).isEqualTo(2800 * MS);
    }

    @Test
    void anAcknowledgementAfterTheWindowClosedDoesNotReviveIt() {
        LeaseValidity v = new LeaseValidity(0, 2 * S);
        assertThat(v.acknowledged(1700 * MS, 2 * S, 1900 * MS)).isFalse();
        assertThat(v.isOver(1900 * MS)).isTrue();
        assertThat(v.validUntilNanos()).isEqualTo(1800 * MS);
    }

    @Test
    void endingClosesTheWindowAtOnce() {
        LeaseValidity v = new LeaseValidity(0, 2 * S);
        v.end(700 * MS);
        assertThat(v.isOver(700 * MS)).isTrue();
        assertThat(v.validUntilNanos()).isEqualTo(700 * MS);
        assertThat(v.acknowledged(800 * MS, 2 * S, 900 * MS)).isFalse();
    }

    @Test
    void theWindowWorksAcrossTheNanoTimeOverflow() {
        long start = Long.MAX_VALUE - S; // System.nanoTime() may be anywhere, even near overflow
        LeaseValidity v = new LeaseValidity(start, 2 * S);
        assertThat(v.isOver(start + 500 * MS)).isFalse();
        assertThat(v.isOver(start + 1900 * MS)).isTrue();
        LeaseValidity w = new LeaseValidity(start, 2 * S);
        assertThat(w.acknowledged(start + 500 * MS, 2 * S, start + 600 * MS)).isTrue();
        assertThat(w.validUntilNanos()).isEqualTo(start + 2300 * MS);
        assertThat(w.isOver(start + 2200 * MS)).isFalse();
    }
}
