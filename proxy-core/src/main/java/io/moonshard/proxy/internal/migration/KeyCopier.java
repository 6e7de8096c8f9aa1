package io.moonshard.proxy.internal.migration;

import io.moonshard.proxy.internal.engine.RedisLink;
import io.moonshard.cluster.slot.Crc16;
import io.moonshard.cluster.slot.SlotHash;
import io.moonshard.proxy.internal.engine.RedisLink.ErrorReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes the destination Redis hold what the source Redis holds for a batch of keys: each key's
 * value and absolute expiry, or no key where the source has none.
 *
 * <p>A batch costs a fixed number of round trips, whatever its size. At the source:
 * {@code PEXPIRETIME} of every key with {@code MGET} of them all (nil for what is not a string); then,
 * only for the keys MGET had no string for, {@code TYPE}, the length of each collection
 * ({@code HLEN}/{@code SCARD}/{@code ZCARD}/{@code LLEN}/{@code XINFO STREAM}), and {@code DUMP} of the
 * small ones. At the destination, one round trip: {@code UNLINK} of the batch's keys, then
 * {@code MSET} (100 keys a command) for strings without an expiry, {@code SET k v PXAT t} for strings
 * with one and {@code RESTORE k t payload REPLACE ABSTTL} for the rest. A batch of strings is one round
 * trip at each end. Strings skip DUMP/RESTORE because that is cheaper on both servers: for 512-byte
 * strings, about 1.7 against 3.0 µs of the source's time per key, and 2.2 against 5.5 µs of the
 * destination's (INFO commandstats, a loaded 2-core box). {@link #copyFresh} is the same without the
 * UNLINK of the keys written, for a destination known to hold none of them.
 *
 * <p><b>Why no Lua script at the source.</b> One {@code EVALSHA} per batch returning each key's value
 * and PEXPIRETIME (TYPE and length for the rest) was measured against the pipelined commands on 200,000
 * 512-byte strings in batches of 1000: 4.0-6.8 µs of the source's time per key (commandstats
 * usec_per_call 4-7 ms a script call, past the 5 ms a command may take) and 4.3-5.9 µs of its CPU,
 * against 1.4-2.5 µs and 2.0-3.0 µs for PEXPIRETIME of each key with MGET. Each {@code redis.call} costs
 * about as much as the command sent by itself (Redis encodes its reply as RESP and parses it back into
 * Lua), and every value is copied twice more, into Lua and out of it. A script doing only the
 * PEXPIRETIMEs, with MGET beside it, came out no cheaper (2.4-3.8 µs, 2.7-4.0 µs). Likewise at the
 * destination, a script doing SET+PEXPIREAT per key cost 5-8.6 µs a key against 2.8-3.1 for
 * {@code SET k v PXAT t}.
 *
 * <p><b>Big collections are chunked.</b> A hash, set, sorted set, list or stream with more than
 * {@code chunkThreshold} elements is never DUMPed: DUMP of a million-field hash holds the source's
 * thread for about a second, and its RESTORE the destination's. It is copied in pages of
 * {@code chunkSize} elements ({@code HSCAN}/{@code SSCAN}/{@code ZSCAN}/{@code LRANGE}/{@code XRANGE})
 * into a staging key at the destination, which then replaces the key in one {@code MULTI}:
 * {@code UNLINK key; RENAME staging key; PEXPIREAT key t | PERSIST key}. The staging key is
 * {@value #STAGING_PREFIX}{@code {tag}:<hex of the key>}, where the tag is a short string that hashes to
 * the key's slot, so RENAME stays within one slot on a cluster-enabled backend. It carries a TTL of
 * {@value #STAGING_TTL_MILLIS} ms, set again with every page, so a copy cut short (a crashed task)
 * leaves nothing behind for long. Every key under the prefix {@code moonshard:} is the proxy's own and
 * never enumerated for a copy ({@link SlotKeyScanner}).
 *
 * <p>Why UNLINK before every write at the destination: overwriting a key frees its old value on the
 * server's thread (SET, RESTORE REPLACE and RENAME all do, with Redis's default
 * {@code lazyfree-lazy-server-del no}). A re-copy over a big key copied earlier would then block the
 * destination for as long as freeing it takes. UNLINK frees a big value in a background thread; for a
 * missing or small key it costs a lookup (about 0.6 µs a key). A destination that has
 * {@code lazyfree-lazy-server-del yes} frees overwritten values in the background by itself, and is
 * spared the UNLINK of keys about to be written.
 *
 * <p><b>Streams with consumer groups</b> are not chunked: paging copies entries, not groups, their
 * pending entries and consumers. Such a stream goes by DUMP/RESTORE whatever its length. That is the
 * one case where a copy may hold a server longer than the pages do; it is far cheaper than a hash of
 * the same length, because a stream's DUMP writes its listpack nodes whole rather than element by
 * element.
 *
 * <p><b>Concurrent writes.</b> A key written while it is being copied may come out torn (the value of
 * one moment with the expiry of another, or a chunked key partly of each). The engine copies again
 * every key written since the migration began (its dirty set), so only the last copy of a key
 * counts, and that one is exact. Where the copier itself sees that a key changed type under it (MGET
 * answers nil for a key TYPE called a string, a page answers WRONGTYPE) it copies the key again at
 * once.
 *
 * <p>Not thread-safe; it uses the two links of one migration task.
 */
public final class KeyCopier {

    /** Every staging key starts with this; see the class comment for the rest of its name. */
    public static final String STAGING_PREFIX = "moonshard:staging:";
    /** Redis 8.4's {@code ASM_AOF_MIN_ITEMS_PER_KEY}: a collection above this is copied in pages. */
    public static final int DEFAULT_CHUNK_THRESHOLD = 512;
    /**
     * Elements per page read at the source. Measured on a loaded 2-core box (load 5-9): 512-element
     * ZSCAN pages of a 200,000-member sorted set averaged 2 ms of the source's time and a 512-member
     * ZADD 2.5 ms of the destination's (scores are formatted and parsed as text), too close to the
     * 5 ms limit. At 256, with writes of 128, the longest command seen copying a million-field hash
     * was 1.3 ms (HSCAN) and 1.6 ms (HSET), and the copy took 2.9 s against 2.5 s at 512.
     */
    public static final int DEFAULT_CHUNK_SIZE = 256;
    /**
     * Elements per write command at the destination, whatever the page size: a page is written as
     * several pipelined commands (no extra round trip), so a large {@code chunkSize} cannot make one
     * ZADD or HSET long.
     */
    private static final int ELEMENTS_PER_WRITE = 128;
    /** The staging key's TTL, renewed by every page: longer than any pause between two pages. */
    static final int STAGING_TTL_MILLIS = 60_000;
    /** Keys per MGET or UNLINK: one such command stays well under a millisecond. */
    private static final int KEYS_PER_COMMAND = 512;
    /**
     * Strings per MSET at the destination. Measured (200,000 512-byte strings into an empty Redis, a
     * loaded 2-core box, medians of three): the destination's CPU per key was 3.8 µs by one SET each,
     * 4.1 by one MSET of 1000 and 2.4 by MSETs of 100; a 100-key MSET is about 50 KB, where one of
     * 1000 (half a megabyte) makes Redis grow the client's query buffer to hold it whole.
     */
    private static final int KEYS_PER_MSET = 100;
    /**
     * Tries at a key seen changing type under the copier; one still changing after the last is left
     * as it is: it is being written, so it is in the engine's dirty set and copied again from there.
     */
    private static final int MAX_ATTEMPTS = 3;

    private static final byte[] TYPE = bytes("TYPE");
    private static final byte[] PEXPIRETIME = bytes("PEXPIRETIME");
    private static final byte[] MGET = bytes("MGET");
    private static final byte[] DUMP = bytes("DUMP");
    private static final byte[] UNLINK = bytes("UNLINK");
    private static final byte[] SET = bytes("SET");
    private static final byte[] MSET = bytes("MSET");
    private static final byte[] PXAT = bytes("PXAT");
    private static final byte[] RESTORE = bytes("RESTORE");
    private static final byte[] REPLACE = bytes("REPLACE");
    private static final byte[] ABSTTL = bytes("ABSTTL");
    private static final byte[] PEXPIRE = bytes("PEXPIRE");
    private static final byte[] STAGING_TTL = bytes(Integer.toString(STAGING_TTL_MILLIS));
    private static final byte[] ZERO = bytes("0");
    private static final byte[] XINFO = bytes("XINFO");
    private static final byte[] STREAM = bytes("STREAM");

    private final RedisLink source;
    private final RedisLink destination;
    private final int chunkThreshold;
    private final int chunkSize;
    private final byte[] chunkSizeArg;
    /** Whether multi-key commands must be split by slot (a cluster-enabled server); learnt at the first copy. */
    private Boolean sourceClustered;
    private boolean destinationClustered;
    /** The destination frees overwritten values in the background ({@code lazyfree-lazy-server-del yes}). */
    private boolean destinationFreesLazily;

    /**
     * @param chunkThreshold a collection with more elements than this is copied in pages
     *                       ({@link #DEFAULT_CHUNK_THRESHOLD})
     * @param chunkSize      elements per page ({@link #DEFAULT_CHUNK_SIZE})
     */
    public KeyCopier(RedisLink source, RedisLink destination, int chunkThreshold, int chunkSize) {
        if (chunkThreshold < 0 || chunkSize < 1) {
            throw new IllegalArgumentException("chunkThreshold " + chunkThreshold + ", chunkSize " + chunkSize);
        }
        this.source = source;
        this.destination = destination;
        this.chunkThreshold = chunkThreshold;
        this.chunkSize = chunkSize;
        this.chunkSizeArg = bytes(Integer.toString(chunkSize));
    }

    /**
     * What one {@link #copy} did. {@code bytesCopied} counts payload bytes read from the source (string
     * values, DUMP payloads, the elements of paged keys), not protocol overhead.
     * {@code longestRoundTripMicros} is the longest wait for one step's replies at the source: for a
     * page that is one command, so it bounds that command's time on the server.
     */
    public record CopyStats(long keysCopied, long keysDeleted, long bytesCopied, long chunkedKeys,
                            long longestRoundTripMicros) {

        public static final CopyStats NONE = new CopyStats(0, 0, 0, 0, 0);

        public CopyStats plus(CopyStats other) {
            return new CopyStats(keysCopied + other.keysCopied, keysDeleted + other.keysDeleted,
                    bytesCopied + other.bytesCopied, chunkedKeys + other.chunkedKeys,
                    Math.max(longestRoundTripMicros, other.longestRoundTripMicros));
        }
    }

    /** Running totals of one {@link #copy}. */
    private static final class Tally {
        long copied;
        long deleted;
        long bytes;
        long chunked;
        long longestMicros;

        CopyStats stats() {
            return new CopyStats(copied, deleted, bytes, chunked, longestMicros);
        }
    }

    /**
     * Copies {@code keys} (any slots, any types; a key the source does not have is deleted at the
     * destination).
     *
     * @throws IOException when a link fails, or a server refuses a write (OOM, a RESTORE payload of
     *                     another Redis version); the links are then to be closed
     */
    public CopyStats copy(List<byte[]> keys) throws IOException {
        return copy(keys, false);
    }

    /**
     * {@link #copy} for a destination known to hold none of {@code keys}: the first pass of a
     * migration, after the destination deleted every key of the moving slots. The only difference is
     * that the keys about to be written are not UNLINKed first (that UNLINK exists to free a big old
     * value in the background; there is none). Keys the source does not have are still UNLINKed, and
     * should a key be there after all, the write replaces it all the same (freeing its old value on the
     * destination's thread), so the copy is exact either way; only the UNLINK's latency guard is dropped.
     */
    public CopyStats copyFresh(List<byte[]> keys) throws IOException {
        return copy(keys, true);
    }

    private CopyStats copy(List<byte[]> keys, boolean fresh) throws IOException {
        if (keys.isEmpty()) {
            return CopyStats.NONE;
        }
        if (sourceClustered == null) {
            sourceClustered = clusterEnabled(source);
            destinationClustered = clusterEnabled(destination);
            destinationFreesLazily = freesLazily(destination);
        }
        Tally tally = new Tally();
        List<byte[]> batch = keys;
        for (int attempt = 1; !batch.isEmpty() && attempt <= MAX_ATTEMPTS; attempt++) {
            // what is left after the last attempt kept changing type under the copy: written, so in the
            // engine's dirty set, and copied again from there
            batch = copyBatch(batch, tally, attempt == MAX_ATTEMPTS, fresh);
        }
        return tally.stats();
    }

    private static boolean clusterEnabled(RedisLink link) throws IOException {
        Object info = link.call("INFO", "cluster");
        return info instanceof byte[] text && new String(text, StandardCharsets.US_ASCII).contains("cluster_enabled:1");
    }

    private static boolean freesLazily(RedisLink link) throws IOException {
        // an error (CONFIG renamed away, or refused by ACL) leaves the safe answer: no
        return link.call("CONFIG", "GET", "lazyfree-lazy-server-del") instanceof List<?> pair
                && pair.size() == 2 && pair.get(1) instanceof byte[] value
                && new String(value, StandardCharsets.US_ASCII).equals("yes");
    }

    /** How one key of a batch goes. */
    private enum Route { DELETE, STRING, DUMP, CHUNK, RETRY }

    private static final class Entry {
        final byte[] key;
        String type;
        /** PEXPIRETIME: the absolute expiry in ms, -1 none, -2 no key (then TYPE says none too, unless it raced). */
        long expireAt;
        long length;
        Route route;
        byte[] value;

        Entry(byte[] key) {
            this.key = key;
        }

        /** The expiry to write: 0 (none) unless the source has one. */
        long expiry() {
            return expireAt > 0 ? expireAt : 0;
        }
    }

    /** Copies one batch; returns the keys seen changing type meanwhile, to copy again. */
    private List<byte[]> copyBatch(List<byte[]> keys, Tally tally, boolean lastAttempt, boolean fresh)
            throws IOException {
        List<Entry> entries = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            entries.add(new Entry(key));
        }
        readExpiriesAndStrings(entries, tally);
        readTypes(entries, tally, lastAttempt);
        readLengths(entries, tally, lastAttempt);
        readDumps(entries, tally);
        writeSmallKeys(entries, tally, fresh);
        List<byte[]> retry = new ArrayList<>();
        for (Entry e : entries) {
            if (e.route == Route.CHUNK) {
                if (!copyChunked(e, tally)) {
                    retry.add(e.key);
                }
            } else if (e.route == Route.RETRY) {
                retry.add(e.key);
            }
        }
        return retry;
    }

    /**
     * Source step 1: PEXPIRETIME of every key and MGET of them all. MGET answers the value of a string
     * and nil for anything else, so a batch of strings (the common case) is done with the source in
     * one round trip, and TYPE is asked only of the rest.
     */
    /**
     * The source held no key with an expiry when this was set (its {@code INFO keyspace} said
     * {@code expires=0}): PEXPIRETIME, a command per key and a third of the source's cost, is not
     * asked. Only for a migration's first pass, whose tracking began before that check: a key given an
     * expiry since then is dirty and copied again by {@link #copy} with its expiry.
     */
    public KeyCopier assumeNoExpiries(boolean none) {
        this.noExpiries = none;
        return this;
    }

    private boolean noExpiries;

    private void readExpiriesAndStrings(List<Entry> entries, Tally tally) throws IOException {
        boolean askExpiries = !noExpiries;
        for (Entry e : entries) {
            if (askExpiries) {
                source.send(PEXPIRETIME, e.key);
            } else {
                e.expireAt = -1;
            }
        }
        List<List<Entry>> mgets = groups(entries, sourceClustered, KEYS_PER_COMMAND);
        for (List<Entry> group : mgets) {
            List<byte[]> args = new ArrayList<>(group.size() + 1);
            args.add(MGET);
            for (Entry e : group) {
                args.add(e.key);
            }
            source.send(args);
        }
        long start = System.nanoTime();
        if (askExpiries) {
            for (Entry e : entries) {
                e.expireAt = (Long) expect(source.read(), Long.class, "PEXPIRETIME", e.key);
            }
        }
        for (List<Entry> group : mgets) {
            List<?> values = (List<?>) expect(source.read(), List.class, "MGET", group.get(0).key);
            for (int i = 0; i < group.size(); i++) {
                Entry e = group.get(i);
                e.value = (byte[]) values.get(i);
                if (e.value != null) {
                    e.type = "string";
                    e.route = Route.STRING;
                    tally.bytes += e.value.length;
                } else if (e.expireAt == -2) {
                    e.route = Route.DELETE; // neither command found the key
                } else {
                    e.route = Route.DUMP; // for now: readTypes says what it is
                }
            }
        }
        tally.longestMicros = Math.max(tally.longestMicros, micros(start));
    }

    /** Source step 2: TYPE of the keys that are not strings. */
    private void readTypes(List<Entry> entries, Tally tally, boolean lastAttempt) throws IOException {
        List<Entry> others = filter(entries, Route.DUMP);
        if (others.isEmpty()) {
            return;
        }
        for (Entry e : others) {
            source.send(TYPE, e.key);
        }
        long start = System.nanoTime();
        for (Entry e : others) {
            e.type = (String) expect(source.read(), String.class, "TYPE", e.key);
            e.route = switch (e.type) {
                case "none" -> Route.DELETE;
                // MGET found no string, TYPE found one: written in between
                case "string" -> lastAttempt ? Route.DUMP : Route.RETRY;
                // collections, module types and whatever comes later: DUMP knows them all
                default -> Route.DUMP;
            };
        }
        tally.longestMicros = Math.max(tally.longestMicros, micros(start));
    }

    /** Source step 3: the length of every collection, which decides between DUMP and pages. */
    private void readLengths(List<Entry> entries, Tally tally, boolean lastAttempt) throws IOException {
        List<Entry> collections = new ArrayList<>();
        for (Entry e : entries) {
            if (e.route != Route.DUMP) {
                continue;
            }
            if (e.type.equals("stream")) {
                collections.add(e);
                source.send(XINFO, STREAM, e.key);
            } else if (lengthCommand(e.type) != null) {
                collections.add(e);
                source.send(lengthCommand(e.type), e.key);
            }
        }
        if (collections.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        for (Entry e : collections) {
            Object reply = source.read();
            if (e.type.equals("stream")) {
                routeStream(e, reply);
            } else if (reply instanceof Long n) {
                e.length = n;
                e.route = n > chunkThreshold ? Route.CHUNK : Route.DUMP;
            } else {
                // WRONGTYPE: the key changed type between the two steps
                e.route = lastAttempt ? Route.DUMP : Route.RETRY;
            }
        }
        tally.longestMicros = Math.max(tally.longestMicros, micros(start));
    }

    /** A stream's length and consumer groups, from XINFO STREAM; streams with groups go whole (class comment). */
    private void routeStream(Entry e, Object reply) {
        if (!(reply instanceof List<?> info)) {
            e.route = Route.DUMP; // gone or another type: DUMP answers nil or the new value, both small enough to go whole
            return;
        }
        Map<String, Object> fields = pairs(info);
        e.length = (Long) fields.get("length");
        long groups = (Long) fields.get("groups");
        e.route = groups == 0 && e.length > chunkThreshold ? Route.CHUNK : Route.DUMP;
    }

    /** Source step 4: DUMP of every key that goes whole. */
    private void readDumps(List<Entry> entries, Tally tally) throws IOException {
        List<Entry> dumps = filter(entries, Route.DUMP);
        if (dumps.isEmpty()) {
            return;
        }
        for (Entry e : dumps) {
            source.send(DUMP, e.key);
        }
        long start = System.nanoTime();
        for (Entry e : dumps) {
            Object reply = source.read();
            if (reply == null) {
                e.route = Route.DELETE; // gone since TYPE
            } else {
                e.value = (byte[]) expect(reply, byte[].class, "DUMP", e.key);
                tally.bytes += e.value.length;
            }
        }
        tally.longestMicros = Math.max(tally.longestMicros, micros(start));
    }

    /**
     * Destination step: UNLINK of every key not paged (only of the deleted ones when {@code fresh}),
     * then its value with its expiry: strings without one by MSET, strings with one by
     * {@code SET k v PXAT t}, the rest by RESTORE. Nothing is sent when there is nothing to do.
     */
    private void writeSmallKeys(List<Entry> entries, Tally tally, boolean fresh) throws IOException {
        boolean unlinkWritten = !fresh && !destinationFreesLazily;
        List<Entry> unlinked = new ArrayList<>();
        List<Entry> plainStrings = new ArrayList<>();
        List<Entry> written = new ArrayList<>();
        for (Entry e : entries) {
            boolean write = e.route == Route.STRING || e.route == Route.DUMP;
            if (e.route == Route.DELETE || (write && unlinkWritten)) {
                unlinked.add(e);
            }
            if (e.route == Route.STRING && e.expiry() == 0) {
                plainStrings.add(e);
            } else if (write) {
                written.add(e);
            }
        }
        List<List<Entry>> unlinks = groups(unlinked, destinationClustered, KEYS_PER_COMMAND);
        for (List<Entry> group : unlinks) {
            List<byte[]> args = new ArrayList<>(group.size() + 1);
            args.add(UNLINK);
            for (Entry e : group) {
                args.add(e.key);
            }
            destination.send(args);
        }
        List<List<Entry>> msets = groups(plainStrings, destinationClustered, KEYS_PER_MSET);
        for (List<Entry> group : msets) {
            List<byte[]> args = new ArrayList<>(2 * group.size() + 1);
            args.add(MSET);
            for (Entry e : group) {
                args.add(e.key);
                args.add(e.value);
            }
            destination.send(args);
        }
        for (Entry e : written) {
            if (e.route == Route.STRING) {
                destination.send(SET, e.key, e.value, PXAT, number(e.expiry()));
            } else {
                destination.send(RESTORE, e.key, number(e.expiry()), e.value, REPLACE, ABSTTL);
            }
        }
        IOException failure = null;
        for (List<Entry> group : unlinks) {
            failure = firstFailure(failure, destination.read(), "UNLINK", group.get(0).key);
        }
        for (List<Entry> group : msets) {
            failure = firstFailure(failure, destination.read(), "MSET", group.get(0).key);
            tally.copied += group.size();
        }
        for (Entry e : written) {
            failure = firstFailure(failure, destination.read(), e.route == Route.STRING ? "SET" : "RESTORE", e.key);
            tally.copied++;
        }
        for (Entry e : entries) {
            if (e.route == Route.DELETE) {
                tally.deleted++;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- paged copy of a big collection ----

    /**
     * Copies one big collection page by page into its staging key, then puts it in place. While the
     * destination writes one page, the source already reads the next. Returns false when the key
     * changed type under the copy (the staging key is then dropped and the key is to be copied again).
     */
    private boolean copyChunked(Entry e, Tally tally) throws IOException {
        byte[] staging = stagingKey(e.key);
        PageWriter writer = new PageWriter(staging);
        writer.send(UNLINK, staging); // a leftover of an earlier copy cut short
        boolean sameType = switch (e.type) {
            case "hash" -> scanPages(e.key, "HSCAN", writer, items -> withKey("HSET", staging, items, 2), tally);
            case "set" -> scanPages(e.key, "SSCAN", writer, items -> withKey("SADD", staging, items, 1), tally);
            case "zset" -> scanPages(e.key, "ZSCAN", writer, items -> withKey("ZADD", staging, scoresFirst(items), 2), tally);
            case "list" -> listPages(e.key, writer, staging, tally);
            case "stream" -> streamPages(e.key, writer, staging, tally);
            default -> throw new IllegalStateException("not a pageable type: " + e.type);
        };
        if (!sameType) {
            writer.send(UNLINK, staging);
            writer.finish();
            return false;
        }
        if (!writer.wroteElements || (e.expiry() > 0 && e.expiry() <= System.currentTimeMillis())) {
            // gone while it was paged (or expired meanwhile): the source holds no such key now. Putting the
            // expired copy in place would have the destination free it on its own thread at once.
            writer.send(UNLINK, staging);
            writer.send(UNLINK, e.key);
            writer.finish();
            tally.deleted++;
            return true;
        }
        writer.finish();
        destination.send(bytes("MULTI"));
        destination.send(UNLINK, e.key);
        destination.send(bytes("RENAME"), staging, e.key);
        if (e.expiry() > 0) {
            destination.send(bytes("PEXPIREAT"), e.key, number(e.expiry()));
        } else {
            destination.send(bytes("PERSIST"), e.key);
        }
        destination.send(bytes("EXEC"));
        IOException failure = null;
        for (int i = 0; i < 4; i++) {
            failure = firstFailure(failure, destination.read(), "MULTI", e.key);
        }
        Object exec = destination.read();
        failure = firstFailure(failure, exec, "EXEC", e.key);
        if (exec instanceof List<?> results) {
            for (Object result : results) {
                failure = firstFailure(failure, result, "RENAME", e.key);
            }
        } else if (failure == null) {
            failure = new IOException(destination.address() + ": EXEC of the rename of " + printable(e.key)
                    + " was aborted");
        }
        if (failure != null) {
            throw failure;
        }
        tally.copied++;
        tally.chunked++;
        return true;
    }

    /** Builds the destination commands for one page of elements. */
    private interface PageCommand {
        List<List<byte[]>> build(List<?> items);
    }

    /**
     * Writes pages to the destination with one page in flight: a page's replies are read just before
     * the next page is sent, so the destination works on page n while the source reads page n+1.
     */
    private final class PageWriter {
        private final byte[] staging;
        private int pending;
        boolean wroteElements;

        PageWriter(byte[] staging) {
            this.staging = staging;
        }

        void send(byte[]... args) {
            destination.send(args);
            pending++;
        }

        /** Sends one page and renews the staging key's TTL, after collecting the previous page's replies. */
        void page(List<List<byte[]>> commands) throws IOException {
            drain();
            for (List<byte[]> command : commands) {
                destination.send(command);
            }
            destination.send(PEXPIRE, staging, STAGING_TTL);
            pending += commands.size() + 1;
            wroteElements = true;
            destination.flush();
        }

        void finish() throws IOException {
            drain();
        }

        private void drain() throws IOException {
            IOException failure = null;
            for (; pending > 0; pending--) {
                failure = firstFailure(failure, destination.read(), "page write", staging);
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** HSCAN/SSCAN/ZSCAN pages; false on WRONGTYPE. */
    private boolean scanPages(byte[] key, String scan, PageWriter writer, PageCommand command, Tally tally)
            throws IOException {
        byte[] scanCommand = bytes(scan);
        byte[] cursor = ZERO;
        byte[] countArg = bytes("COUNT");
        do {
            source.send(scanCommand, key, cursor, countArg, chunkSizeArg);
            long start = System.nanoTime();
            Object reply = source.read();
            tally.longestMicros = Math.max(tally.longestMicros, micros(start));
            if (!(reply instanceof List<?> page)) {
                return false;
            }
            cursor = (byte[]) page.get(0);
            List<?> items = (List<?>) page.get(1);
            if (!items.isEmpty()) {
                tally.bytes += size(items);
                writer.page(command.build(items));
            }
        } while (!(cursor.length == 1 && cursor[0] == '0'));
        return true;
    }

    /** LRANGE pages, in order, appended with RPUSH; false on WRONGTYPE. */
    private boolean listPages(byte[] key, PageWriter writer, byte[] staging, Tally tally) throws IOException {
        byte[] lrange = bytes("LRANGE");
        for (long from = 0; ; from += chunkSize) {
            source.send(lrange, key, number(from), number(from + chunkSize - 1));
            long start = System.nanoTime();
            Object reply = source.read();
            tally.longestMicros = Math.max(tally.longestMicros, micros(start));
            if (!(reply instanceof List<?> items)) {
                return false;
            }
            if (!items.isEmpty()) {
                tally.bytes += size(items);
                writer.page(withKey("RPUSH", staging, items, 1));
            }
            if (items.size() < chunkSize) {
                return true;
            }
        }
    }

    /**
     * XRANGE pages, each entry XADDed with its own ID; then XSETID gives the staging stream the
     * source's last generated ID, entries-added count and max deleted ID, so new entries get the IDs
     * they would have got at the source. False on WRONGTYPE.
     */
    private boolean streamPages(byte[] key, PageWriter writer, byte[] staging, Tally tally) throws IOException {
        byte[] xrange = bytes("XRANGE");
        byte[] xadd = bytes("XADD");
        byte[] from = bytes("-");
        byte[] plus = bytes("+");
        byte[] countArg = bytes("COUNT");
        while (true) {
            source.send(xrange, key, from, plus, countArg, chunkSizeArg);
            long start = System.nanoTime();
            Object reply = source.read();
            tally.longestMicros = Math.max(tally.longestMicros, micros(start));
            if (!(reply instanceof List<?> entries)) {
                return false;
            }
            if (entries.isEmpty()) {
                break;
            }
            List<List<byte[]>> adds = new ArrayList<>(entries.size());
            byte[] lastId = null;
            for (Object item : entries) {
                List<?> entry = (List<?>) item;
                lastId = (byte[]) entry.get(0);
                List<?> fields = (List<?>) entry.get(1);
                List<byte[]> add = new ArrayList<>(fields.size() + 3);
                add.add(xadd);
                add.add(staging);
                add.add(lastId);
                for (Object f : fields) {
                    add.add((byte[]) f);
                }
                adds.add(add);
                tally.bytes += lastId.length + size(fields);
            }
            writer.page(adds);
            if (entries.size() < chunkSize) {
                break;
            }
            from = concat(bytes("("), lastId);
        }
        if (!writer.wroteElements) {
            return true;
        }
        Object reply = source.call("XINFO", "STREAM", key);
        if (!(reply instanceof List<?> info)) {
            return false;
        }
        Map<String, Object> fields = pairs(info);
        writer.send(bytes("XSETID"), staging, (byte[]) fields.get("last-generated-id"),
                bytes("ENTRIESADDED"), number((Long) fields.get("entries-added")),
                bytes("MAXDELETEDID"), (byte[]) fields.get("max-deleted-entry-id"));
        return true;
    }

    /** ZSCAN answers member, score pairs; ZADD takes score, member. */
    private static List<byte[]> scoresFirst(List<?> items) {
        List<byte[]> swapped = new ArrayList<>(items.size());
        for (int i = 0; i + 1 < items.size(); i += 2) {
            swapped.add((byte[]) items.get(i + 1));
            swapped.add((byte[]) items.get(i));
        }
        return swapped;
    }

    /**
     * {@code command staging item...}, as commands of at most {@link #ELEMENTS_PER_WRITE} elements
     * ({@code width} items each: a field and its value, a score and its member).
     */
    private static List<List<byte[]>> withKey(String command, byte[] staging, List<?> items, int width) {
        byte[] name = bytes(command);
        int perCommand = ELEMENTS_PER_WRITE * width;
        List<List<byte[]>> commands = new ArrayList<>();
        for (int from = 0; from < items.size(); from += perCommand) {
            int to = Math.min(items.size(), from + perCommand);
            List<byte[]> args = new ArrayList<>(to - from + 2);
            args.add(name);
            args.add(staging);
            for (int i = from; i < to; i++) {
                args.add((byte[]) items.get(i));
            }
            commands.add(args);
        }
        return commands;
    }

    // ---- staging key names ----

    /**
     * For each slot, a short string that hashes to it: "{tag}" in a staging key puts it in the slot of
     * the key it stands for, whatever that key's own name (a hash tag of its own, or braces that are
     * not one).
     */
    private static final String[] SLOT_TAGS = slotTags();

    private static String[] slotTags() {
        String[] tags = new String[SlotHash.SLOT_COUNT];
        int found = 0;
        for (int n = 0; found < tags.length; n++) {
            byte[] candidate = bytes(Integer.toString(n, 36));
            int slot = Crc16.crc16(candidate, 0, candidate.length) & (SlotHash.SLOT_COUNT - 1);
            if (tags[slot] == null) {
                tags[slot] = Integer.toString(n, 36);
                found++;
            }
        }
        return tags;
    }

    /** {@code moonshard:staging:{<tag of the key's slot>}:<hex of the key>}. */
    public static byte[] stagingKey(byte[] key) {
        return bytes(STAGING_PREFIX + "{" + SLOT_TAGS[SlotHash.slot(key)] + "}:" + HexFormat.of().formatHex(key));
    }

    // ---- helpers ----

    private static byte[] lengthCommand(String type) {
        return switch (type) {
            case "hash" -> bytes("HLEN");
            case "set" -> bytes("SCARD");
            case "zset" -> bytes("ZCARD");
            case "list" -> bytes("LLEN");
            default -> null;
        };
    }

    private static List<Entry> filter(List<Entry> entries, Route route) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.route == route) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Entries in groups of at most {@code size} for one multi-key command; on a cluster-enabled
     * server also one slot per group, as such a server refuses CROSSSLOT commands.
     */
    private static List<List<Entry>> groups(List<Entry> entries, boolean bySlot, int size) {
        List<List<Entry>> out = new ArrayList<>();
        if (!bySlot) {
            for (int i = 0; i < entries.size(); i += size) {
                out.add(entries.subList(i, Math.min(entries.size(), i + size)));
            }
            return out;
        }
        Map<Integer, List<Entry>> bySlotMap = new LinkedHashMap<>();
        for (Entry e : entries) {
            bySlotMap.computeIfAbsent(SlotHash.slot(e.key), s -> new ArrayList<>()).add(e);
        }
        for (List<Entry> slotEntries : bySlotMap.values()) {
            out.addAll(groups(slotEntries, false, size));
        }
        return out;
    }

    private static Map<String, Object> pairs(List<?> flat) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            Object name = flat.get(i);
            map.put(name instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(name), flat.get(i + 1));
        }
        return map;
    }

    private Object expect(Object reply, Class<?> type, String command, byte[] key) throws IOException {
        if (type.isInstance(reply)) {
            return reply;
        }
        throw new IOException(source.address() + ": " + command + " " + printable(key) + " answered " + reply);
    }

    private IOException firstFailure(IOException first, Object reply, String command, byte[] key) {
        if (first == null && reply instanceof ErrorReply error) {
            return new IOException(destination.address() + ": " + command + " " + printable(key) + ": " + error.message());
        }
        return first;
    }

    private static long size(List<?> items) {
        long n = 0;
        for (Object item : items) {
            if (item instanceof byte[] b) {
                n += b.length;
            } else if (item instanceof List<?> nested) {
                n += size(nested);
            }
        }
        return n;
    }

    private static String printable(byte[] key) {
        String s = new String(key, 0, Math.min(key.length, 100), StandardCharsets.UTF_8);
        return key.length > 100 ? s + "..." : s;
    }

    private static long micros(long startNanos) {
        return (System.nanoTime() - startNanos) / 1000;
    }

    private static byte[] number(long n) {
        return bytes(Long.toString(n));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
