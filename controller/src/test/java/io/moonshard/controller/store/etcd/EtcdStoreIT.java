package io.moonshard.controller.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moonshard.controller.store.Lease;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import io.moonshard.testkit.EtcdCluster;
import io.moonshard.testkit.FreePorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link EtcdStore} against one real etcd member: reads, transactions, watches, leases. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdStoreIT {

    @TempDir
    static Path dir;

    private static EtcdCluster etcd;
    private static EtcdStore store;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1, dir);
        store = EtcdStore.connect(etcd.clientEndpoints());
        awaitConnected(store);
    }

    /**
     * The first call of a fresh client in a cold JVM (gRPC, Netty and protobuf loading, the connection)
     * can take longer than the 1 s request timeout on a busy machine; it fails then, as any call may, and
     * the tests start once a call has succeeded.
     */
    static void awaitConnected(MetadataStore s) {
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).ignoreException(StoreException.class).until(() -> s.revision() > 0);
        System.out.printf("ETCD-CONNECT first answer after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    @AfterAll
    static void stopEtcd() {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    private static String prefix(TestInfo test) {
        return "/it/" + test.getTestMethod().orElseThrow().getName() + "/";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static TxnResult put(String key, String value) {
        TxnResult r = store.commit(StoreTxn.builder().put(key, utf8(value)).build());
        assertThat(r.succeeded()).as("unconditional put of %s", key).isTrue();
        return r;
    }

    @Test
    void getPutAndListWithRevisions(TestInfo test) {
        String p = prefix(test);
        assertThat(store.get(p + "a")).isEmpty();

        TxnResult first = put(p + "b", "2");
        TxnResult second = put(p + "a", "1");
        TxnResult third = put(p + "a", "1bis");
        put(p.substring(0, p.length() - 1) + "-outside", "x"); // shares the text but not the prefix "…/"
        assertThat(second.revision()).isGreaterThan(first.revision());
        assertThat(third.revision()).isGreaterThan(second.revision());

        Versioned a = store.get(p + "a").orElseThrow();
        assertThat(new String(a.value(), StandardCharsets.UTF_8)).isEqualTo("1bis");
        assertThat(a.createRevision()).isEqualTo(second.revision());
        assertThat(a.modRevision()).isEqualTo(third.revision());
        assertThat(a.leaseId()).isZero();

        MetadataStore.Listing listing = store.list(p);
        assertThat(listing.items()).extracting(Versioned::key).containsExactly(p + "a", p + "b");
        assertThat(listing.revision()).isGreaterThanOrEqualTo(third.revision());
        assertThat(store.revision()).isGreaterThanOrEqualTo(listing.revision());
        assertThat(store.list("").items()).extracting(Versioned::key).contains(p + "a", p + "b");
    }

    @Test
    void aTransactionAppliesOnTheCurrentRevisionAndNotOnAStaleOne(TestInfo test) {
        String key = prefix(test) + "record";
        TxnResult created = put(key, "v1");

        TxnResult update = store.commit(StoreTxn.builder().unchanged(key, created.revision())
                .put(key, utf8("v2")).put(key + ".other", utf8("o")).build());
        assertThat(update.succeeded()).isTrue();
        assertThat(store.get(key).orElseThrow().modRevision()).isEqualTo(update.revision());
        assertThat(store.get(key + ".other").orElseThrow().modRevision())
                .as("both writes of one transaction share its revision").isEqualTo(update.revision());

        long before = store.revision();
        TxnResult stale = store.commit(StoreTxn.builder().unchanged(key, created.revision())
                .put(key, utf8("v3")).delete(key + ".other").build());
        assertThat(stale.succeeded()).isFalse();
        assertThat(stale.revision()).as("a failed comparison writes nothing").isEqualTo(before);
        assertThat(new String(store.get(key).orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("v2");
        assertThat(store.get(key + ".other")).isPresent();
    }

    @Test
    void absentComparesAsModRevisionZero(TestInfo test) {
        String key = prefix(test) + "k";
        TxnResult create = store.commit(StoreTxn.builder().absent(key).put(key, utf8("first")).build());
        assertThat(create.succeeded()).isTrue();

        TxnResult again = store.commit(StoreTxn.builder().absent(key).put(key, utf8("second")).build());
        assertThat(again.succeeded()).isFalse();
        assertThat(new String(store.get(key).orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("first");

        TxnResult delete = store.commit(StoreTxn.builder().unchanged(key, create.revision()).delete(key).build());
        assertThat(delete.succeeded()).isTrue();
        assertThat(store.get(key)).isEmpty();
        assertThat(store.commit(StoreTxn.builder().absent(key).put(key, utf8("third")).build()).succeeded()).isTrue();
    }

    @Test
    void aWatchSeesPutsAndDeletesInOrderAfterItsRevision(TestInfo test) throws Exception {
        String p = prefix(test);
        long start = put(p + "before", "not seen").revision();
        List<WatchEvent> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable watch = store.watch(p, start, seen::add)) {
            put(p + "a", "1");
            put(p + "b", "2");
            store.commit(StoreTxn.builder().delete(p + "a").build());
            store.commit(StoreTxn.builder().put(p + "a", utf8("3")).put(p + "c", utf8("4")).build());
            put(p.substring(0, p.length() - 1) + "-outside", "x");

            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 5);
            assertThat(seen).extracting(WatchEvent::kind, WatchEvent::key).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(WatchEvent.Kind.PUT, p + "a"),
                    org.assertj.core.groups.Tuple.tuple(WatchEvent.Kind.PUT, p + "b"),
                    org.assertj.core.groups.Tuple.tuple(WatchEvent.Kind.DELETE, p + "a"),
                    org.assertj.core.groups.Tuple.tuple(WatchEvent.Kind.PUT, p + "a"),
                    org.assertj.core.groups.Tuple.tuple(WatchEvent.Kind.PUT, p + "c"));
            assertThat(seen.get(2).value()).isNull();
            assertThat(new String(seen.get(3).value(), StandardCharsets.UTF_8)).isEqualTo("3");
            long[] revisions = seen.stream().mapToLong(WatchEvent::modRevision).toArray();
            assertThat(revisions[0]).isGreaterThan(start);
            for (int i = 1; i < revisions.length; i++) {
                assertThat(revisions[i]).isGreaterThanOrEqualTo(revisions[i - 1]);
            }
            assertThat(revisions[3]).as("one transaction, one revision").isEqualTo(revisions[4]);
        }
    }

    @Test
    void aClosedWatchDeliversNothingMore(TestInfo test) throws Exception {
        String p = prefix(test);
        long start = store.revision();
        List<WatchEvent> closed = new CopyOnWriteArrayList<>();
        List<WatchEvent> open = new CopyOnWriteArrayList<>();
        AutoCloseable first = store.watch(p, start, closed::add);
        try (AutoCloseable second = store.watch(p, start, open::add)) {
            put(p + "x", "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> closed.size() == 1 && open.size() == 1);
            first.close();
            put(p + "y", "2");
            await().atMost(Duration.ofSeconds(10)).until(() -> open.size() == 2);
            assertThat(closed).hasSize(1);
        }
    }

    @Test
    void aWatchFromACompactedRevisionReportsReset(TestInfo test) throws Exception {
        String p = prefix(test);
        long old = put(p + "k", "1").revision();
        put(p + "k", "2");
        long now = put(p + "k", "3").revision();
        etcd.etcdctl("compact", Long.toString(now));

        List<WatchEvent> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable watch = store.watch(p, old, seen::add)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
            assertThat(seen.get(0).kind()).isEqualTo(WatchEvent.Kind.RESET);
            put(p + "k", "4");
            // a reset watch is over: list again and watch anew from the listing
            MetadataStore.Listing listing = store.list(p);
            assertThat(listing.items()).hasSize(1);
            List<WatchEvent> again = new CopyOnWriteArrayList<>();
            try (AutoCloseable second = store.watch(p, listing.revision(), again::add)) {
                put(p + "k", "5");
                await().atMost(Duration.ofSeconds(10)).until(() -> !again.isEmpty());
                assertThat(again.get(0).kind()).isEqualTo(WatchEvent.Kind.PUT);
                assertThat(new String(again.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("5");
            }
            assertThat(seen).hasSize(1);
        }
    }

    @Test
    void aLeaseKeepsItsKeyAliveAndCloseRevokesIt(TestInfo test) {
        String key = prefix(test) + "owned";
        try (Lease lease = store.grantLease(Duration.ofSeconds(2))) {
            assertThat(lease.ttlMillis()).isGreaterThanOrEqualTo(2000);
            assertThat(lease.isValid()).isTrue();
            TxnResult r = store.commit(StoreTxn.builder().absent(key).put(key, utf8("mine"), lease.id()).build());
            assertThat(r.succeeded()).isTrue();
            assertThat(store.get(key).orElseThrow().leaseId()).isEqualTo(lease.id());

            // the key outlives two TTLs while the keepalives run, and the validity moves forward
            long firstValidity = lease.validUntilNanos();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
                assertThat(store.get(key)).as("key with a kept-alive lease").isPresent();
                assertThat(lease.isValid()).isTrue();
                return System.nanoTime() - until > 0;
            });
            assertThat(lease.validUntilNanos() - firstValidity).isGreaterThan(TimeUnit.SECONDS.toNanos(3));

            lease.close();
            assertThat(lease.isValid()).isFalse();
            assertThat(store.get(key)).as("revoked with the lease").isEmpty();
        }
    }

    @Test
    void anAbandonedLeaseBecomesInvalidNoLaterThanItsKeyIsDeleted(TestInfo test) throws Exception {
        String key = prefix(test) + "owned";
        Lease lease = store.grantLease(Duration.ofSeconds(2));
        try {
            long start = store.revision();
            assertThat(store.commit(StoreTxn.builder().put(key, utf8("mine"), lease.id()).build()).succeeded()).isTrue();
            AtomicLong deletedSeenAt = new AtomicLong();
            AtomicLong validWhenDeleted = new AtomicLong(-1);
            try (AutoCloseable watch = store.watch(key, start, e -> {
                if (e.kind() == WatchEvent.Kind.DELETE && deletedSeenAt.get() == 0) {
                    validWhenDeleted.set(lease.isValid() ? 1 : 0);
                    deletedSeenAt.set(System.nanoTime());
                }
            })) {
                long halted = System.nanoTime();
                store.abandonLeases(); // keepalives stop, no revoke: what a killed holder leaves behind
                long validUntil = lease.validUntilNanos();

                await().atMost(Duration.ofSeconds(5)).until(() -> deletedSeenAt.get() != 0);
                assertThat(validWhenDeleted.get()).as("isValid() when the deletion was seen").isZero();
                long marginMillis = TimeUnit.NANOSECONDS.toMillis(deletedSeenAt.get() - validUntil);
                System.out.printf("LEASE-EXPIRY key deleted %d ms after the keepalives stopped; validity had ended"
                        + " %d ms before the deletion was seen%n",
                        TimeUnit.NANOSECONDS.toMillis(deletedSeenAt.get() - halted), marginMillis);
                assertThat(deletedSeenAt.get() - validUntil).as("validity ends before etcd deletes the key")
                        .isGreaterThan(0);
                assertThat(store.get(key)).isEmpty();
            }
        } finally {
            lease.close();
        }
    }

    @Test
    void anUnreachableStoreFailsWithinTheTimeout() {
        try (EtcdStore nowhere = EtcdStore.connect(List.of("http://127.0.0.1:" + FreePorts.next()),
                Duration.ofMillis(500))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> nowhere.get("/x")).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> nowhere.commit(StoreTxn.builder().put("/x", utf8("1")).build()))
                    .isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> nowhere.grantLease(Duration.ofSeconds(2))).isInstanceOf(StoreException.class);
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(elapsedMillis).as("three calls of at most 500 ms each").isLessThan(3 * 500 + 300);
        }
    }

    @Test
    void keysAreUtf8AndValuesBinary(TestInfo test) {
        String key = prefix(test) + "clé-ß";
        byte[] value = {0, (byte) 0xff, 13, 10};
        store.commit(StoreTxn.builder().put(key, value).build());
        Optional<Versioned> read = store.get(key);
        assertThat(read).isPresent();
        assertThat(read.get().key()).isEqualTo(key);
        assertThat(read.get().value()).containsExactly(value);
    }
}
