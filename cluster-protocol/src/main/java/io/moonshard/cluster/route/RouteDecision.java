package io.moonshard.cluster.route;

/**
 * What to do with one data command: serve it from a local Redis, or answer with the redirect or
 * error a Redis Cluster node would give (texts byte-identical to Redis 7 {@code cluster.c}).
 *
 * @param kind      the decision
 * @param backend   for {@link Kind#LOCAL}, {@link Kind#KEY_CHECK} and {@link Kind#REPLICA}: the local Redis
 *                  address; otherwise null
 * @param slot      the hash slot of the keys, or -1 when there is none
 * @param errorLine for error kinds: the reply without {@code -} and CRLF; otherwise null
 * @param fanOutPlan for {@link Kind#FAN_OUT}: which key arguments go to which local backend; otherwise null
 */
public record RouteDecision(Kind kind, String backend, int slot, String errorLine, FanOutPlan fanOutPlan) {

    /** The possible decisions. */
    public enum Kind {
        /** Forward to {@link #backend()}. */
        LOCAL,
        /**
         * A read of a slot another proxy serves, from a {@code READONLY} client, where this proxy holds a
         * replica of that proxy's master: forward to that replica, {@link #backend()}.
         */
        REPLICA,
        /** The command has no keys: the caller decides (a Redis node runs it on its own data). */
        NO_KEYS,
        /** The key arguments cannot be located (bad numkeys, ...): Redis itself will reject the command. */
        INVALID_ARGS,
        /**
         * A splittable multi-key command (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH) whose keys span several
         * slots, all served here: {@link #fanOutPlan()} groups its keys by local backend.
         */
        FAN_OUT,
        /**
         * The slot is open (being migrated away from {@link #backend()}, or imported there and the client
         * sent ASKING with several keys): whether it is served at {@link #backend()} depends on which
         * keys are still there. The caller counts the keys missing at {@link #backend()} and asks
         * {@link Router#afterKeyCheck}, which answers LOCAL, ASK or TRYAGAIN as Redis's
         * {@code getNodeByQuery} does.
         */
        KEY_CHECK,
        MOVED,
        ASK,
        CROSSSLOT,
        TRYAGAIN,
        CLUSTERDOWN
    }

    static final RouteDecision NO_KEYS = new RouteDecision(Kind.NO_KEYS, null, -1, null, null);
    static final RouteDecision INVALID_ARGS = new RouteDecision(Kind.INVALID_ARGS, null, -1, null, null);
    static final RouteDecision CROSSSLOT = new RouteDecision(Kind.CROSSSLOT, null, -1,
            "CROSSSLOT Keys in request don't hash to the same slot", null);
    static final RouteDecision TRY_AGAIN = new RouteDecision(Kind.TRYAGAIN, null, -1,
            "TRYAGAIN Multiple keys request during rehashing of slot", null);
    static final RouteDecision CLUSTER_DOWN = new RouteDecision(Kind.CLUSTERDOWN, null, -1,
            "CLUSTERDOWN The cluster is down", null);

    static RouteDecision local(String backend, int slot) {
        return new RouteDecision(Kind.LOCAL, backend, slot, null, null);
    }

    static RouteDecision replica(String backend, int slot) {
        return new RouteDecision(Kind.REPLICA, backend, slot, null, null);
    }

    static RouteDecision keyCheck(String backend, int slot) {
        return new RouteDecision(Kind.KEY_CHECK, backend, slot, null, null);
    }

    static RouteDecision ask(int slot, String address) {
        return new RouteDecision(Kind.ASK, null, slot, "ASK " + slot + " " + address, null);
    }

    static RouteDecision moved(int slot, String address) {
        return new RouteDecision(Kind.MOVED, null, slot, "MOVED " + slot + " " + address, null);
    }

    static RouteDecision unserved(int slot) {
        return new RouteDecision(Kind.CLUSTERDOWN, null, slot, "CLUSTERDOWN Hash slot not served", null);
    }

    static RouteDecision fanOut(FanOutPlan plan) {
        return new RouteDecision(Kind.FAN_OUT, null, -1, null, plan);
    }

    /** MOVED or ASK: the client is sent elsewhere. */
    public boolean isRedirect() {
        return kind == Kind.MOVED || kind == Kind.ASK;
    }
}
