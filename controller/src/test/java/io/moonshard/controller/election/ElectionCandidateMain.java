package io.moonshard.controller.election;

import io.moonshard.controller.cli.TcpLeaderProbe;
import io.moonshard.controller.store.etcd.EtcdStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A candidate in a JVM of its own, so that ElectionIT can {@code kill -9} a real leader: campaigns with
 * the given arguments and reports on standard output, one line each, {@code STATE <state>} on every
 * change, {@code ELECTED <token>} and {@code LOST <token> <reason>}. It resigns and exits when its
 * standard input ends (the test closed it, or the test JVM died). As a standby it probes the leader's
 * address with {@link TcpLeaderProbe}, as a controller does.
 *
 * <p>Arguments: {@code <endpoints,comma-separated> <key> <id> <address> <ttl-millis>}. The address
 * {@code listen} makes it listen on an ephemeral port of 127.0.0.1 (backlog 1, accepting and closing
 * every connection, as an API server would serve a probe) and advertise {@code http://127.0.0.1:<port>};
 * it prints {@code LISTEN <port>} first.
 */
public final class ElectionCandidateMain {

    private ElectionCandidateMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String address = args[3];
        if (address.equals("listen")) {
            // a backlog of 1: once this process is stopped, probes fill it at once and then time out
            ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            address = "http://127.0.0.1:" + server.getLocalPort();
            out.println("LISTEN " + server.getLocalPort());
            Thread acceptor = new Thread(() -> {
                while (true) {
                    try {
                        server.accept().close(); // nothing to serve
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }
        EtcdStore store = EtcdStore.connect(EtcdStore.parseEndpoints(args[0]));
        TcpLeaderProbe probe = new TcpLeaderProbe(Duration.ofMillis(100));
        LeaderElection election = new LeaderElection(store, args[1], new Candidate(args[2], address),
                Duration.ofMillis(Long.parseLong(args[4])), probe);
        election.start(term -> {
            out.println("ELECTED " + term.token());
            term.lost().thenAccept(reason -> out.println("LOST " + term.token() + " " + reason));
        });
        Thread reporter = new Thread(() -> {
            LeaderElection.State last = null;
            while (!Thread.currentThread().isInterrupted()) {
                LeaderElection.State now = election.state();
                if (now != last) {
                    out.println("STATE " + now);
                    last = now;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(10); // a test process reporting its state; nothing to await
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "state-reporter");
        reporter.setDaemon(true);
        reporter.start();
        InputStream in = System.in;
        try {
            while (in.read() >= 0) {
                // nothing: the test only ever closes it
            }
        } catch (IOException ignored) {
            // the parent went away: exit as if told to
        }
        election.close();
        probe.close();
        store.close();
        out.println("EXIT");
        System.exit(0);
    }
}
