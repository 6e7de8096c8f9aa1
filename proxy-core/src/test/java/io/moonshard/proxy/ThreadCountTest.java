package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code thread_number}: a number given is kept; 0 is one event loop per two cores, at least one. */
class ThreadCountTest {

    @Test
    void zeroIsOnePerTwoCores_atLeastOne() {
        int cores = Runtime.getRuntime().availableProcessors();
        ProxyConfig byDefault = ProxyConfig.builder().address("127.0.0.1:5299").build();
        assertThat(byDefault.threads()).isZero();
        assertThat(byDefault.effectiveThreads()).isEqualTo(Math.max(1, cores / 2)).isPositive();
    }

    @Test
    void aNumberGivenIsKept() {
        assertThat(ProxyConfig.builder().address("127.0.0.1:5299").threads(3).build().effectiveThreads()).isEqualTo(3);
    }
}
