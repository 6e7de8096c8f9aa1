package io.moonshard.proxy.internal.session;

import io.netty.channel.Channel;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Every connected client, for {@code max_clients}, {@code CLIENT LIST} and the INFO clients section. */
public final class ClientRegistry {

    /** Changeable at run time (CONFIG SET moonshard-max-clients); read once per accepted connection. */
    private volatile int maxClients;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicLong totalConnections = new AtomicLong();
    private final ConcurrentHashMap<Long, ClientSession> sessions = new ConcurrentHashMap<>();
    /** Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT, ...): INFO's blocked_clients. */
    private final AtomicInteger blockedClients = new AtomicInteger();

    public ClientRegistry(int maxClients) {
        this.maxClients = maxClients;
    }

    public int maxClients() {
        return maxClients;
    }

    /** Changes the limit for connections accepted from now on; clients already connected stay, as in Redis. */
    public void maxClients(int limit) {
        maxClients = limit;
    }

    /** Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT, ...): INFO's blocked_clients. */
    public AtomicInteger blockedClients() {
        return blockedClients;
    }

    public long nextId() {
        return ids.incrementAndGet();
    }

    /**
     * Reserves room for one more client; false when {@code max_clients} are connected. The room is
     * given back when {@code channel} closes, however it closes.
     */
    public boolean tryAdmit(Channel channel) {
        int limit = maxClients;
        while (true) {
            int current = admitted.get();
            if (current >= limit) {
                return false;
            }
            if (admitted.compareAndSet(current, current + 1)) {
                totalConnections.incrementAndGet();
                channel.closeFuture().addListener(f -> admitted.decrementAndGet());
                return true;
            }
        }
    }

    void register(ClientSession session) {
        sessions.put(session.id, session);
    }

    void unregister(ClientSession session) {
        sessions.remove(session.id);
    }

    public int connected() {
        return sessions.size();
    }

    public long totalConnections() {
        return totalConnections.get();
    }

    public Collection<ClientSession> all() {
        return sessions.values();
    }

    public ClientSession byId(long id) {
        return sessions.get(id);
    }
}
