package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.AckLedger;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.MigrationCoordinator;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * While slots move, a proxy's DBSIZE, RANDOMKEY and CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT leave out
 * the keys its Redis holds for the move but its clients must not see: the copies a destination has
 * staged, and the moved keys a source has not trimmed yet. Two proxies, one Redis each: A owns
 * 0-12287, B 12288-16383, and 4096-8191 moves from A to B. The copy and the trim are slowed with
 * the migration budget, so each phase lasts long enough to be looked at; every check of a phase is
 * followed by a check that the phase still holds.
 */
class HiddenKeysIT {

    private static final int[] R = {4096, 8191};
    private static final int A = 0;
    private static final int B = 1;
    private static final int CROWDED = 5000; // a moving slot with several keys
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(40);
    private static final Duration TRIM_TIMEOUT = Duration.ofSeconds(40);
    /**
     * Keys per second: the copy and the trim go in batches of over 1,000 keys, each followed by a pause
     * of batch / budget (~10 s), so the 6,000 moving keys are staged and trimmed over several pauses:
     * time for the checks of a phase on a busy machine (paranoid leak detection makes them slow).
     */
    private static final String SLOW = "150";

    /** The keys of the test, by who may see them when. */
    private record Keys(List<String> stay, List<String> moving, List<String> own) {
        static Keys make() {
            List<String> moving = new ArrayList<>(AckLedger.keysInSlots("moving", 6000, R));
            for (int i = 0; i < 10; i++) {
                moving.add(Slots.keyIn(CROWDED, "crowd:" + i));
            }
            // 1,000 of ~8,000 keys: Redis a never shrinks its table below 10% full, so SCAN returns no
            // key twice while the trim deletes the others
            return new Keys(AckLedger.keysInSlots("stay", 1000, new int[] {0, 4095}, new int[] {8192, 12287}),
                    moving, AckLedger.keysInSlots("own", 200, new int[] {12288, 16383}));
        }

        Set<String> inSlot(int slot, List<String> list) {
            Set<String> out = new HashSet<>();
            for (String key : list) {
                if (Slots.slotOf(key) == slot) {
                    out.add(key);
                }
            }
            return out;
        }
    }

    // ---- the commands, through a proxy or at a Redis -------------------------------------------

    private static long integer(String reply) {
        assertThat(reply).startsWith(":");
        return Long.parseLong(reply.substring(1).trim());
    }

    private static long dbsize(RawRedisClient client) {
        return integer(client.call("DBSIZE"));
    }

    private static long dbsize(RedisProcess redis) {
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            return dbsize(client);
        }
    }

    private static long countKeys(RawRedisClient client, int slot) {
        return integer(client.call("CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot)));
    }

    private static Set<String> getKeys(RawRedisClient client, int slot) {
        return new HashSet<>(MigrationCoordinator.parseBulkArray(
                client.call("CLUSTER", "GETKEYSINSLOT", Integer.toString(slot), "1000")));
    }

    /** {@code samples} RANDOMKEY replies, each a key (a nil reply fails the test). */
    private static Set<String> randomKeys(RawRedisClient client, int samples) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < samples; i++) {
            String reply = client.call("RANDOMKEY");
            assertThat(reply).as("RANDOMKEY").startsWith("$").isNotEqualTo("$-1\r\n");
            seen.add(reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2));
        }
        return seen;
    }

    /** SETs every key, pipelined 200 at a time (a shared machine answers a long pipeline slowly). */
    private static void setAll(RawRedisClient client, List<String> keys) {
        for (int from = 0; from < keys.size(); from += 200) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 200));
            for (String key : chunk) {
                client.send("SET", key, "v");
            }
            for (String key : chunk) {
                assertThat(client.readReply()).as("SET %s", key).isEqualTo("+OK\r\n");
            }
        }
    }

    private static void budget(RawRedisClient source, String keysPerSecond) {
        assertThat(source.call("CONFIG", "SET", "moonshard-migration-keys-per-second", keysPerSecond))
                .isEqualTo("+OK\r\n");
    }

    private static MigrationCoordinator layout(MigrationCoordinator coordinator) {
        coordinator.assign(A, new int[] {0, 12287});
        coordinator.assign(B, new int[] {12288, 16383});
        coordinator.pushLayout();
        return coordinator;
    }

    // ---- tests -------------------------------------------------------------------------------

    @Test
    void plainRedis_stagedAndMovedKeysAreLeftOut_exactly() {
        Keys keys = Keys.make();
        Set<String> crowd = keys.inSlot(CROWDED, keys.moving());
        int stayed = keys.stay().size();
        int moved = keys.moving().size();
        int own = keys.own().size();
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(2, 1)) {
            MigrationCoordinator coordinator = layout(cluster.coordinator());
            RedisProcess a = cluster.backends.get(A).get(0);
            RedisProcess b = cluster.backends.get(B).get(0);
            try (RawRedisClient toA = new RawRedisClient(cluster.port(A));
                 RawRedisClient toB = new RawRedisClient(cluster.port(B));
                 RawRedisClient toB3 = new RawRedisClient(cluster.port(B))) {
                assertThat(toB3.call("HELLO", "3")).startsWith("%");
                setAll(toA, keys.stay());
                setAll(toA, keys.moving());

                // no move: what the Redis holds
                Set<String> atA = new HashSet<>(keys.stay());
                atA.addAll(keys.moving());
                assertThat(dbsize(toA)).isEqualTo(stayed + moved);
                assertThat(dbsize(toB)).isZero();
                assertThat(countKeys(toA, CROWDED)).isEqualTo(crowd.size()).isGreaterThanOrEqualTo(10);
                assertThat(getKeys(toA, CROWDED)).isEqualTo(crowd);
                assertThat(atA).containsAll(randomKeys(toA, 20));
                assertThat(toB.call("RANDOMKEY")).isEqualTo("$-1\r\n");

                budget(toA, SLOW);
                coordinator.startMove(A, B, R);
                await("keys staged in Redis b").atMost(COMMIT_TIMEOUT).pollInterval(Duration.ofMillis(10))
                        .until(() -> dbsize(b) > 0);
                String importing = coordinator.importingLine();
                // staging at B, nothing visible there yet; A, still copying, serves and shows everything
                long emptyShown = dbsize(toB);
                String nil2 = toB.call("RANDOMKEY");
                String nil3 = toB3.call("RANDOMKEY");
                long emptyCounted = countKeys(toB, CROWDED);
                Set<String> emptyListed = getKeys(toB, CROWDED);
                long shownAtA = dbsize(toA);
                long countedAtA = countKeys(toA, CROWDED);
                // then B's own keys: exactly those are seen
                setAll(toB, keys.own());
                long ownShown = dbsize(toB);
                Set<String> sampled = randomKeys(toB, 15);
                sampled.addAll(randomKeys(toB3, 5));
                long staged = dbsize(b) - own;
                // every sample above was taken while B was staging, if it still is
                assertThat(coordinator.lists(B, importing)).as("still staging after the checks").isFalse();
                assertThat(staged).as("staged keys in Redis b").isPositive();
                assertThat(emptyShown).as("DBSIZE at B while keys are staged").isZero();
                assertThat(nil2).isEqualTo("$-1\r\n");
                assertThat(nil3).as("RESP3 nil").isEqualTo("_\r\n");
                assertThat(emptyCounted).isZero();
                assertThat(emptyListed).isEmpty();
                assertThat(shownAtA).isEqualTo(stayed + moved);
                assertThat(countedAtA).isEqualTo(crowd.size());
                assertThat(ownShown).as("DBSIZE at B while %d keys are staged", staged).isEqualTo(own);
                assertThat(keys.own()).as("RANDOMKEY at B while %d keys are staged", staged).containsAll(sampled);

                budget(toA, "0");
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                // flipped, before the commit SETCLUSTER: A's Redis still holds every moved key
                assertThat(dbsize(a)).isEqualTo(stayed + moved);
                assertThat(dbsize(toA)).isEqualTo(stayed);
                assertThat(keys.stay()).containsAll(randomKeys(toA, 15));
                assertThat(countKeys(toA, CROWDED)).isZero();
                assertThat(getKeys(toA, CROWDED)).isEmpty();
                int staySlot = Slots.slotOf(keys.stay().get(0));
                assertThat(countKeys(toA, staySlot)).isEqualTo(keys.inSlot(staySlot, keys.stay()).size());
                // B serves the import: its keys are visible there, before the coordinator says so
                assertThat(dbsize(toB)).isEqualTo(own + moved);
                assertThat(countKeys(toB, CROWDED)).isEqualTo(crowd.size());
                assertThat(getKeys(toB, CROWDED)).isEqualTo(crowd);

                budget(toA, SLOW);
                coordinator.commit();
                // trimming at A
                long shown = dbsize(toA);
                Set<String> random = randomKeys(toA, 15);
                long counted = countKeys(toA, CROWDED);
                Set<String> listed = getKeys(toA, CROWDED);
                long held = dbsize(a);
                // every sample above was taken while Redis a still held moved keys, if it still does
                assertThat(held).as("still trimming after the checks").isGreaterThan(stayed);
                assertThat(shown).as("DBSIZE at A while Redis a holds %d keys", held).isEqualTo(stayed);
                assertThat(keys.stay()).containsAll(random);
                assertThat(counted).isZero();
                assertThat(listed).isEmpty();

                budget(toA, "0");
                await("the moved keys trimmed from Redis a").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> dbsize(a) == stayed);
                await("INFOMGR empty after the trim").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(25))
                        .until(() -> coordinator.infoMgrRaw(A).equals("*0\r\n") && coordinator.infoMgrRaw(B).equals("*0\r\n"));
                // no move again: plain answers
                Set<String> atB = new HashSet<>(keys.own());
                atB.addAll(keys.moving());
                assertThat(dbsize(toA)).isEqualTo(stayed);
                assertThat(dbsize(toB)).isEqualTo(own + moved);
                assertThat(atB).containsAll(randomKeys(toB, 20));
                assertThat(countKeys(toB, CROWDED)).isEqualTo(crowd.size());
                assertThat(countKeys(toA, CROWDED)).isZero();
            }
        }
    }

    /**
     * Cluster-enabled backends (each owning all 16384 slots): DBSIZE is the backend's DBSIZE less the
     * hidden slots' COUNTKEYSINSLOT. The migration's register there is a key of database 0 (such a
     * Redis has no database 1) outside the moving slots, which this DBSIZE still counts
     * (docs/compatibility.md); RANDOMKEY never returns it.
     */
    @Test
    void clusterEnabledRedis_dbsizeLeavesOutTheHiddenSlotsCounts() throws Exception {
        Keys keys = Keys.make();
        int stayed = keys.stay().size();
        int moved = keys.moving().size();
        List<RedisProcess> redis = new ArrayList<>();
        List<ProxyServer> proxies = new ArrayList<>();
        try {
            List<MigrationCoordinator.Node> nodes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RedisProcess node = RedisProcess.startClusterNode();
                redis.add(node);
                assertThat(node.rawCommand("CLUSTER", "ADDSLOTSRANGE", "0", "16383")).isEqualTo("+OK\r\n");
                await("cluster_state:ok").atMost(Duration.ofSeconds(10))
                        .until(() -> node.rawCommand("CLUSTER", "INFO").contains("cluster_state:ok"));
                String address = "127.0.0.1:" + FreePorts.next();
                proxies.add(ProxyServer.builder().config(ProxyConfig.builder().address(address).threads(1).build())
                        .build().start());
                nodes.add(new MigrationCoordinator.Node(address, node.address()));
            }
            MigrationCoordinator coordinator = layout(new MigrationCoordinator(LocalMoonshardCluster.NAME, 0, nodes));
            RedisProcess a = redis.get(A);
            RedisProcess b = redis.get(B);
            try (RawRedisClient toA = new RawRedisClient(proxies.get(A).boundAddress().getPort());
                 RawRedisClient toB = new RawRedisClient(proxies.get(B).boundAddress().getPort())) {
                setAll(toA, keys.stay());
                setAll(toA, keys.moving());
                assertThat(dbsize(toA)).isEqualTo(stayed + moved);

                budget(toA, SLOW);
                coordinator.startMove(A, B, R);
                await("keys staged in Redis b").atMost(COMMIT_TIMEOUT).pollInterval(Duration.ofMillis(10))
                        .until(() -> dbsize(b) > registers(b).size());
                // the copy writes in bursts, paced: between two, the count is exact
                await("DBSIZE at B to leave out the staged keys").atMost(Duration.ofSeconds(5))
                        .until(() -> dbsize(toB) == registersOutside(b));
                assertThat(toB.call("RANDOMKEY")).as("no visible key at B; its register is hidden").isEqualTo("$-1\r\n");
                assertThat(dbsize(b)).as("staged keys in Redis b").isGreaterThan(registers(b).size());
                assertThat(coordinator.lists(B, coordinator.importingLine())).as("still staging").isFalse();

                budget(toA, "0");
                coordinator.awaitCommitted(COMMIT_TIMEOUT);
                // flipped, before the commit: nothing writes to the moved slots at A
                assertThat(dbsize(a)).isEqualTo(stayed + moved + registers(a).size());
                // the register (moonshard:migration:testcluster:2:4096-8191) is in slot 16272: a count by
                // slot leaves it in, a count by SCAN would not, so this also shows which way was taken
                assertThat(registersOutside(a)).isEqualTo(1);
                assertThat(dbsize(toA)).isEqualTo(stayed + 1);
                assertThat(keys.stay()).containsAll(randomKeys(toA, 30));
                assertThat(countKeys(toA, CROWDED)).isZero();
                coordinator.commit();
                await("the moved keys trimmed from Redis a").atMost(TRIM_TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> dbsize(a) == stayed);
                assertThat(dbsize(toA)).isEqualTo(stayed);
                Set<String> atB = new HashSet<>(keys.moving());
                assertThat(atB).containsAll(randomKeys(toB, 20));
            }
        } finally {
            for (ProxyServer proxy : proxies) {
                proxy.close();
            }
            for (RedisProcess node : redis) {
                node.close();
            }
        }
    }

    /**
     * The migration's own keys are hidden with or without a move, here over a proxy with two local
     * backends (RANDOMKEY asks both and picks among the visible keys; a backend that only answers
     * hidden keys is walked with SCAN).
     */
    @Test
    void bookkeepingKeysAreNeverShown_overSeveralBackends() {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 2)) {
            RedisProcess first = cluster.backends.get(0).get(0); // slots 0-8191
            try (RawRedisClient raw = new RawRedisClient(first.port());
                 RawRedisClient proxy = new RawRedisClient(cluster.port(0));
                 RawRedisClient proxy3 = new RawRedisClient(cluster.port(0))) {
                assertThat(proxy3.call("HELLO", "3")).startsWith("%");
                List<String> bookkeeping = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    bookkeeping.add("moonshard:migration:c:" + i);
                }
                int slot = 1000;
                for (int i = 0; i < 5; i++) {
                    bookkeeping.add(Slots.keyIn(slot, "moonshard:staging:" + i));
                }
                setAll(raw, bookkeeping);

                // nothing but bookkeeping keys: nil, after the rounds and a whole walk of the first backend
                assertThat(proxy.call("RANDOMKEY")).isEqualTo("$-1\r\n");
                assertThat(proxy3.call("RANDOMKEY")).isEqualTo("_\r\n");
                assertThat(countKeys(proxy, slot)).isZero();
                assertThat(getKeys(proxy, slot)).isEmpty();
                // DBSIZE outside a move is the backends' own O(1) count (docs/compatibility.md)
                assertThat(dbsize(proxy)).isEqualTo(bookkeeping.size());

                // a visible key on the second backend: chosen over the hidden ones of the first
                String second = Slots.keyIn(12000, "visible:second");
                assertThat(proxy.call("SET", second, "v")).isEqualTo("+OK\r\n");
                assertThat(randomKeys(proxy, 20)).containsExactly(second);
                assertThat(proxy.call("DEL", second)).isEqualTo(":1\r\n");

                // visible keys among many hidden ones on one backend: found, by the rounds or the walk
                List<String> visible = List.of(Slots.keyIn(slot, "visible:0"), Slots.keyIn(slot, "visible:1"));
                setAll(proxy, visible);
                assertThat(visible).containsAll(randomKeys(proxy, 20));
                assertThat(visible).containsAll(randomKeys(proxy3, 5));
                assertThat(countKeys(proxy, slot)).isEqualTo(2);
                assertThat(getKeys(proxy, slot)).containsExactlyInAnyOrderElementsOf(visible);
            }
        }
    }

    /** The migration's keys in {@code redis}'s database 0 (a cluster-enabled Redis keeps its registers there). */
    private static List<String> registers(RedisProcess redis) {
        List<String> found = new ArrayList<>();
        try (RawRedisClient client = new RawRedisClient(redis.port())) {
            String cursor = "0";
            do {
                String[] lines = client.call("SCAN", cursor, "MATCH", "moonshard:*", "COUNT", "1000").split("\r\n");
                cursor = lines[2];
                for (int i = 5; i < lines.length; i += 2) {
                    found.add(lines[i]);
                }
            } while (!cursor.equals("0"));
        }
        return found;
    }

    /** How many of those are in slots that do not move (so a DBSIZE by slot counts cannot leave them out). */
    private static long registersOutside(RedisProcess redis) {
        return registers(redis).stream().filter(k -> Slots.slotOf(k) < R[0] || Slots.slotOf(k) > R[1]).count();
    }
}
