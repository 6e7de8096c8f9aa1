package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.acl.AclUser;
import java.util.HashMap;
import java.util.Map;

/**
 * What one client connection has told the proxy about itself, and what it is in the middle of: its
 * login, protocol, reply mode, MULTI, WATCH, tracking, subscriptions and blocking commands. Command
 * handlers change it only through these methods, so every rule about it lives here.
 *
 * <p>The state a migration or a failover has to act on is here too, one call each: {@link #isBlocked()}
 * (a blocking command waits at a backend), {@link #watchBackend()} (the backend holding its WATCHed
 * keys), {@link #subscriptionsAt(String)} (its classic and shard subscriptions per backend),
 * {@link #shardSubscriptionsIn(int)} (its shard channels in a slot). Every
 * client's state is reached from {@link ClientRegistry#all()}.
 *
 * <p>Confined to the client's event loop, except the few volatile fields CLIENT LIST and INFO read
 * from other threads (informational only).
 */
public final class ClientState {

    private final long createdAtMillis = System.currentTimeMillis();
    private volatile String name = "";
    private volatile String libName = "";
    private volatile String libVersion = "";
    private volatile String lastCommand = "NULL";
    private volatile long lastInteractionMillis = createdAtMillis;
    /** The ACL user this connection runs as: {@code default} until AUTH or HELLO ... AUTH names another. */
    private volatile AclUser user;

    private boolean authenticated;
    /** Sent {@code UMCTL AUTH <admin_password>}: may change the cluster metadata (when an admin password is set). */
    private boolean admin;
    /** Sent {@code UMCTL PEERAUTH <cluster_secret>}: a peer proxy, which may run the peer commands (UMCTL PUBLISH). */
    private boolean peer;
    /** Connected to the TLS listener: MOVED/ASK and CLUSTER replies show TLS ports. */
    private boolean tls;
    private int protocol = 2;
    /** One-shot: set by ASKING, consumed by the next command. */
    private boolean asking;
    private boolean readonly;
    /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
    private boolean replyOff;
    /** CLIENT REPLY SKIP: the next command's reply is dropped. */
    private boolean skipNextReply;

    /** MULTI state, or null outside a transaction. */
    private Transaction transaction;
    /** The backend holding this client's WATCHed keys (on its dedicated connection), or null. */
    private String watchBackend;
    /** CLIENT TRACKING state, or null when tracking is off. */
    private ClientTracking tracking;
    /** A CLIENT CACHING yes/no (its encoded request) held for this client's next backend command; null when none. */
    private byte[] pendingCaching;

    /** Commands that may block, sent and not yet answered. */
    private int blockingCommands;
    /** Active subscription counts by "backend#classic" / "backend#shard", from Redis's confirmations. */
    private final Map<String, Long> subscriptions = new HashMap<>(2);
    /** Shard channels subscribed to, by backend: channel (Latin-1, one char per byte) to its slot; null until one. */
    private Map<String, Map<String, Integer>> shardChannels;

    ClientState(boolean authenticated, AclUser user) {
        this.authenticated = authenticated;
        this.user = user;
    }

    // ---- who it is

    public long createdAtMillis() {
        return createdAtMillis;
    }

    public String name() {
        return name;
    }

    /** CLIENT SETNAME, HELLO ... SETNAME. */
    public void rename(String newName) {
        name = newName;
    }

    public String libName() {
        return libName;
    }

    public String libVersion() {
        return libVersion;
    }

    /** CLIENT SETINFO LIB-NAME. */
    public void libName(String value) {
        libName = value;
    }

    /** CLIENT SETINFO LIB-VER. */
    public void libVersion(String value) {
        libVersion = value;
    }

    public String lastCommand() {
        return lastCommand;
    }

    /** The command now running, by name (CLIENT LIST's {@code cmd}). */
    public void commandStarted(String commandName) {
        lastCommand = commandName;
    }

    public long lastInteractionMillis() {
        return lastInteractionMillis;
    }

    void touched(long nowMillis) {
        lastInteractionMillis = nowMillis;
    }

    // ---- login

    public AclUser user() {
        return user;
    }

    public boolean isAuthenticated() {
        return authenticated;
    }

    /** AUTH or HELLO ... AUTH succeeded: this connection runs as {@code asUser} from now on. */
    public void logIn(AclUser asUser) {
        user = asUser;
        authenticated = true;
    }

    public boolean isAdmin() {
        return admin;
    }

    /** {@code UMCTL AUTH} with the admin password succeeded. */
    public void grantAdmin() {
        admin = true;
    }

    public boolean isPeer() {
        return peer;
    }

    /** {@code UMCTL PEERAUTH} with the cluster secret succeeded: a peer proxy. */
    public void markPeer() {
        peer = true;
    }

    /** Some login succeeded (client, admin or peer): the connection leaves the limits before AUTH. */
    public boolean hasLoggedIn() {
        return authenticated || admin || peer;
    }

    // ---- connection

    public boolean isTls() {
        return tls;
    }

    /** Accepted on the TLS listener; set once, before the first command. */
    public void markTls() {
        tls = true;
    }

    /** The RESP version this client speaks (2, or 3 after HELLO 3). */
    public int protocol() {
        return protocol;
    }

    void protocol(int version) {
        protocol = version;
    }

    /** ASKING: the next command may run on a slot being imported. */
    public void askNext() {
        asking = true;
    }

    /** Whether the command now dispatched follows an ASKING; the flag lasts one command. */
    public boolean takeAsking() {
        boolean was = asking;
        asking = false;
        return was;
    }

    public boolean isReadOnly() {
        return readonly;
    }

    /** READONLY / READWRITE. */
    public void readOnly(boolean on) {
        readonly = on;
    }

    /** CLIENT REPLY ON: replies are written again (a SKIP not yet used still applies to the next command). */
    public void replyOn() {
        replyOff = false;
    }

    /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
    public void replyOff() {
        replyOff = true;
    }

    /** CLIENT REPLY SKIP: the next command's reply is dropped; nothing changes while replies are off. */
    public void skipNextReply() {
        skipNextReply = !replyOff;
    }

    /** Whether the reply of the command just read is dropped; a SKIP applies to that one command only. */
    boolean takeReplySuppression() {
        if (replyOff || skipNextReply) {
            skipNextReply = false;
            return true;
        }
        return false;
    }

    // ---- MULTI / WATCH

    public boolean inMulti() {
        return transaction != null;
    }

    /** The transaction being queued, or null outside MULTI. */
    public Transaction transaction() {
        return transaction;
    }

    /** MULTI: a new, empty transaction. */
    public Transaction enterMulti() {
        transaction = new Transaction();
        return transaction;
    }

    /** EXEC or DISCARD: the transaction leaves this state (the caller runs or releases it). */
    public Transaction exitMulti() {
        Transaction leaving = transaction;
        transaction = null;
        return leaving;
    }

    /** A command was refused while queueing (Redis's {@code CLIENT_DIRTY_EXEC}): EXEC will abort. */
    public void markTransactionDirty() {
        if (transaction != null) {
            transaction.markDirty();
        }
    }

    /** The backend holding this client's WATCHed keys, or null. */
    public String watchBackend() {
        return watchBackend;
    }

    /** WATCH: the keys are watched on {@code backend}, on this client's dedicated connection there. */
    public void watchingAt(String backend) {
        watchBackend = backend;
    }

    /** EXEC, UNWATCH, DISCARD: nothing is watched any more; returns where the keys were, or null. */
    public String unwatch() {
        String was = watchBackend;
        watchBackend = null;
        return was;
    }

    // ---- tracking

    /** CLIENT TRACKING state, or null when off. */
    public ClientTracking tracking() {
        return tracking;
    }

    /** CLIENT TRACKING ON/OFF took effect at the backend: {@code now} is the new state (null: off). */
    public void trackingChanged(ClientTracking now) {
        tracking = now;
        pendingCaching = null;
    }

    /** CLIENT CACHING yes/no: {@code request} goes out just before this client's next backend command. */
    public void holdCaching(byte[] request) {
        pendingCaching = request;
    }

    /** The held CLIENT CACHING request, or null. */
    public byte[] pendingCaching() {
        return pendingCaching;
    }

    /** The held CLIENT CACHING request, taken to be sent now; null when none. */
    byte[] takePendingCaching() {
        byte[] request = pendingCaching;
        pendingCaching = null;
        return request;
    }

    // ---- blocking commands and subscriptions

    /** A blocking command (BLPOP, XREAD BLOCK, WAIT, ...) of this client waits at a backend. */
    public boolean isBlocked() {
        return blockingCommands > 0;
    }

    /** True when this is the client's first blocking command in flight. */
    boolean blockingStarted() {
        return blockingCommands++ == 0;
    }

    /** True when the client's last blocking command in flight ended. */
    boolean blockingEnded() {
        return blockingCommands > 0 && --blockingCommands == 0;
    }

    /** The client left: true when it was blocked (its count goes with it). */
    boolean clearBlocking() {
        boolean was = blockingCommands > 0;
        blockingCommands = 0;
        return was;
    }

    /**
     * RESP2 subscribed mode, as Redis: some subscription is active, so only the (un)subscribe
     * commands, PING, QUIT and RESET are allowed.
     */
    public boolean isSubscribed() {
        return !subscriptions.isEmpty();
    }

    /** Redis confirmed a (un)subscribe at {@code backend}: {@code count} subscriptions of that kind remain. */
    void subscriptionsConfirmed(String backend, boolean shard, long count) {
        subscriptions.put(backend + (shard ? "#shard" : "#classic"), count);
        subscriptions.values().removeIf(n -> n == 0);
        if (shard && count == 0 && shardChannels != null) {
            shardChannels.remove(backend); // none left there, whatever the confirmations named
        }
    }

    /** Redis confirmed an SSUBSCRIBE or SUNSUBSCRIBE of {@code channel} (in {@code slot}) at {@code backend}. */
    void shardChannelConfirmed(String backend, boolean subscribed, String channel, int slot) {
        if (subscribed) {
            if (shardChannels == null) {
                shardChannels = new HashMap<>(2);
            }
            shardChannels.computeIfAbsent(backend, b -> new HashMap<>()).put(channel, slot);
        } else if (shardChannels != null) {
            Map<String, Integer> channels = shardChannels.get(backend);
            if (channels != null) {
                channels.remove(channel);
                if (channels.isEmpty()) {
                    shardChannels.remove(backend);
                }
            }
        }
    }

    /** The shard channels this client is subscribed to at {@code backend} whose slot passes {@code slots}. */
    public java.util.List<String> shardChannelsAt(String backend, java.util.function.IntPredicate slots) {
        Map<String, Integer> channels = shardChannels == null ? null : shardChannels.get(backend);
        if (channels == null) {
            return java.util.List.of();
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        channels.forEach((channel, slot) -> {
            if (slots.test(slot)) {
                out.add(channel);
            }
        });
        return out;
    }

    /** The shard channels of {@code slot} this client is subscribed to (what a slot's move must act on). */
    public int shardSubscriptionsIn(int slot) {
        if (shardChannels == null) {
            return 0;
        }
        int count = 0;
        for (Map<String, Integer> channels : shardChannels.values()) {
            for (int channelSlot : channels.values()) {
                if (channelSlot == slot) {
                    count++;
                }
            }
        }
        return count;
    }

    /** This client's active subscriptions at {@code backend}: classic ones, then shard ones. */
    public long[] subscriptionsAt(String backend) {
        return new long[] {subscriptions.getOrDefault(backend + "#classic", 0L),
                subscriptions.getOrDefault(backend + "#shard", 0L)};
    }

    /** The client's dedicated connections closed: what they held at the backends is gone. */
    void dedicatedConnectionsClosed() {
        watchBackend = null;
        subscriptions.clear();
        shardChannels = null;
        tracking = null;
        pendingCaching = null;
    }
}
