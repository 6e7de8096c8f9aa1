package io.moonshard.controller.reconcile;

import io.moonshard.controller.proxyclient.ProxyClients;
import io.moonshard.controller.proxyclient.Reply;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client password each proxy must demand ({@code CONFIG SET moonshard-password}): its cluster's
 * ({@code ClusterSpec.password}) while a cluster holds it, none once it is free. Remembers, per proxy,
 * which password this leader has seen it acknowledge, as a digest, so the password itself is kept only
 * in the cluster record. The memory is this leader's only: a new leader sets every password once more.
 *
 * <p>A proxy that restarted has lost what it was told; it shows that by an epoch below its cluster's, so
 * every metadata push sets the password first ({@link #set}), whatever was acknowledged before.
 */
final class ClientPasswords {

    private static final String NONE = "";

    private final ProxyClients clients;
    private final long retryNanos;
    /** Proxy -> digest of the password it acknowledged ({@link #NONE}: cleared). */
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    /** Proxy -> when a password was last sent to it without being acknowledged, so a refusal is not flooded. */
    private final Map<String, Long> refusedAt = new ConcurrentHashMap<>();

    ClientPasswords(ProxyClients clients, long retryNanos) {
        this.clients = clients;
        this.retryNanos = retryNanos;
    }

    /** Sets {@code password} (null: none) on {@code proxy} now. */
    Reply set(String proxy, String password) {
        Reply reply = clients.setClientPassword(proxy, password);
        if (reply.done()) {
            acknowledged.put(proxy, digest(password));
            refusedAt.remove(proxy);
        } else {
            acknowledged.remove(proxy);
            refusedAt.put(proxy, System.nanoTime());
        }
        return reply;
    }

    /** Whether this leader has seen {@code proxy} acknowledge {@code password} (null: none). */
    boolean holds(String proxy, String password) {
        return digest(password).equals(acknowledged.get(proxy));
    }

    /** Something sent to {@code proxy} ahead of its password was refused: wait before trying again. */
    void backOff(String proxy) {
        refusedAt.put(proxy, System.nanoTime());
    }

    /** Whether a password sent to {@code proxy} was refused moments ago: wait before sending another. */
    boolean recentlyRefused(String proxy) {
        Long at = refusedAt.get(proxy);
        return at != null && System.nanoTime() - at < retryNanos;
    }

    /** Forgets the proxies that left the pool. */
    void retain(Set<String> proxies) {
        acknowledged.keySet().retainAll(proxies);
        refusedAt.keySet().retainAll(proxies);
    }

    private static String digest(String password) {
        if (password == null || password.isEmpty()) {
            return NONE;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
