package io.moonshard.proxy.internal.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TransportAddressesTest {

    @Test
    void shiftsThePort_keepingTheHostAsWritten() {
        assertThat(TransportAddresses.shift("127.0.0.1:5299", 1000)).isEqualTo("127.0.0.1:6299");
        assertThat(TransportAddresses.shift("redis-a.example:7000", -1)).isEqualTo("redis-a.example:6999");
        assertThat(TransportAddresses.shift("::1:5299", 1)).isEqualTo("::1:5300");
        assertThat(TransportAddresses.shift("127.0.0.1:5299", 0)).isEqualTo("127.0.0.1:5299");
    }

    @Test
    void leavesMalformedAddressesAlone() {
        assertThat(TransportAddresses.shift("nohost", 5)).isEqualTo("nohost");
        assertThat(TransportAddresses.shift("host:abc", 5)).isEqualTo("host:abc");
    }

    @Test
    void rewritesMovedAndAsk_only() {
        assertThat(TransportAddresses.redirect("MOVED 15495 127.0.0.1:7000", 1000).toString())
                .isEqualTo("MOVED 15495 127.0.0.1:8000");
        assertThat(TransportAddresses.redirect("ASK 3 10.0.0.2:5299", 1).toString())
                .isEqualTo("ASK 3 10.0.0.2:5300");
        assertThat(TransportAddresses.redirect("ERR MOVED 1 127.0.0.1:7000", 1000).toString())
                .isEqualTo("ERR MOVED 1 127.0.0.1:7000");
        assertThat(TransportAddresses.redirect("CLUSTERDOWN Hash slot not served", 1000).toString())
                .isEqualTo("CLUSTERDOWN Hash slot not served");
        assertThat(TransportAddresses.redirect("MOVED 1", 1000).toString()).isEqualTo("MOVED 1");
        String same = "MOVED 15495 127.0.0.1:7000";
        assertThat(TransportAddresses.redirect(same, 0)).isSameAs(same);
    }
}
