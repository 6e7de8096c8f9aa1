package io.moonshard.controller.election;

import io.moonshard.controller.store.etcd.EtcdStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A candidate in a JVM of its own, so that ElectionIT can {@code kill -9} a real leader: campaigns with
 * the given arguments and reports on standard output, one line each, {@code STATE <state>} on every
 * change, {@code ELECTED <token>} and {@code LOST <token> <reason>}. It resigns and exits when its
 * standard input ends (the test closed it, or the test JVM died).
 *
 * <p>Arguments: {@code <endpoints,comma-separated> <key> <id> <address> <ttl-millis>}.
 */
public final class ElectionCandidateMain {

    private ElectionCandidateMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        EtcdStore store = EtcdStore.connect(EtcdStore.parseEndpoints(args[0]));
        LeaderElection election = new LeaderElection(store, args[1], new Candidate(args[2], args[3]),
                Duration.ofMillis(Long.parseLong(args[4])));
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
        store.close();
        out.println("EXIT");
        System.exit(0);
    }
}
