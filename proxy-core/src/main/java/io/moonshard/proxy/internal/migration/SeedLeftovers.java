package io.moonshard.proxy.internal.migration;

import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.proxy.internal.engine.RedisLink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a seed left in a local Redis that no task of this proxy deletes any more: the proxy restarted
 * after the commit {@code SETCLUSTER} ended the import while it was still deleting the source's keys of
 * the other slots (or a cancel reached no running proxy). Looked for once per local Redis, the first
 * time a snapshot names it: a register holding a seed's mark ({@link SlotImport#SEED_FIELD}) that no
 * running import owns. Then the Redis stops following the seed's source if it still does, every slot
 * that no local node owns or imports is hidden meanwhile, the keys of slots that Redis neither owns nor
 * imports are deleted (budgeted), and the mark goes. Tasks started after this check wait for it (their
 * copies must not be taken for leftovers).
 */
final class SeedLeftovers implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(SeedLeftovers.class);

    private final String node;
    private final MigrationEngine engine;
    private final MigrationSettings settings;
    /** The owner of this check's entries in the gate. */
    final Object entries = new Object();

    SeedLeftovers(String node, MigrationEngine engine, MigrationSettings settings) {
        this.node = node;
        this.engine = engine;
        this.settings = settings;
    }

    @Override
    public void run() {
        try (RedisLink redis = engine.connectBackend(node, 10_000)) {
            String register = leftover(redis);
            if (register == null) {
                return;
            }
            Object source = Registers.call(redis, "HGET", register, SlotImport.SEED_FIELD);
            if (source instanceof byte[] address && ReplicationStatus.of(redis).replicates(new String(address,
                    StandardCharsets.UTF_8))) {
                ReplicaSeed.stopFollowing(redis, new String(address, StandardCharsets.UTF_8), () -> false);
            }
            if (!ReplicationStatus.of(redis).master()) {
                return; // a replica of someone else: not this proxy's to clean
            }
            ClusterSnapshot snapshot = engine.snapshot();
            engine.hideLeftovers(this, unserved(snapshot));
            log.info("event=migration_seed_leftovers node={} register=\"{}\"", node, register);
            Budget budget = new Budget(settings);
            SlotKeyScanner scanner = new SlotKeyScanner(redis, SlotSet.of(new SlotRange(0, SlotHash.SLOT_COUNT - 1)),
                    settings.batchKeys);
            long deleted = 0;
            while (!scanner.done()) {
                ClusterSnapshot now = engine.snapshot();
                List<byte[]> foreign = new ArrayList<>();
                for (byte[] key : scanner.next()) {
                    int slot = SlotHash.slot(key);
                    if (!node.equals(now.localOwner(slot)) && !node.equals(now.importingNode(slot))) {
                        foreign.add(key);
                    }
                }
                if (!foreign.isEmpty()) {
                    Unlinks.unlink(redis, foreign);
                    deleted += foreign.size();
                    budget.pace(foreign.size());
                }
            }
            Registers.call(redis, "HDEL", register, SlotImport.SEED_FIELD, "fence", "copying");
            log.info("event=migration_seed_leftovers_deleted node={} keys={}", node, deleted);
        } catch (IOException | RuntimeException e) {
            log.warn("event=migration_seed_leftovers_failed node={} error=\"{}\"", node, e.toString());
        } finally {
            engine.leftoversChecked(this);
        }
    }

    /** A register of this Redis with a seed's mark that no running task of this proxy owns, or null. */
    private String leftover(RedisLink redis) throws IOException {
        if (!(Registers.call(redis, "KEYS", "moonshard:migration:*") instanceof List<?> keys)) {
            return null;
        }
        for (Object item : keys) {
            String key = new String((byte[]) item, StandardCharsets.UTF_8);
            if (!engine.taskOwns(key) && Long.valueOf(1).equals(Registers.call(redis, "HEXISTS", key, SlotImport.SEED_FIELD))) {
                return key;
            }
        }
        return null;
    }

    /** The slots no local node of {@code snapshot} serves or imports: their keys here are not shown. */
    private static SlotSet unserved(ClusterSnapshot snapshot) {
        List<SlotRange> ranges = new ArrayList<>();
        int start = -1;
        for (int s = 0; s <= SlotHash.SLOT_COUNT; s++) {
            boolean free = s < SlotHash.SLOT_COUNT && snapshot.localOwner(s) == null && snapshot.importingNode(s) == null;
            if (free && start < 0) {
                start = s;
            } else if (!free && start >= 0) {
                ranges.add(new SlotRange(start, s - 1));
                start = -1;
            }
        }
        return SlotSet.of(ranges);
    }
}
