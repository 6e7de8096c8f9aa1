package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.topology.ClusterSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** SETCLUSTER's COMPRESS form (base64 of gzip of undermoon's serde JSON) against the plain form. */
class CompressedSetClusterTest {

    static final String META = "{\"epoch\":2,\"src_proxy_address\":\"127.0.0.1:6001\","
            + "\"src_node_address\":\"127.0.0.1:7001\",\"dst_proxy_address\":\"127.0.0.1:6002\","
            + "\"dst_node_address\":\"127.0.0.1:7002\"}";

    /** The JSON of spec §2.1, with the elided Importing metadata filled in. */
    static final String JSON = "{\"cluster_name\":\"mydb\",\n"
            + " \"local\":{\"127.0.0.1:7001\":[{\"range_list\":[[0,8000]],\"tag\":\"None\"},\n"
            + "   {\"range_list\":[[8001,16383]],\"tag\":{\"Migrating\":" + META + "}}]},\n"
            + " \"peer\":{\"127.0.0.1:6002\":[{\"range_list\":[[8001,16383]],\"tag\":{\"Importing\":" + META + "}}]},\n"
            + " \"cluster_config\":{\"compression_strategy\":\"disabled\",\n"
            + "   \"migration_config\":{\"max_migration_time\":10800,\"max_blocking_time\":10000,"
            + "\"scan_interval\":500,\"scan_count\":16}}}";

    static final String PLAIN = "v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 127.0.0.1:7001 MIGRATING 1 8001-16383 "
            + SetClusterParserTest.MIG + " PEER 127.0.0.1:6002 IMPORTING 1 8001-16383 " + SetClusterParserTest.MIG
            + " CONFIG compression_strategy disabled migration_max_migration_time 10800 "
            + "migration_max_blocking_time 10000 migration_scan_interval 500 migration_scan_count 16";

    static String compress(String json) {
        return compress(json.getBytes(StandardCharsets.UTF_8));
    }

    static String compress(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    static ParseResult<SetClusterRequest> parse(String flags, String payload) {
        return SetClusterParser.parse(List.of("v2", "2", flags, payload));
    }

    static void assertSameSnapshot(ClusterSnapshot a, ClusterSnapshot b) {
        assertThat(a.name()).isEqualTo(b.name());
        assertThat(a.epoch()).isEqualTo(b.epoch());
        assertThat(a.local()).isEqualTo(b.local());
        assertThat(a.peers()).isEqualTo(b.peers());
        assertThat(a.config()).isEqualTo(b.config());
        assertThat(a.shownLocalSlots()).isEqualTo(b.shownLocalSlots());
        assertThat(a.shownPeerSlots()).isEqualTo(b.shownPeerSlots());
        for (int slot = 0; slot < 16384; slot++) {
            assertThat(a.localOwner(slot)).isEqualTo(b.localOwner(slot));
            assertThat(a.redirectOwner(slot)).isEqualTo(b.redirectOwner(slot));
        }
    }

    @Test
    void roundTripEqualsThePlainForm() {
        ParseResult<SetClusterRequest> compressed = parse("COMPRESS", compress(JSON));
        assertThat(compressed.error()).isNull();
        ParseResult<SetClusterRequest> plain = SetClusterParser.parse(List.of(PLAIN.split(" ")));
        assertThat(plain.error()).isNull();
        assertSameSnapshot(compressed.value().snapshot(), plain.value().snapshot());
        assertThat(compressed.value().force()).isFalse();
        assertThat(compressed.value().configIgnored()).isFalse();
        assertThat(compressed.value().snapshot().isConfigured()).isTrue();
        assertThat(compressed.value().snapshot().local().get("127.0.0.1:7001")).hasSize(2);
    }

    @Test
    void flagsCombineWithCompress() {
        assertThat(parse("FORCE,COMPRESS", compress(JSON)).value().force()).isTrue();
        assertThat(parse("compress,force", compress(JSON)).value().force()).isTrue();
        assertThat(parse("NOFLAGS,Compress", compress(JSON)).value().force()).isFalse();
    }

    @Test
    void minimalAndDefaultedDocuments() {
        ClusterSnapshot s = parse("COMPRESS", compress("{\"cluster_name\":\"c\",\"local\":{},\"peer\":"
                + "{\"127.0.0.1:6001\":[{\"range_list\":[[16383,0]],\"tag\":\"None\"}]}}")).value().snapshot();
        assertThat(s.local()).isEmpty();
        assertThat(s.shownPeerSlots().get("127.0.0.1:6001").coversAll()).isTrue();
        assertThat(s.config()).isEqualTo(io.moonshard.cluster.topology.ClusterConfig.DEFAULT);
        ClusterSnapshot empty = parse("COMPRESS", compress("{\"cluster_name\":\"\"}")).value().snapshot();
        assertThat(empty.name()).isEmpty();
        assertThat(empty.local()).isEmpty();
        // the epoch comes from the command, not from the payload
        assertThat(SetClusterParser.parse(List.of("v2", "77", "COMPRESS", compress(JSON))).value().snapshot().epoch())
                .isEqualTo(77);
    }

    @Test
    void badPayloadsAreInvalidArgs() {
        List<String> payloads = List.of(
                "", "!!!not base64!!!", Base64.getEncoder().encodeToString("plain, not gzip".getBytes()),
                compress("not json"), compress(""), compress("[]"), compress("{\"cluster_name\":1}"),
                compress(JSON.substring(0, JSON.length() - 1)), compress(JSON + "x"),
                compress(JSON.replace("16383", "16384")), compress(JSON.replace("[0,8000]", "[0]")),
                compress(JSON.replace("\"None\"", "\"Stable\"")), compress(JSON.replace("Migrating", "Moving")),
                compress(JSON.replace("\"epoch\":2", "\"epoch\":\"2\"")),
                compress(JSON.replace("127.0.0.1:7002", "nocolon")),
                compress(JSON.replace("\"disabled\"", "\"zstd\"")),
                compress(JSON.replace("\"scan_count\":16", "\"scan_count\":0")),
                compress(JSON.replace("8000", "1e3")), compress(JSON.replace("8000", "99999999999999999999999")),
                compress("{\"cluster_name\":\"\\u12\"}"), compress("{\"cluster_name\":\"\\"),
                compress(new byte[] {(byte) 0xC3, 0x28}),
                compress("[".repeat(200_000)), compress("{\"a\":".repeat(100_000)),
                compress("[".repeat(10_000) + "]".repeat(10_000)));
        for (String payload : payloads) {
            ParseResult<SetClusterRequest> r = parse("COMPRESS", payload);
            assertThat(r.error()).as(payload.length() > 80 ? payload.substring(0, 80) : payload)
                    .isEqualTo(SetClusterParserTest.INVALID_ARGS);
        }
        assertThat(SetClusterParser.parse(List.of("v2", "2", "COMPRESS", compress(JSON), "extra")).error())
                .isEqualTo(SetClusterParserTest.INVALID_ARGS);
        assertThat(SetClusterParser.parse(List.of("v2", "2", "COMPRESS")).error())
                .isEqualTo(SetClusterParserTest.INVALID_ARGS);
    }

    @Test
    void badClusterNameInPayload() {
        assertThat(parse("COMPRESS", compress(JSON.replace("\"mydb\"", "\"my.db\""))).error())
                .isEqualTo(SetClusterParserTest.INVALID_NAME);
        assertThat(parse("COMPRESS", compress(JSON.replace("\"mydb\"", "\"" + "x".repeat(32) + "\""))).error())
                .isEqualTo(SetClusterParserTest.INVALID_NAME);
    }

    private static boolean decodesTo(String base64, byte[] expected) {
        try {
            return java.util.Arrays.equals(Base64.getDecoder().decode(base64), expected);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void everyTruncationOfTheDocumentIsAnError() {
        for (int len = 0; len < JSON.length(); len++) {
            String cut = JSON.substring(0, len);
            ParseResult<SetClusterRequest> r = parse("COMPRESS", compress(cut));
            assertThat(r.error()).as(cut).isEqualTo(SetClusterParserTest.INVALID_ARGS);
        }
        String payload = compress(JSON);
        byte[] gzip = Base64.getDecoder().decode(payload);
        int valid = 0;
        for (int len = 0; len < payload.length(); len++) {
            String cut = payload.substring(0, len);
            ParseResult<SetClusterRequest> r = parse("COMPRESS", cut);
            if (decodesTo(cut, gzip)) {
                valid++; // only '=' padding was cut: the same bytes (Java's decoder does not require padding)
                assertThat(r.error()).isNull();
            } else {
                assertThat(r.error()).as(cut).isEqualTo(SetClusterParserTest.INVALID_ARGS);
            }
        }
        assertThat(valid).isLessThanOrEqualTo(2);
    }

    /** base64(gzip(n zero bytes)), written a chunk at a time: the inflated size never exists here. */
    static String zeroBomb(long n) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] zeros = new byte[1 << 20];
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            for (long left = n; left > 0; left -= zeros.length) {
                gz.write(zeros, 0, (int) Math.min(left, zeros.length));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    @Test
    void gzipBombs_areRefusedQuickly_withoutAllocatingWhatTheyInflateTo() {
        String inflatesTo = SetClusterParser.INVALID_METADATA + "the COMPRESS payload inflates to over "
                + SetClusterParser.MAX_INFLATED_BYTES + " bytes";
        String tenMegabytes = zeroBomb(10L << 20);
        assertThat(tenMegabytes.length()).isLessThan(20_000);
        assertThat(parse("COMPRESS", tenMegabytes).error()).isEqualTo(inflatesTo);

        String oneGigabyte = zeroBomb(1L << 30);
        assertThat(oneGigabyte.length()).isLessThan(SetClusterParser.MAX_COMPRESSED_BYTES);
        parse("COMPRESS", oneGigabyte); // warm up the code path before measuring
        long before = allocatedBytes();
        long start = System.nanoTime();
        ParseResult<SetClusterRequest> r = parse("COMPRESS", oneGigabyte);
        long millis = (System.nanoTime() - start) / 1_000_000;
        long allocated = allocatedBytes() - before;
        assertThat(r.error()).isEqualTo(inflatesTo);
        // the payload's own base64 decoding (~1 MB) plus at most the inflation bound, not the gigabyte
        assertThat(allocated).as("bytes allocated").isLessThan(4L * SetClusterParser.MAX_INFLATED_BYTES);
        assertThat(millis).as("ms to refuse").isLessThan(2_000);
    }

    @Test
    void aDocumentJustUnderTheBound_isStillAccepted_andOneOverItIsNot() {
        int room = SetClusterParser.MAX_INFLATED_BYTES - JSON.length();
        String padded = JSON.replace("{\"cluster_name\"", " ".repeat(room) + "{\"cluster_name\"");
        assertThat(padded.length()).isEqualTo(SetClusterParser.MAX_INFLATED_BYTES);
        assertThat(parse("COMPRESS", compress(padded)).error()).isNull();
        assertThat(parse("COMPRESS", compress(" " + padded)).error()).startsWith(SetClusterParser.INVALID_METADATA)
                .endsWith("inflates to over " + SetClusterParser.MAX_INFLATED_BYTES + " bytes");
    }

    @Test
    void anOversizedPayload_isRefusedBeforeDecoding() {
        String big = "A".repeat(SetClusterParser.MAX_COMPRESSED_BYTES + 4);
        assertThat(parse("COMPRESS", big).error()).isEqualTo(SetClusterParser.INVALID_METADATA
                + "the COMPRESS payload is " + big.length() + " bytes, over the limit of "
                + SetClusterParser.MAX_COMPRESSED_BYTES);
    }
}
