package io.moonshard.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.moonshard.controller.election.Candidate;
import io.moonshard.controller.election.DeathEvidence;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The standby's TCP probe against real sockets of this host. */
class TcpLeaderProbeTest {

    @Test
    void theTargetIsTheHostAndPortOfTheAdvertisedAddress() {
        assertThat(TcpLeaderProbe.target("http://127.0.0.1:7799")).contains(new TcpLeaderProbe.Target("127.0.0.1", 7799));
        assertThat(TcpLeaderProbe.target("http://[::1]:80")).contains(new TcpLeaderProbe.Target("::1", 80));
        assertThat(TcpLeaderProbe.target("10.0.0.5:7799")).contains(new TcpLeaderProbe.Target("10.0.0.5", 7799));
        assertThat(TcpLeaderProbe.target("")).isEmpty();
        assertThat(TcpLeaderProbe.target(null)).isEmpty();
        assertThat(TcpLeaderProbe.target("http://no-port.example")).isEmpty();
        assertThat(TcpLeaderProbe.target("http://bad host:1")).isEmpty();
    }

    @Test
    void onlyAResetCountsAsARefusal() throws IOException {
        int port = closedPort();
        IOException refused = catchThrowableOfType(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            }
        }, IOException.class);
        assertThat(TcpLeaderProbe.outcomeOf(refused)).isEqualTo(DeathEvidence.Outcome.REFUSED);
        assertThat(TcpLeaderProbe.outcomeOf(new SocketTimeoutException("Connect timed out")))
                .isEqualTo(DeathEvidence.Outcome.NO_ANSWER);
        assertThat(TcpLeaderProbe.outcomeOf(new NoRouteToHostException("No route to host")))
                .isEqualTo(DeathEvidence.Outcome.NO_ANSWER);
    }

    @Test
    void aPortThatStopsListeningIsProvenDeadAfterTheWindow() throws Exception {
        List<DeathEvidence.Outcome> seen = new CopyOnWriteArrayList<>();
        AtomicInteger proofs = new AtomicInteger();
        try (TcpLeaderProbe probe = new TcpLeaderProbe(Duration.ofMillis(20), Duration.ofMillis(100), 3,
                (c, o) -> seen.add(o));
             ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AutoCloseable watch = probe.watch(new Candidate("l", "http://127.0.0.1:" + server.getLocalPort()),
                    proofs::incrementAndGet);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(DeathEvidence.Outcome.ACCEPTED));
            assertThat(proofs).hasValue(0);
            long closed = System.nanoTime();
            server.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> proofs.get() == 1);
            long took = (System.nanoTime() - closed) / 1_000_000;
            assertThat(took).as("ms from the close to the proof").isGreaterThanOrEqualTo(100);
            int attempts = seen.size();
            // the watch stopped with its proof: no second call, no further attempts
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> proofs.get() == 1);
            assertThat(seen.size()).isLessThanOrEqualTo(attempts + 1);
            watch.close();
        }
    }

    @Test
    void aPortThatNeverAcceptedIsNeverProvenDead() throws Exception {
        int port = closedPort();
        List<DeathEvidence.Outcome> seen = new CopyOnWriteArrayList<>();
        AtomicInteger proofs = new AtomicInteger();
        try (TcpLeaderProbe probe = new TcpLeaderProbe(Duration.ofMillis(20), Duration.ofMillis(40), 2,
                (c, o) -> seen.add(o))) {
            try (AutoCloseable watch = probe.watch(new Candidate("l", "http://127.0.0.1:" + port), proofs::incrementAndGet)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 10);
                assertThat(seen).containsOnly(DeathEvidence.Outcome.REFUSED);
                assertThat(proofs).hasValue(0);
            }
        }
    }

    @Test
    void aClosedWatchProvesNothingAndAnUnresolvableNameIsNoAnswer() throws Exception {
        List<String> seenFor = new CopyOnWriteArrayList<>();
        List<DeathEvidence.Outcome> seen = new CopyOnWriteArrayList<>();
        AtomicInteger proofs = new AtomicInteger();
        try (TcpLeaderProbe probe = new TcpLeaderProbe(Duration.ofMillis(20), Duration.ofMillis(40), 2, (c, o) -> {
            seenFor.add(c.id());
            seen.add(o);
        }); ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AutoCloseable watch = probe.watch(new Candidate("l", "http://127.0.0.1:" + server.getLocalPort()),
                    proofs::incrementAndGet);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(DeathEvidence.Outcome.ACCEPTED));
            watch.close();
            server.close();
            // the standby moved on before the leader went: its old watch reports nothing
            try (AutoCloseable other = probe.watch(new Candidate("n", "http://n.invalid:1"), proofs::incrementAndGet)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> seenFor.stream().filter("n"::equals).count() >= 5);
            }
            assertThat(proofs).hasValue(0);
            assertThat(seen.subList(seenFor.indexOf("n"), seen.size())).containsOnly(DeathEvidence.Outcome.NO_ANSWER);
            assertThat(probe.watch(new Candidate("e", ""), proofs::incrementAndGet)).isNotNull();
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
