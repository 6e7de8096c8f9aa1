package io.moonshard.proxy.internal.replication;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.proxy.internal.engine.BackgroundEngine;
import io.moonshard.proxy.internal.engine.EngineHost;
import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.proxy.internal.engine.ReplicationUser;
import io.moonshard.proxy.internal.metadata.ReplicationState;
import io.moonshard.proxy.internal.metrics.ProxyMeters;
import io.moonshard.proxy.internal.route.MigrationGate;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code UMCTL SETREPL} to the local Redis nodes and keeps each in its role without blind loops:
 * one {@link NodeKeeper} per entry, probed every {@value #PROBE_MILLIS} ms on the engine's one thread
 * ({@code INFO server replication} of the node and, for a replica, of its master), which also runs the
 * promotion commands, so a probe and a promotion never interleave.
 *
 * <p>Where a failover is decided: {@link #promote} (a local replica becomes a master, if its offset has
 * reached the one given) and {@link #switchover} (Redis's {@code FAILOVER TO}, with the shard's slots held
 * meanwhile). Until the controller's next SETCLUSTER, the engine's entries in the slot gate route the
 * shard: the new master's proxy serves it from the promoted node, the old master's proxy answers
 * {@code MOVED} to it, and a master that restarted while it had a replica is refused ({@code -TRYAGAIN}).
 */
public final class ReplicationEngine implements BackgroundEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationEngine.class);
    static final long PROBE_MILLIS = 25;
    private static final int LINK_TIMEOUT_MILLIS = 500;
    /** A wipe's FLUSHALL SYNC of a large node takes seconds: its own link waits this long for each reply. */
    private static final int WIPE_TIMEOUT_MILLIS = 60_000;
    /** How long a wipe waits for the migration tasks of the old metadata to end before it gives up (and is asked again). */
    private static final long WIPE_TASKS_WAIT_MILLIS = 5_000;
    private static final String HELD_MASTER =
            "TRYAGAIN the master of this slot restarted and may have lost data its replica holds; waiting for a failover decision (SETREPL)";

    /** A failover this proxy took part in, shown and routed until the controller's SETCLUSTER arrives. */
    private record Failover(SlotSet slots, MigrationGate.Verdict verdict, String target, boolean targetIsLocal,
                            long epoch) {
    }

    private final MigrationGate gate;
    private final ProxyMeters meters;
    private EngineHost host;
    private ReplicationState metadata;
    private ScheduledExecutorService thread;
    private ReplicationUser replicationUser;
    /** Confined to the engine's thread. */
    private final Map<String, NodeKeeper> keepers = new LinkedHashMap<>();
    private final Map<String, RedisLink> links = new HashMap<>();
    private final Map<Object, SlotSet> gateEntries = new HashMap<>();
    private final List<Failover> failovers = new ArrayList<>();
    /** The gate entries of {@link #failovers} belong to this token. */
    private final Object failoverOwner = new Object();
    /** What INFOREPL and the metrics read: replaced whole after every probe. */
    private volatile List<Status> statuses = List.of();
    private volatile long promotions;
    private volatile long switchovers;
    private volatile long lastSwitchoverPauseMicros = -1;
    /** The last switchover's steps in µs: the loop barrier, Redis's FAILOVER, the new master's proxy told. */
    private volatile long[] lastSwitchoverSteps = {-1, -1, -1, -1, -1};

    /** One entry's state as shown: INFOREPL lines, metrics, readiness. */
    public record Status(SetReplRequest.Node entry, String state, long offset, long lag, boolean linkUp) {
        /** A master entry whose node cannot serve safely (down or held). */
        public boolean unsafeMaster() {
            return entry.master() && (state.equals("down") || state.equals("held"));
        }
    }

    public ReplicationEngine(MigrationGate gate, ProxyMeters meters) {
        this.gate = gate;
        this.meters = meters;
    }

    @Override
    public void start(EngineHost host) {
        this.host = host;
        this.metadata = host.replication();
        this.replicationUser = ReplicationUser.of(host.config());
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "moonshard-replication");
            t.setDaemon(true);
            return t;
        });
        metadata.onApplied(request -> thread.execute(() -> applied(request)));
        host.onPublished((previous, next) -> thread.execute(() -> published(next)));
        thread.scheduleWithFixedDelay(this::probeAll, PROBE_MILLIS, PROBE_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
            try {
                thread.awaitTermination(2, TimeUnit.SECONDS); // a probe in progress ends within its link timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List.copyOf(links.values()).forEach(RedisLink::close);
        }
    }

    public List<Status> statuses() {
        return statuses;
    }

    public long promotions() {
        return promotions;
    }

    public long switchovers() {
        return switchovers;
    }

    /**
     * Where the last switchover's hold went, in µs: {barrier, catch-up, FAILOVER, peer told}, then 1 when
     * the replica was found caught up (FAILOVER FORCE) or 0 (FAILOVER waited for it) (-1 before any).
     */
    public long[] lastSwitchoverSteps() {
        return lastSwitchoverSteps.clone();
    }

    /** How long the last switchover held its slots' commands, in µs (-1 before any). */
    public long lastSwitchoverPauseMicros() {
        return lastSwitchoverPauseMicros;
    }

    // ---- SETREPL and SETCLUSTER ----

    private void applied(SetReplRequest request) {
        Map<String, NodeKeeper> next = new LinkedHashMap<>();
        for (SetReplRequest.Node entry : request.nodes()) {
            String key = key(entry);
            NodeKeeper same = keepers.get(key);
            if (same != null && same.entry().equals(entry)) {
                same.reaffirmed(request.force());
                next.put(key, same);
            } else {
                NodeKeeper before = same != null ? same : byAddress(entry.address());
                next.put(key, new NodeKeeper(entry, before));
            }
        }
        for (NodeKeeper gone : keepers.values()) {
            if (!next.containsKey(key(gone.entry()))) {
                clearGate(gone);
            }
        }
        keepers.clear();
        keepers.putAll(next);
        next.values().forEach(k -> meters.replicationNodeSeen(k.entry().address()));
        probeAll();
    }

    private NodeKeeper byAddress(String address) {
        for (NodeKeeper k : keepers.values()) {
            if (k.entry().address().equals(address)) {
                return k;
            }
        }
        return null;
    }

    private static String key(SetReplRequest.Node entry) {
        return entry.clusterName() + " " + entry.address() + " " + (entry.master() ? "master" : "replica");
    }

    /** A SETCLUSTER at or after a failover's epoch is the controller's decision: the failover's routing ends. */
    private void published(ClusterSnapshot next) {
        boolean changed = failovers.removeIf(f -> next.epoch() >= f.epoch());
        if (changed) {
            publishFailovers();
        }
        refreshGate(); // held masters' slots follow the new layout
    }

    // ---- probing ----

    private void probeAll() {
        List<Status> shown = new ArrayList<>(keepers.size());
        for (NodeKeeper keeper : keepers.values()) {
            try {
                probe(keeper);
            } catch (RuntimeException e) {
                LOG.warn("replication probe of {} failed", keeper.entry().address(), e);
            }
            ReplicationInfo local = keeper.lastLocal();
            shown.add(new Status(keeper.entry(), keeper.state().shown(), keeper.offset(), keeper.lag(),
                    local != null && local.linkUp() && keeper.state() != NodeKeeper.State.DOWN));
        }
        statuses = List.copyOf(shown);
        refreshGate();
    }

    private void probe(NodeKeeper keeper) {
        String node = keeper.entry().address();
        ReplicationInfo local = info(node);
        ReplicationInfo master = keeper.masterNode() == null ? null : info(keeper.masterNode());
        NodeKeeper.State before = keeper.state();
        // asked only of a replica not following its master now, the one case it may be pointed at it
        boolean masterServesSyncs = master == null || local == null || local.replicates(keeper.masterNode())
                || servesSyncs(keeper.masterNode());
        NodeKeeper.Action action = keeper.step(local, master, masterServesSyncs);
        if (keeper.state() != before) {
            LOG.info("replication: {} {} -> {}", node, before.shown(), keeper.state().shown());
        }
        if (keeper.needsReplicationUser(local) && giveReplicationUser(node)) {
            keeper.replicationUserGiven(local);
        }
        switch (action) {
            case NONE -> {
            }
            case MAKE_MASTER -> command(node, "REPLICAOF", "NO", "ONE");
            case ATTACH -> attach(node, keeper.masterNode());
            case PARK -> command(node, "REPLICAOF", node.substring(0, node.lastIndexOf(':')), "0");
        }
    }

    /**
     * Lets {@code node} serve syncs to replicas that authenticate as the {@link ReplicationUser}, and
     * makes it authenticate so itself when it follows a master (a replica attached here, a master that a
     * FAILOVER turns into its replica's replica). A node that answers the ACL command with an error (the
     * backend user may not run it) is logged and tried again at the next probe.
     *
     * @return whether both commands were accepted
     */
    private boolean giveReplicationUser(String node) {
        Object granted = command(node, replicationUser.grant());
        if (!"OK".equals(granted)) {
            return false;
        }
        return "OK".equals(command(node, replicationUser.follow()));
    }

    /**
     * Whether {@code master} has the {@link ReplicationUser}, so that a replica pointed at it can sync.
     * One that answers {@code ACL GETUSER} with an error (the backend user may not run it) is taken to
     * have it: nothing better is known, and the replica then tries as it did before the user existed.
     */
    private boolean servesSyncs(String master) {
        try {
            return link(master).call("ACL", "GETUSER", ReplicationUser.NAME) != null; // nil: no such user
        } catch (IOException | RuntimeException e) {
            dropLink(master);
            return false;
        }
    }

    /**
     * {@code REPLICAOF master}, after giving the replica what it needs to be found: the address it is
     * known by ({@code replica-announce-ip}: a master lists a replica by the IP its connection came from,
     * which on a host with several addresses is not the one in SETREPL, and FAILOVER TO must name it as
     * listed). It authenticates as the {@link ReplicationUser}, given to it by {@link #probe} first.
     */
    private void attach(String node, String master) {
        command(node, "CONFIG", "SET", "replica-announce-ip", node.substring(0, node.lastIndexOf(':')));
        int colon = master.lastIndexOf(':');
        command(node, "REPLICAOF", master.substring(0, colon), master.substring(colon + 1));
    }

    private ReplicationInfo info(String address) {
        try {
            Object reply = link(address).call("INFO", "server", "replication");
            if (reply instanceof byte[] text) {
                return ReplicationInfo.parse(new String(text, java.nio.charset.StandardCharsets.UTF_8));
            }
            return null; // an error (e.g. LOADING): not a usable answer
        } catch (IOException | RuntimeException e) {
            dropLink(address);
            return null;
        }
    }

    private Object command(String address, Object... args) {
        try {
            Object reply = link(address).call(args);
            if (reply instanceof RedisLink.ErrorReply error) {
                LOG.warn("replication: {} answered {} to {}", address, error.message(), args[0]);
            }
            return reply;
        } catch (IOException | RuntimeException e) {
            dropLink(address);
            LOG.warn("replication: {} unreachable for {}: {}", address, args[0], e.toString());
            return null;
        }
    }

    private RedisLink link(String address) throws IOException {
        RedisLink link = links.get(address);
        if (link == null) {
            link = host.connectBackend(address, LINK_TIMEOUT_MILLIS);
            links.put(address, link);
        }
        return link;
    }

    private void dropLink(String address) {
        RedisLink link = links.remove(address);
        if (link != null) {
            link.close();
        }
    }

    // ---- wipe ----

    /**
     * {@code UMCTL WIPE}'s data step, once the proxy serves nothing and {@code nodes} are masters of no
     * cluster in its SETREPL: waits until {@code liveTasks} reports no migration task left (one still
     * copying would write into a node after its flush), then on each node {@code REPLICAOF NO ONE},
     * {@code FLUSHALL SYNC}, and a {@code DBSIZE} that must read 0. On the engine's thread, so no probe's
     * role change runs in between. Before each node it checks {@code stillWiped}: metadata newer than the
     * wipe (a cluster that took the proxy meanwhile) stops it, so that cluster's data is never flushed.
     * {@code reply} gets {@code +OK} when every node is an empty master, else
     * the error naming the node that failed (the rest are not touched; the controller asks again).
     */
    public void wipe(List<String> nodes, IntSupplier liveTasks, BooleanSupplier stillWiped,
                     Consumer<String> reply) {
        thread.execute(() -> reply.accept(wipeNow(nodes, liveTasks, stillWiped)));
    }

    private String wipeNow(List<String> nodes, IntSupplier liveTasks, BooleanSupplier stillWiped) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WIPE_TASKS_WAIT_MILLIS);
        int running;
        while ((running = liveTasks.getAsInt()) > 0) {
            if (System.nanoTime() - deadline > 0) {
                return "-ERR WIPE: " + running + " migration task(s) of the old metadata still running; try again";
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // they end within their step
        }
        for (String node : nodes) {
            if (!stillWiped.getAsBoolean()) {
                return "-OLD_EPOCH newer metadata arrived during the wipe; " + node + " and the nodes after it were not flushed";
            }
            String failed = wipeNode(node);
            if (failed != null) {
                LOG.warn("wipe: {}", failed);
                return "-ERR WIPE: " + failed;
            }
        }
        LOG.info("wipe: {} replicate from nobody and hold no key", nodes);
        thread.execute(this::probeAll); // the states shown catch up at once
        return "+OK";
    }

    /** Null when {@code node} is now an empty master, else what went wrong, naming it. */
    private String wipeNode(String node) {
        try (RedisLink link = host.connectBackend(node, WIPE_TIMEOUT_MILLIS)) {
            Object master = link.call("REPLICAOF", "NO", "ONE");
            if (!"OK".equals(master)) {
                return "REPLICAOF NO ONE on " + node + " answered " + describe(master);
            }
            Object flushed = link.call("FLUSHALL", "SYNC");
            if (!"OK".equals(flushed)) {
                return "FLUSHALL SYNC on " + node + " answered " + describe(flushed);
            }
            Object size = link.call("DBSIZE");
            if (!(size instanceof Long n) || n != 0) {
                return node + " holds " + describe(size) + " keys after FLUSHALL (something still writes to it)";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return node + " unreachable: " + e.getMessage();
        }
    }

    // ---- the slot gate: held masters ----

    private void refreshGate() {
        ClusterSnapshot snapshot = host.snapshot();
        for (NodeKeeper keeper : keepers.values()) {
            boolean held = keeper.entry().master() && keeper.state() == NodeKeeper.State.HELD;
            SlotSet slots = held ? localSlots(snapshot, keeper.entry().address()) : SlotSet.empty();
            SlotSet was = gateEntries.getOrDefault(keeper, SlotSet.empty());
            if (!slots.equals(was)) {
                if (!was.isEmpty()) {
                    gate.edit(t -> t.with(pairs(was), null, null, null, keeper));
                }
                if (!slots.isEmpty()) {
                    gate.edit(t -> t.with(pairs(slots), MigrationGate.Verdict.REFUSE, HELD_MASTER, null, keeper));
                    gateEntries.put(keeper, slots);
                } else {
                    gateEntries.remove(keeper);
                }
                gate.releaseHeld();
            }
        }
    }

    private void clearGate(NodeKeeper keeper) {
        SlotSet was = gateEntries.remove(keeper);
        if (was != null) {
            gate.edit(t -> t.with(pairs(was), null, null, null, keeper));
            gate.releaseHeld();
        }
    }

    private static SlotSet localSlots(ClusterSnapshot snapshot, String node) {
        return served(snapshot.local().getOrDefault(node, List.of()));
    }

    private static SlotSet served(List<SlotAssignment> list) {
        SlotSet out = SlotSet.empty();
        for (SlotAssignment a : list) {
            if (a.tag() != RangeTag.IMPORTING) {
                out = out.union(a.slots());
            }
        }
        return out;
    }

    private static List<int[]> pairs(SlotSet slots) {
        List<int[]> out = new ArrayList<>();
        for (SlotRange r : slots.ranges()) {
            out.add(new int[] {r.start(), r.end()});
        }
        return out;
    }

    // ---- failovers ----

    /**
     * {@code UMCTL PROMOTE <epoch> <node> (MINOFFSET <offset> | FORCE)}: the local replica {@code node}
     * becomes a master if its replication offset has reached {@code minOffset} (any offset with
     * {@code force}), and this proxy serves its master's slots from it until the next SETCLUSTER.
     * {@code reply} gets the whole reply line, on the engine's thread.
     */
    public void promote(long epoch, String node, long minOffset, boolean force, Consumer<String> reply) {
        thread.execute(() -> reply.accept(promoteNow(epoch, node, minOffset, force)));
    }

    private String promoteNow(long epoch, String node, long minOffset, boolean force) {
        String stale = staleEpoch(epoch);
        if (stale != null) {
            return stale;
        }
        NodeKeeper keeper = keepers.get(keyOf(node, false));
        if (keeper == null) {
            return "-ERR " + node + " is not a replica in this proxy's SETREPL";
        }
        ReplicationInfo local = info(node);
        if (local == null) {
            return "-ERR " + node + " does not answer";
        }
        if (!force && local.syncInProgress()) {
            return "-ERR " + node + " is in a full resync: its data is incomplete (FORCE to promote anyway)";
        }
        if (!force && local.offset() < minOffset) {
            return "-ERR " + node + " replication offset " + local.offset() + " is behind " + minOffset;
        }
        Object answer = command(node, "REPLICAOF", "NO", "ONE");
        if (!"OK".equals(answer)) {
            return "-ERR REPLICAOF NO ONE on " + node + " answered " + describe(answer);
        }
        metadata.raiseFloor(epoch);
        keeper.promoted();
        promotions++;
        SlotSet slots = served(host.snapshot().peers().getOrDefault(keeper.masterProxy(), List.of()));
        addFailover(new Failover(slots, MigrationGate.Verdict.SERVE_IMPORTED, node, true, epoch));
        LOG.info("replication: promoted {} at offset {} (epoch {}), serving {}", node, local.offset(), epoch, slots);
        thread.execute(this::probeAll); // after the reply: the states shown catch up at once
        return "+OK";
    }

    /**
     * {@code UMCTL SWITCHOVER <epoch> <node> <replica-node> <replica-proxy> [TIMEOUT <ms>]}: a planned
     * handover of the local master {@code node} to its replica with Redis's {@code FAILOVER TO}, which
     * pauses writes until the replica has caught up. The shard's commands are held here meanwhile; then
     * the replica's proxy is told to serve the slots ({@code UMCTL PROMOTED}, peer-authenticated) and this
     * proxy answers {@code MOVED} to it. A FAILOVER that does not complete leaves the master as it was.
     */
    public void switchover(long epoch, String node, String replicaNode, String replicaProxy, long timeoutMillis,
                           Consumer<String> reply) {
        thread.execute(() -> reply.accept(switchoverNow(epoch, node, replicaNode, replicaProxy, timeoutMillis)));
    }

    private String switchoverNow(long epoch, String node, String replicaNode, String replicaProxy, long timeoutMillis) {
        String stale = staleEpoch(epoch);
        if (stale != null) {
            return stale;
        }
        NodeKeeper keeper = keepers.get(keyOf(node, true));
        if (keeper == null || keeper.entry().peers().stream().noneMatch(p -> p.nodeAddress().equals(replicaNode))) {
            return "-ERR " + node + " is not a master with replica " + replicaNode + " in this proxy's SETREPL";
        }
        ReplicationInfo before = info(node);
        if (before == null || !before.master()) {
            return "-ERR " + node + " is not an answering master";
        }
        ReplicationInfo.Replica target = before.replica(replicaNode);
        if (target == null) {
            return "-ERR " + replicaNode + " is not a connected replica of " + node + " (it lists " + before.replicas()
                    + "; a replica attached outside the proxy needs replica-announce-ip set to its host)";
        }
        SlotSet slots = localSlots(host.snapshot(), node);
        Object holdOwner = new Object();
        long pauseStart = System.nanoTime();
        gate.edit(t -> t.with(pairs(slots), MigrationGate.Verdict.HOLD, null, null, holdOwner));
        awaitLoops(); // every command routed from here on sees the hold
        long held = System.nanoTime();
        boolean synced = caughtUp(node, replicaNode);
        long caughtUp = System.nanoTime();
        // FAILOVER TO names the replica as the master lists it; FORCE only once the replica has it all
        Object started = synced
                ? command(node, "FAILOVER", "TO", target.ip(), Integer.toString(target.port()), "TIMEOUT", "1", "FORCE")
                : command(node, "FAILOVER", "TO", target.ip(), Integer.toString(target.port()),
                        "TIMEOUT", Long.toString(timeoutMillis));
        ReplicationInfo after = null;
        if ("OK".equals(started)) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis + 2_000);
            do {
                after = info(node);
                if (after != null && after.failoverState().equals("no-failover")) {
                    break;
                }
                waitBriefly();
            } while (System.nanoTime() < deadline);
        }
        if (after == null || !after.replicates(target.ip() + ":" + target.port())) {
            gate.edit(t -> t.with(pairs(slots), null, null, null, holdOwner));
            gate.releaseHeld();
            return "-ERR FAILOVER to " + replicaNode + " did not complete: "
                    + ("OK".equals(started) ? (after == null ? "no answer" : "still " + (after.master() ? "master" : "replica"))
                    : describe(started));
        }
        long swapped = System.nanoTime();
        String confirmed = peerPromoted(replicaProxy, epoch, replicaNode, before.offset());
        long told = System.nanoTime();
        if (!"+OK".equals(confirmed)) {
            LOG.warn("replication: {} did not confirm the promotion of {}: {}", replicaProxy, replicaNode, confirmed);
        }
        metadata.raiseFloor(epoch);
        keeper.demoted();
        switchovers++;
        addFailover(new Failover(slots, MigrationGate.Verdict.REDIRECT, replicaProxy, false, epoch));
        gate.edit(t -> t.with(pairs(slots), null, null, null, holdOwner));
        gate.releaseHeld();
        lastSwitchoverPauseMicros = (System.nanoTime() - pauseStart) / 1_000;
        lastSwitchoverSteps = new long[] {(held - pauseStart) / 1_000, (caughtUp - held) / 1_000, (swapped - caughtUp) / 1_000,
                (told - swapped) / 1_000, synced ? 1 : 0};
        LOG.info("replication: switched {} over to {} at {} in {} µs (barrier {} µs, FAILOVER {} µs, peer {} µs)", node,
                replicaNode, replicaProxy, lastSwitchoverPauseMicros, (held - pauseStart) / 1_000, (swapped - held) / 1_000,
                (told - swapped) / 1_000);
        thread.execute(this::probeAll);
        return "+OK";
    }

    /**
     * Whether the replica has applied everything the master has, checked while the shard's commands are
     * held: the master's offset must read the same twice in a row (the commands the proxy had in flight
     * on other connections, which Redis may read after ours, have all run) and equal the offset the
     * replica itself reports having applied. Polled about every millisecond for at most
     * {@link #CATCH_UP_LIMIT_NANOS}: a replica under load applies the last of the stream within a few ms
     * on a quiet machine, but on two busy cores it was seen 25 ms behind, and a bound in rounds (20 of
     * them) then fell back to the un-forced FAILOVER and its one-second wait for an acknowledgement.
     *
     * <p>Why it matters: FAILOVER waits until the replica's <em>acknowledged</em> offset equals the
     * master's, and under load that takes up to a second: a replica acknowledges once a second, and Redis
     * sends no {@code REPLCONF GETACK} while FAILOVER pauses clients (a GETACK, 37 bytes of the stream,
     * is never covered by its own acknowledgement either). Once this check passed nothing is left to wait
     * for, and the switchover uses {@code FAILOVER ... TIMEOUT 1 FORCE}.
     */
    private boolean caughtUp(String node, String replicaNode) {
        long previous = -1;
        long deadline = System.nanoTime() + CATCH_UP_LIMIT_NANOS;
        while (System.nanoTime() < deadline) {
            ReplicationInfo master = info(node);
            ReplicationInfo replica = info(replicaNode);
            if (master == null || replica == null || !replica.replicates(node)) {
                return false;
            }
            if (master.offset() == previous && replica.offset() == master.offset()) {
                return true;
            }
            previous = master.offset();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // let the stream flow
        }
        return false;
    }

    /** {@code UMCTL PROMOTED <epoch> <node> <offset>} from the old master's proxy, after its FAILOVER completed. */
    public void promotedByPeer(long epoch, String node, long offset, Consumer<String> reply) {
        thread.execute(() -> reply.accept(promoteNow(epoch, node, offset, false)));
    }

    private String peerPromoted(String proxy, long epoch, String node, long offset) {
        try (RedisLink peer = host.connectPeer(proxy, 1_000)) {
            Object reply = peer.call("UMCTL", "PROMOTED", Long.toString(epoch), node, Long.toString(offset));
            return reply instanceof RedisLink.ErrorReply e ? "-" + e.message() : "+" + reply;
        } catch (IOException | RuntimeException e) {
            return "unreachable: " + e;
        }
    }

    private String staleEpoch(long epoch) {
        return epoch <= metadata.floor() ? "-OLD_EPOCH" : null;
    }

    private String keyOf(String node, boolean master) {
        for (Map.Entry<String, NodeKeeper> e : keepers.entrySet()) {
            SetReplRequest.Node entry = e.getValue().entry();
            if (entry.address().equals(node) && entry.master() == master) {
                return e.getKey();
            }
        }
        return "";
    }

    private void addFailover(Failover failover) {
        failovers.add(failover);
        publishFailovers();
    }

    /** The failovers' gate entries and CLUSTER views, replaced whole. */
    private void publishFailovers() {
        gate.edit(t -> {
            MigrationGate.Table table = t.with(List.of(new int[] {0, 16383}), null, null, null, failoverOwner);
            for (Failover f : failovers) {
                table = table.with(pairs(f.slots()), f.verdict(), f.target(), null, failoverOwner);
            }
            return table;
        });
        gate.releaseHeld();
        List<Failover> shown = List.copyOf(failovers);
        host.showAs(this, shown.isEmpty() ? null : snapshot -> {
            ClusterSnapshot out = snapshot;
            for (Failover f : shown) {
                out = out.failedOver(f.slots(), f.target(), f.targetIsLocal());
            }
            return out;
        });
    }

    /** Returns once every event loop has run a task queued now: commands routed after it see the gate as it is. */
    private void awaitLoops() {
        List<CompletableFuture<Void>> marks = new ArrayList<>();
        for (EventLoop loop : host.eventLoops()) {
            CompletableFuture<Void> mark = new CompletableFuture<>();
            loop.execute(() -> mark.complete(null));
            marks.add(mark);
        }
        try {
            CompletableFuture.allOf(marks.toArray(CompletableFuture[]::new)).get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("replication: an event loop did not answer the barrier in 1 s", e);
        }
    }

    /** How long a switchover waits, its shard held, for the replica to have applied all of the master's stream. */
    private static final long CATCH_UP_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** The pace of polling a FAILOVER's progress; it completes in tens of ms. */
    private static void waitBriefly() {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }

    private static String describe(Object reply) {
        if (reply instanceof RedisLink.ErrorReply e) {
            return "-" + e.message();
        }
        if (reply instanceof byte[] b) {
            return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }
        return String.valueOf(reply);
    }
}
