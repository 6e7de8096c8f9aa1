package io.moonshard.proxy;

import io.moonshard.testkit.RawRedisClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The smallest cluster client that works against both a real Redis Cluster and Moonshard, so both
 * are driven by the same logic: it knows nothing at first (every slot goes to the first node), learns
 * {@code slot -> node} from {@code -MOVED <slot> <host>:<port>} replies, retries there, and remembers.
 * Replies are returned as the exact bytes on the wire ({@link RawRedisClient}).
 *
 * <p>A multi-command sequence (WATCH / MULTI ... EXEC) runs on one connection to the slot's owner;
 * if one of its commands is redirected, the sequence is closed (EXEC, which Redis then aborts, or
 * UNWATCH) and run again from the start on the new owner, so only the last run's replies count.
 * Steps marked {@code side} go over a second connection to the same node (another client writing a
 * watched key).
 */
final class MiniClusterClient implements AutoCloseable {

    /** One command of a sequence; {@code side}: sent on the second connection. */
    record Step(boolean side, String... args) {
    }

    private static final int MAX_REDIRECTS = 5;

    private final String name;
    private final int protocol;
    private final int firstPort;
    private final Map<Integer, Integer> owners = new HashMap<>();
    private final Map<Integer, RawRedisClient> mainConnections = new HashMap<>();
    private final Map<Integer, RawRedisClient> sideConnections = new HashMap<>();
    private int redirects;

    /**
     * @param name      for messages
     * @param protocol  2 or 3 (3: every connection starts with {@code HELLO 3})
     * @param firstPort where commands go while their slot's owner is unknown (and keyless commands)
     */
    MiniClusterClient(String name, int protocol, int firstPort) {
        this.name = name;
        this.protocol = protocol;
        this.firstPort = firstPort;
    }

    /** Sends one command for {@code slot} ({@code -1}: keyless), following MOVED; returns the final reply. */
    String call(int slot, String... args) {
        for (int attempt = 0; attempt <= MAX_REDIRECTS; attempt++) {
            String reply = connection(mainConnections, portFor(slot)).call(args);
            if (!followRedirect(reply)) {
                return reply;
            }
        }
        throw new AssertionError(name + ": more than " + MAX_REDIRECTS + " redirects for " + String.join(" ", args));
    }

    /** Runs a sequence on one connection to {@code slot}'s owner, following MOVED; the last run's replies. */
    List<String> callSequence(int slot, List<Step> steps) {
        attempts:
        for (int attempt = 0; attempt <= MAX_REDIRECTS; attempt++) {
            int port = portFor(slot);
            RawRedisClient main = connection(mainConnections, port);
            List<String> replies = new ArrayList<>();
            boolean inMulti = false;
            for (Step step : steps) {
                RawRedisClient c = step.side() ? connection(sideConnections, port) : main;
                String reply = c.call(step.args());
                String command = step.args()[0].toUpperCase(Locale.ROOT);
                if (followRedirect(reply)) {
                    if (step.side()) {
                        throw new AssertionError(name + ": side command redirected after its slot was confirmed: " + reply);
                    }
                    if (inMulti && !command.equals("EXEC")) {
                        main.call("EXEC"); // aborted: a queued command was refused
                    } else {
                        main.call("UNWATCH");
                    }
                    continue attempts;
                }
                if (!step.side()) {
                    if (command.equals("MULTI") && reply.startsWith("+OK")) {
                        inMulti = true;
                    } else if (command.equals("EXEC") || command.equals("DISCARD")) {
                        inMulti = false;
                    }
                }
                replies.add(reply);
            }
            if (inMulti) {
                throw new AssertionError(name + ": sequence left the connection in MULTI: " + steps);
            }
            return replies;
        }
        throw new AssertionError(name + ": more than " + MAX_REDIRECTS + " redirects for " + steps);
    }

    /** Forgets every learned owner: the next command of each slot goes to the first node again. */
    void forgetSlots() {
        owners.clear();
    }

    int redirects() {
        return redirects;
    }

    private int portFor(int slot) {
        return slot < 0 ? firstPort : owners.getOrDefault(slot, firstPort);
    }

    /** If {@code reply} is a MOVED, remembers the new owner and says so; an ASK is not expected here. */
    private boolean followRedirect(String reply) {
        if (reply.startsWith("-ASK ")) {
            throw new AssertionError(name + ": unexpected " + reply.trim());
        }
        if (!reply.startsWith("-MOVED ")) {
            return false;
        }
        String[] parts = reply.trim().split(" ");
        int slot = Integer.parseInt(parts[1]);
        String address = parts[2];
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        owners.put(slot, port);
        redirects++;
        return true;
    }

    private RawRedisClient connection(Map<Integer, RawRedisClient> pool, int port) {
        return pool.computeIfAbsent(port, p -> {
            RawRedisClient c = new RawRedisClient(p);
            if (protocol == 3) {
                String hello = c.call("HELLO", "3");
                if (!hello.startsWith("%")) {
                    c.close();
                    throw new AssertionError(name + ": HELLO 3 on port " + p + " answered " + hello);
                }
            }
            return c;
        });
    }

    @Override
    public void close() {
        mainConnections.values().forEach(RawRedisClient::close);
        sideConnections.values().forEach(RawRedisClient::close);
        mainConnections.clear();
        sideConnections.clear();
    }
}
