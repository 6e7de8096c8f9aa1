package io.moonshard.controller.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.moonshard.controller.store.Lease;
import io.moonshard.controller.store.MetadataStore;
import io.moonshard.controller.store.StoreException;
import io.moonshard.controller.store.StoreTxn;
import io.moonshard.controller.store.TxnResult;
import io.moonshard.controller.store.Versioned;
import io.moonshard.controller.store.WatchEvent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The {@link MetadataStore} on etcd 3.4, through jetcd.
 *
 * <p>Every call waits for its answer at most the request timeout (default 1 s): the jetcd future is
 * awaited with a bounded {@code get}, which is fine here because the store is called by controller
 * threads, never by event loops; and every gRPC call but the watch streams carries the same deadline
 * ({@link RequestDeadline}), so etcd drops a request the caller has given up on instead of applying
 * it later. Reads are linearizable (etcd's default): without a quorum they fail like writes do. A
 * failure or timeout is a {@link StoreException}; whether a timed-out transaction was applied is then
 * unknown, which the callers' revision comparisons make harmless (a repeat fails its comparison).
 *
 * <p>Leases are kept alive by {@link EtcdLease}'s own loop on one scheduler thread per store.
 */
public final class EtcdStore implements MetadataStore {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    private final Client client;
    private final KV kv;
    private final Watch watchClient;
    private final io.etcd.jetcd.Lease leaseClient;
    private final Duration timeout;
    private final ScheduledExecutorService keepalives;
    private final Set<EtcdLease> leases = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EtcdStore(List<URI> endpoints, Duration timeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the request timeout must be positive: " + timeout);
        }
        this.timeout = timeout;
        this.client = Client.builder()
                .endpoints(endpoints.toArray(URI[]::new))
                .interceptor(new RequestDeadline(timeout))
                .connectTimeout(timeout)
                // reads are retried by jetcd on UNAVAILABLE (another member may answer); keep those
                // retries quick and within the caller's wait, so none runs after the caller gave up
                .retryDelay(50)
                .retryMaxDelay(250)
                .retryMaxDuration(timeout)
                // a frozen member keeps its TCP connection open: pings find it (10 s is gRPC's floor,
                // and etcd refuses pings more often than every 5 s)
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(3))
                .build();
        this.kv = client.getKVClient();
        this.watchClient = client.getWatchClient();
        this.leaseClient = client.getLeaseClient();
        this.keepalives = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "moonshard-etcd-keepalive");
            t.setDaemon(true);
            return t;
        });
        // start connecting (and loading gRPC's classes) now, in the background, so that the first real
        // call does not pay all of it within its timeout; the answer, or failure, is of no interest
        kv.get(ByteSequence.from(new byte[] {0}), GetOption.builder().withCountOnly(true).build());
    }

    /** A store on the given member URLs ({@code http://127.0.0.1:2379}) with the default 1 s timeout. */
    public static EtcdStore connect(List<String> endpoints) {
        return connect(endpoints, DEFAULT_TIMEOUT);
    }

    /**
     * A store on the given member URLs with the given request timeout. Does not wait for a connection: a
     * controller may start before its etcd does, and its first calls then fail with {@link StoreException}.
     */
    public static EtcdStore connect(List<String> endpoints, Duration requestTimeout) {
        return new EtcdStore(endpoints.stream().map(String::trim).filter(s -> !s.isEmpty()).map(URI::create).toList(),
                requestTimeout);
    }

    /** Splits {@code "http://a:2379,http://b:2379"} as given on a command line. */
    public static List<String> parseEndpoints(String commaSeparated) {
        return List.of(commaSeparated.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    public Duration requestTimeout() {
        return timeout;
    }

    @Override
    public Optional<Versioned> get(String key) {
        GetResponse response = await("get " + key, () -> kv.get(bytes(key)));
        List<KeyValue> kvs = response.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(versioned(kvs.get(0)));
    }

    @Override
    public Listing list(String prefix) {
        GetOption.Builder option = GetOption.builder()
                .withSortField(GetOption.SortTarget.KEY)
                .withSortOrder(GetOption.SortOrder.ASCEND);
        ByteSequence from;
        if (prefix.isEmpty()) {
            // etcd's "every key": from "\0" to the range end "\0"
            from = ByteSequence.from(new byte[] {0});
            option.withRange(ByteSequence.from(new byte[] {0}));
        } else {
            from = bytes(prefix);
            option.isPrefix(true);
        }
        GetOption built = option.build();
        GetResponse response = await("list " + prefix, () -> kv.get(from, built));
        List<Versioned> items = new ArrayList<>(response.getKvs().size());
        for (KeyValue keyValue : response.getKvs()) {
            items.add(versioned(keyValue));
        }
        return new Listing(items, response.getHeader().getRevision());
    }

    @Override
    public TxnResult commit(StoreTxn txn) {
        Cmp[] compares = new Cmp[txn.compares().size()];
        for (int i = 0; i < compares.length; i++) {
            StoreTxn.Compare c = txn.compares().get(i);
            // etcd compares an absent key as if its mod_revision were 0: "absent" needs no other form
            compares[i] = new Cmp(bytes(c.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(c.modRevision()));
        }
        Op[] ops = new Op[txn.ops().size()];
        for (int i = 0; i < ops.length; i++) {
            StoreTxn.Op op = txn.ops().get(i);
            if (op instanceof StoreTxn.Put put) {
                ops[i] = Op.put(bytes(put.key()), ByteSequence.from(put.value()),
                        put.leaseId() == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(put.leaseId()).build());
            } else {
                ops[i] = Op.delete(bytes(op.key()), DeleteOption.DEFAULT);
            }
        }
        TxnResponse response = await("txn on " + keysOf(txn), () -> kv.txn().If(compares).Then(ops).commit());
        return new TxnResult(response.isSucceeded(), response.getHeader().getRevision());
    }

    @Override
    public AutoCloseable watch(String prefix, long afterRevision, Consumer<WatchEvent> listener) {
        WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(afterRevision + 1)
                // a member cut off from its leader cancels the watch (then RESET) instead of going stale
                .withRequireLeader(true)
                .build();
        EtcdWatch watch = new EtcdWatch(listener);
        try {
            watch.attach(watchClient.watch(bytes(prefix), option, watch));
        } catch (RuntimeException e) {
            throw new StoreException("etcd: could not watch " + prefix + ": " + e.getMessage(), e);
        }
        return watch;
    }

    @Override
    public Lease grantLease(Duration ttl) {
        if (closed) {
            throw new StoreException("the store is closed");
        }
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        long sent = System.nanoTime();
        LeaseGrantResponse granted = await("lease grant", () -> leaseClient.grant(seconds));
        EtcdLease lease = new EtcdLease(granted.getID(), granted.getTTL(), sent, leaseClient, timeout, leases::remove);
        leases.add(lease);
        lease.start(keepalives);
        return lease;
    }

    @Override
    public boolean revokeLease(long id) {
        try {
            await("revoke of lease " + Long.toHexString(id), () -> leaseClient.revoke(id));
            return true;
        } catch (StoreException e) {
            // "etcdserver: requested lease not found": jetcd passes revoke's gRPC status through as is
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND
                        || t instanceof io.grpc.StatusRuntimeException grpc && grpc.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                    return false;
                }
            }
            throw e;
        }
    }

    @Override
    public long revision() {
        GetResponse response = await("revision", () -> kv.get(ByteSequence.from(new byte[] {0}),
                GetOption.builder().withCountOnly(true).build()));
        return response.getHeader().getRevision();
    }

    /**
     * Stops keeping this store's leases alive without revoking them, as if the process had been killed:
     * their validity runs out by itself and etcd deletes their keys a TTL after the last renewal. For
     * failover tests that cannot kill their own JVM.
     */
    public void abandonLeases() {
        for (EtcdLease lease : List.copyOf(leases)) {
            lease.halt();
        }
    }

    /** Revokes the leases still held (best effort, within the timeout), then closes the client. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<EtcdLease> held = List.copyOf(leases);
        keepalives.shutdownNow();
        // revoked side by side so that closing many leases still takes one timeout at most
        CompletableFuture<?>[] revokes = held.stream()
                .map(l -> CompletableFuture.runAsync(l::close))
                .toArray(CompletableFuture[]::new);
        try {
            // bounded: close waits for the revokes at most the request timeout (and a little)
            CompletableFuture.allOf(revokes).get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // best effort: unrevoked leases expire by themselves within their TTL
        }
        client.close();
    }

    private <T> T await(String what, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            throw new StoreException("etcd: " + what + " failed: " + e.getMessage(), e);
        }
        try {
            // a bounded blocking wait: the store's callers are controller threads, never event loops
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new StoreException("etcd: no answer to " + what + " within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException("etcd: " + what + " failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for etcd: " + what, e);
        }
    }

    private static String keysOf(StoreTxn txn) {
        List<String> keys = new ArrayList<>();
        txn.compares().forEach(c -> keys.add(c.key()));
        txn.ops().forEach(o -> {
            if (!keys.contains(o.key())) {
                keys.add(o.key());
            }
        });
        return keys.toString();
    }

    static ByteSequence bytes(String key) {
        return ByteSequence.from(key, StandardCharsets.UTF_8);
    }

    static Versioned versioned(KeyValue kv) {
        return new Versioned(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(),
                kv.getCreateRevision(), kv.getModRevision(), kv.getLease());
    }
}
