package io.moonshard.proxy.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.proxy.ProxyConfig.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class SocketTransportTest {

    @Test
    void autoIsEpollWhereLinuxHasIt_elseNio() {
        assertThat(SocketTransport.resolve(Transport.AUTO, true, true)).isEqualTo(Transport.EPOLL);
        assertThat(SocketTransport.resolve(Transport.AUTO, false, true)).isEqualTo(Transport.EPOLL);
        assertThat(SocketTransport.resolve(Transport.AUTO, true, false)).isEqualTo(Transport.NIO);
        assertThat(SocketTransport.resolve(Transport.AUTO, false, false)).isEqualTo(Transport.NIO);
    }

    @Test
    void aNamedTransportIsThatOneOrNone() {
        assertThat(SocketTransport.resolve(Transport.IO_URING, true, false)).isEqualTo(Transport.IO_URING);
        assertThat(SocketTransport.resolve(Transport.IO_URING, false, true)).isNull();
        assertThat(SocketTransport.resolve(Transport.EPOLL, true, true)).isEqualTo(Transport.EPOLL);
        assertThat(SocketTransport.resolve(Transport.EPOLL, true, false)).isNull();
        assertThat(SocketTransport.resolve(Transport.NIO, false, false)).isEqualTo(Transport.NIO);
    }

    @Test
    void thisMachineOffersEveryTransport_andEachNamesItself() {
        // the CI machine is Linux x86-64 with io_uring enabled (/proc/sys/kernel/io_uring_disabled = 0)
        assertThat(IoUring.isAvailable()).as("io_uring: %s", IoUring.unavailabilityCause()).isTrue();
        assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
        for (Transport t : Transport.values()) {
            SocketTransport chosen = SocketTransport.forSetting(t);
            assertThat(chosen.kind()).isEqualTo(t == Transport.AUTO ? Transport.EPOLL : t);
            assertThat(chosen.displayName()).isEqualTo(chosen.kind().name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}
