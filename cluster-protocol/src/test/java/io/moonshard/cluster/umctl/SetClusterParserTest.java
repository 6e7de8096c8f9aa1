package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** UMCTL SETCLUSTER v2 parsing: undermoon-proxy-spec §2.1, its examples, rules and exact replies. */
class SetClusterParserTest {

    static final String EX1 = "v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383";
    static final String MIG = "2 127.0.0.1:6001 127.0.0.1:7001 127.0.0.1:6002 127.0.0.1:7002";
    static final String EX2 = "v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 "
            + "127.0.0.1:7001 migrating 1 8001-16383 " + MIG + " "
            + "PEER 127.0.0.1:6002 importing 1 8001-16383 " + MIG + " "
            + "config migration_scan_interval 0";
    static final String EX3 = "v2 3 noflags mydb PEER 127.0.0.1:6001 1 0-16383";

    static final String INVALID_ARGS = "Failed to parse args: InvalidArgs";
    static final String INVALID_VERSION = "Failed to parse args: InvalidVersion";
    static final String INVALID_NAME = "Failed to parse args: InvalidClusterName";
    static final MigrationMeta META = new MigrationMeta(2, "127.0.0.1:6001", "127.0.0.1:7001", "127.0.0.1:6002",
            "127.0.0.1:7002");

    static List<String> words(String line) {
        return line.isEmpty() ? List.of() : List.of(line.split(" "));
    }

    static ParseResult<SetClusterRequest> parse(String line) {
        return SetClusterParser.parse(words(line));
    }

    static SetClusterRequest ok(String line) {
        ParseResult<SetClusterRequest> r = parse(line);
        assertThat(r.error()).as(line).isNull();
        assertThat(r.isOk()).isTrue();
        return r.value();
    }

    static String error(String line) {
        ParseResult<SetClusterRequest> r = parse(line);
        assertThat(r.isOk()).as(line).isFalse();
        assertThat(r.value()).isNull();
        return r.error();
    }

    static SlotSet slots(String... ranges) {
        return SlotSet.of(Arrays.stream(ranges).map(SlotRange::parse).toList());
    }

    @Test
    void parsesTheFirstExample() {
        SetClusterRequest req = ok(EX1);
        ClusterSnapshot s = req.snapshot();
        assertThat(s.name()).isEqualTo("mydb");
        assertThat(s.epoch()).isEqualTo(1);
        assertThat(s.isConfigured()).isTrue();
        assertThat(req.force()).isFalse();
        assertThat(req.configIgnored()).isFalse();
        assertThat(req.okReply()).isEqualTo("OK");
        assertThat(s.local()).isEqualTo(Map.of("127.0.0.1:6379", List.of(SlotAssignment.stable(slots("0-8000")))));
        assertThat(s.peers()).isEqualTo(Map.of("127.0.0.1:7000", List.of(SlotAssignment.stable(slots("8001-16383")))));
        assertThat(s.config()).isEqualTo(ClusterConfig.DEFAULT);
        assertThat(s.localBackends()).containsExactly("127.0.0.1:6379");
        assertThat(s.assignedSlots().coversAll()).isTrue();
    }

    @Test
    void parsesTheMigrationExample() {
        SetClusterRequest req = ok(EX2);
        ClusterSnapshot s = req.snapshot();
        assertThat(s.epoch()).isEqualTo(2);
        assertThat(s.local()).isEqualTo(Map.of("127.0.0.1:7001", List.of(
                SlotAssignment.stable(slots("0-8000")),
                new SlotAssignment(slots("8001-16383"), RangeTag.MIGRATING, META))));
        assertThat(s.peers()).isEqualTo(Map.of("127.0.0.1:6002", List.of(
                new SlotAssignment(slots("8001-16383"), RangeTag.IMPORTING, META))));
        assertThat(s.config()).isEqualTo(new ClusterConfig("disabled", 10_800, 10_000, 0, 16));
        assertThat(req.configIgnored()).isFalse();
    }

    @Test
    void parsesAProxyWithNoLocalSlots() {
        ClusterSnapshot s = ok(EX3).snapshot();
        assertThat(s.epoch()).isEqualTo(3);
        assertThat(s.local()).isEmpty();
        assertThat(s.localBackends()).isEmpty();
        assertThat(s.peers()).isEqualTo(Map.of("127.0.0.1:6001", List.of(SlotAssignment.stable(slots("0-16383")))));
        assertThat(s.shownLocalSlots().isEmpty()).isTrue();
    }

    @Test
    void parsesALocalOnlyClusterAndEmptyEntries() {
        ClusterSnapshot s = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 0").snapshot();
        assertThat(s.local()).isEqualTo(Map.of("127.0.0.1:6379", List.of(SlotAssignment.stable(SlotSet.empty()))));
        assertThat(s.peers()).isEmpty();
        ClusterSnapshot nameOnly = ok("v2 1 NOFLAGS mydb").snapshot();
        assertThat(nameOnly.local()).isEmpty();
        assertThat(nameOnly.peers()).isEmpty();
        assertThat(ok("v2 1 NOFLAGS mydb PEER").snapshot().peers()).isEmpty();
    }

    @Test
    void flags() {
        assertThat(ok(EX1.replace("NOFLAGS", "FORCE")).force()).isTrue();
        assertThat(ok(EX1.replace("NOFLAGS", "force")).force()).isTrue();
        assertThat(ok(EX1.replace("NOFLAGS", "FoRcE")).force()).isTrue();
        assertThat(ok(EX1.replace("NOFLAGS", "NOFLAGS,FORCE")).force()).isTrue();
        assertThat(ok(EX1.replace("NOFLAGS", "bogus,force,")).force()).isTrue();
        for (String none : List.of("NOFLAGS", "NOFLAG", "noflags", "NoFlAgS", "anything", ",", "FORCED", "NOFLAGS,X")) {
            assertThat(ok(EX1.replace("NOFLAGS", none)).force()).as(none).isFalse();
        }
        // COMPRESS takes exactly one payload argument
        assertThat(error(EX1.replace("NOFLAGS", "COMPRESS"))).isEqualTo(INVALID_ARGS);
        assertThat(error(EX1.replace("NOFLAGS", "force,compress"))).isEqualTo(INVALID_ARGS);
    }

    @Test
    void keywordsAreCaseInsensitive() {
        String mixed = "v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 127.0.0.1:7001 MiGrAtInG 1 8001-16383 " + MIG
                + " peer 127.0.0.1:6002 Importing 1 8001-16383 " + MIG + " CoNfIg MIGRATION_SCAN_INTERVAL 0";
        ClusterSnapshot a = ok(mixed).snapshot();
        ClusterSnapshot b = ok(EX2).snapshot();
        assertThat(a.local()).isEqualTo(b.local());
        assertThat(a.peers()).isEqualTo(b.peers());
        assertThat(a.config()).isEqualTo(b.config());
    }

    @Test
    void peerAndConfigInEitherOrder() {
        ClusterSnapshot a = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 CONFIG migration_scan_count 5 "
                + "PEER 127.0.0.1:7000 1 8001-16383").snapshot();
        ClusterSnapshot b = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383 "
                + "CONFIG migration_scan_count 5").snapshot();
        assertThat(a.peers()).isEqualTo(b.peers()).containsOnlyKeys("127.0.0.1:7000");
        assertThat(a.config()).isEqualTo(b.config());
        assertThat(a.config().migrationScanCount()).isEqualTo(5);
    }

    @Test
    void aRepeatedPeerSectionReplacesTheEarlierOne() {
        ClusterSnapshot s = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383 "
                + "PEER 127.0.0.1:7001 1 8001-10000").snapshot();
        assertThat(s.peers()).isEqualTo(Map.of("127.0.0.1:7001", List.of(SlotAssignment.stable(slots("8001-10000")))));
        ClusterSnapshot t = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383 "
                + "CONFIG migration_scan_count 3 PEER").snapshot();
        assertThat(t.peers()).isEmpty();
        assertThat(t.config().migrationScanCount()).isEqualTo(3);
    }

    @Test
    void normalisesRanges() {
        ClusterSnapshot s = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 2 300-400 200-101 127.0.0.1:6380 1 1000-1000 "
                + "127.0.0.1:6379 3 0-100 350-500 501-501 PEER 127.0.0.1:7000 2 9000-8000 7000-8500").snapshot();
        assertThat(s.local()).containsExactly(
                Map.entry("127.0.0.1:6379", List.of(SlotAssignment.stable(slots("0-200", "300-501")))),
                Map.entry("127.0.0.1:6380", List.of(SlotAssignment.stable(slots("1000-1000")))));
        assertThat(s.local().get("127.0.0.1:6379").get(0).slots().ranges())
                .containsExactly(new SlotRange(0, 200), new SlotRange(300, 501));
        assertThat(s.peers().get("127.0.0.1:7000").get(0).slots().ranges()).containsExactly(new SlotRange(7000, 9000));
        assertThat(s.shownLocalSlots()).hasToString("0-200 300-501 1000");
    }

    @Test
    void deliberateDeviationsAreRejected() {
        // undermoon silently ignores slots >= 16384 and accepts garbage after the '-'; we refuse
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-16384")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 16384-16384")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-20000"))
                .isEqualTo(INVALID_ARGS);
        // a single slot must be written 300-300
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 300")).isEqualTo(INVALID_ARGS);
        assertThat(ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 300-300").snapshot().shownLocalSlots()).hasToString("300");
        // epochs beyond 2^63-1 are refused
        assertThat(error(EX1.replace("v2 1 ", "v2 18446744073709551615 "))).isEqualTo(INVALID_ARGS);
        assertThat(ok(EX1.replace("v2 1 ", "v2 9223372036854775807 ")).snapshot().epoch()).isEqualTo(Long.MAX_VALUE);
        // only ASCII digits are numbers (Java's parsers also take other scripts' digits)
        assertThat(error(EX1.replace("v2 1 ", "v2 \uFF11 "))).isEqualTo(INVALID_ARGS);
        assertThat(error(EX1.replace("0-8000", "0-\u0668000"))).isEqualTo(INVALID_ARGS);
        assertThat(error(EX1.replace("127.0.0.1:6379", "127.0.0.1:\u0666379"))).isEqualTo(INVALID_ARGS);
        assertThat(ok(EX1 + " CONFIG migration_scan_count \uFF15").configIgnored()).isTrue();
    }

    @Test
    void malformedRangesAndCounts() {
        for (String range : List.of("-", "-5", "5-", "a-b", "1--2", "1-2-3", "+1-2", "1-+2", " 0-1", "0x1-2", "")) {
            assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 " + range)).as(range).isEqualTo(INVALID_ARGS);
        }
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 2 0-1")).isEqualTo(INVALID_ARGS);   // too few ranges
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 -1 0-1")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 x 0-1")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 9223372036854775807 0-1")).isEqualTo(INVALID_ARGS);
        // too many ranges: the extra one is read as an address
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-1 2-3")).isEqualTo(INVALID_ARGS);
        // a tagged range needs all six trailing fields
        assertThat(error("v2 2 NOFLAGS mydb 127.0.0.1:7001 migrating 1 8001-16383 2 127.0.0.1:6001"))
                .isEqualTo(INVALID_ARGS);
        assertThat(error("v2 2 NOFLAGS mydb 127.0.0.1:7001 migrating 1 8001-16383 x " + MIG.substring(2)))
                .isEqualTo(INVALID_ARGS);
        assertThat(error("v2 2 NOFLAGS mydb 127.0.0.1:7001 migrating 1 8001-16383 2 nocolon 127.0.0.1:7001 "
                + "127.0.0.1:6002 127.0.0.1:7002")).isEqualTo(INVALID_ARGS);
    }

    @Test
    void malformedAddresses() {
        for (String address : List.of("nocolon", ":6379", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:123456",
                "127.0.0.1:-1", "127.0.0.1:x", "127.0.0.1:+80")) {
            assertThat(error("v2 1 NOFLAGS mydb " + address + " 1 0-1")).as(address).isEqualTo(INVALID_ARGS);
            assertThat(error("v2 1 NOFLAGS mydb PEER " + address + " 1 0-1")).as(address).isEqualTo(INVALID_ARGS);
        }
        assertThat(ok("v2 1 NOFLAGS mydb 127.0.0.1:65535 1 0-1").snapshot().localBackends())
                .containsExactly("127.0.0.1:65535");
        assertThat(ok("v2 1 NOFLAGS mydb ::1:6379 1 0-1").snapshot().localBackends()).containsExactly("::1:6379");
    }

    @Test
    void unexpectedTokenAfterTheLocalPart() {
        // after PEER entries, anything that is not PEER or CONFIG is read as another peer entry
        assertThat(error(EX1 + " garbage")).isEqualTo(INVALID_ARGS);
        assertThat(error(EX1 + " 127.0.0.1:7001")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 importing")).isEqualTo(INVALID_ARGS);
    }

    @Test
    void versionRule() {
        for (String v : List.of("v1", "V2", "v3", "2", "v2 ".trim() + "x", "")) {
            assertThat(error(EX1.replaceFirst("v2", v.isEmpty() ? "\u0000" : v))).as(v).isEqualTo(INVALID_VERSION);
        }
        assertThat(error("")).isEqualTo(INVALID_ARGS);
        assertThat(error("v1")).isEqualTo(INVALID_VERSION);
        assertThat(error("v2")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 1 NOFLAGS")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 x NOFLAGS mydb")).isEqualTo(INVALID_ARGS);
        assertThat(error("v2 -1 NOFLAGS mydb")).isEqualTo(INVALID_ARGS);
    }

    @Test
    void clusterNameRule() {
        assertThat(ok("v2 1 NOFLAGS " + "a".repeat(31)).snapshot().name()).hasSize(31);
        assertThat(ok("v2 1 NOFLAGS Az09@_-").snapshot().name()).isEqualTo("Az09@_-");
        assertThat(SetClusterParser.parse(List.of("v2", "1", "NOFLAGS", "")).value().snapshot().name()).isEmpty();
        for (String bad : List.of("a".repeat(32), "my.db", "my db", "mydb!", "m\u00ffdb", "\u00e9", "a/b", "a:b", "{a}")) {
            assertThat(SetClusterParser.parse(List.of("v2", "1", "NOFLAGS", bad, "127.0.0.1:6379", "1", "0-1")).error())
                    .as(bad).isEqualTo(INVALID_NAME);
        }
    }

    @Test
    void configFields() {
        String base = EX1 + " CONFIG ";
        ClusterConfig c = ok(base + "COMPRESSION_STRATEGY set_get_only migration_max_migration_time 1 "
                + "Migration_Max_Blocking_Time 2 migration_scan_interval 3 migration_scan_count 4").snapshot().config();
        assertThat(c).isEqualTo(new ClusterConfig("set_get_only", 1, 2, 3, 4));
        assertThat(ok(base + "compression_strategy allow_all").snapshot().config().compressionStrategy())
                .isEqualTo("allow_all");
        assertThat(ok(base + "compression_strategy disabled").snapshot().config()).isEqualTo(ClusterConfig.DEFAULT);
        assertThat(ok(EX1 + " CONFIG").snapshot().config()).isEqualTo(ClusterConfig.DEFAULT);
    }

    @Test
    void badConfigIsAWarningOnlyWhenLocalAndPeerAreBothPresent() {
        List<String> bad = List.of("unknown_field 1", "migration_scan_count 0", "migration_scan_count -1",
                "migration_scan_count x", "compression_strategy gzip", "migration_scan_interval",
                "migration_scan_interval 1 migration_scan_count", "migration_max_blocking_time 99999999999999999999",
                "migration_scan_count 5 unknown 1");
        for (String cfg : bad) {
            SetClusterRequest req = ok(EX1 + " CONFIG " + cfg);
            assertThat(req.configIgnored()).as(cfg).isTrue();
            assertThat(req.okReply()).isEqualTo("WARNING: ignored invalid config");
            assertThat(req.snapshot().config()).as(cfg).isEqualTo(ClusterConfig.DEFAULT);
            assertThat(req.snapshot().peers()).containsOnlyKeys("127.0.0.1:7000");
            // without peers, or without local nodes: the whole command fails
            assertThat(error("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-16383 CONFIG " + cfg)).as(cfg).isEqualTo(INVALID_ARGS);
            assertThat(error("v2 1 NOFLAGS mydb PEER 127.0.0.1:7000 1 0-16383 CONFIG " + cfg)).as(cfg)
                    .isEqualTo(INVALID_ARGS);
        }
        // the odd count is detected even when PEER follows the config section
        SetClusterRequest req = ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 CONFIG migration_scan_count "
                + "PEER 127.0.0.1:7000 1 8001-16383");
        assertThat(req.configIgnored()).isTrue();
        assertThat(req.snapshot().peers()).containsOnlyKeys("127.0.0.1:7000");
    }

    @Test
    void epochRule() {
        SetClusterRequest req = ok(EX1.replace("v2 1 ", "v2 5 "));
        assertThat(req.acceptableAfter(4)).isTrue();
        assertThat(req.acceptableAfter(0)).isTrue();
        assertThat(req.acceptableAfter(5)).isFalse(); // equal epochs are rejected
        assertThat(req.acceptableAfter(6)).isFalse();
        SetClusterRequest forced = ok(EX1.replace("v2 1 NOFLAGS ", "v2 5 FORCE "));
        assertThat(forced.acceptableAfter(5)).isTrue();
        assertThat(forced.acceptableAfter(100)).isTrue();
        assertThat(forced.snapshot().epoch()).isEqualTo(5);
        assertThat(ok("v2 0 NOFLAGS mydb").acceptableAfter(0)).isFalse();
    }

    @Test
    void notMyMetaRule() {
        SetClusterRequest req = ok(EX1);
        assertThat(req.notMyMetaError("127.0.0.1")).isNull();
        assertThat(req.notMyMetaError("localhost")).isEqualTo("ERR_NOT_MY_META");
        assertThat(req.notMyMetaError("127.0.0.2")).isEqualTo("ERR_NOT_MY_META");
        // peers and migration metadata are not checked; no local node at all is fine
        assertThat(ok(EX3).notMyMetaError("10.0.0.1")).isNull();
        assertThat(ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-1 localhost:6380 1 2-3").notMyMetaError("127.0.0.1"))
                .isEqualTo("ERR_NOT_MY_META");
        assertThat(ok("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-1 127.0.0.1:6380 1 2-3").notMyMetaError("127.0.0.1"))
                .isNull();
    }

    @Test
    void parseLine() {
        assertThat(SetClusterParser.parseLine("UMCTL SETCLUSTER " + EX1).isOk()).isTrue();
        assertThat(SetClusterParser.parseLine("umctl  setcluster   " + EX1 + "  ").isOk()).isTrue();
        assertThat(SetClusterParser.parseLine("UMCTL SETREPL " + EX1).error()).isEqualTo(INVALID_ARGS);
        assertThat(SetClusterParser.parseLine("").error()).isEqualTo(INVALID_ARGS);
        assertThat(SetClusterParser.parseLine("UMCTL SETCLUSTER").error()).isEqualTo(INVALID_ARGS);
    }

    // ---------------------------------------------------------------- malformed input, exhaustively

    /** A valid command and the token counts at which a truncated copy is still valid. */
    record Sample(String line, int... validLengths) {
    }

    static final List<Sample> SAMPLES = List.of(
            new Sample(EX1, 4, 7, 8, 11),
            // 28: CONFIG with a field and no value: ignored with a warning (local and peer are present)
            new Sample(EX2, 4, 7, 16, 17, 26, 27, 28, 29),
            new Sample(EX3, 4, 5, 8),
            new Sample("v2 9 FORCE,NOFLAGS c1 127.0.0.1:1 2 0-1 5-9 CONFIG compression_strategy allow_all "
                    + "PEER 127.0.0.1:2 IMPORTING 1 10-20 7 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 127.0.0.1:5",
                    4, 8, 9, 11, 12, 21));

    static final List<String> CORRUPTIONS = List.of("garbage", "-1", "0", "-", "18446744073709551616",
            "99999999999999999999999999", "16384-16384", "0-99999", "", " ", "PEER", "CONFIG", "MIGRATING",
            "IMPORTING", "COMPRESS", "\u0000", "\uFFFD", "v2", ":", "127.0.0.1:99999", "{}", "1-");

    static final List<String> KNOWN_ERRORS = List.of(INVALID_ARGS, INVALID_VERSION, INVALID_NAME);

    @Test
    void everyTruncationGivesAnErrorUnlessItEndsOnAnEntryBoundary() {
        for (Sample sample : SAMPLES) {
            List<String> tokens = words(sample.line());
            assertThat(SetClusterParser.parse(tokens).isOk()).as(sample.line()).isTrue();
            List<Integer> valid = Arrays.stream(sample.validLengths()).boxed().toList();
            assertThat(valid).contains(tokens.size());
            for (int len = 0; len <= tokens.size(); len++) {
                ParseResult<SetClusterRequest> r = SetClusterParser.parse(tokens.subList(0, len));
                String what = "first " + len + " tokens of " + sample.line();
                assertThat(r.isOk()).as(what).isEqualTo(valid.contains(len));
                if (!r.isOk()) {
                    assertThat(r.error()).as(what).isIn(KNOWN_ERRORS);
                }
            }
        }
    }

    @Test
    void everyCorruptedTokenGivesAReplyAndNeverAnException() {
        int errors = 0;
        int oks = 0;
        for (Sample sample : SAMPLES) {
            List<String> tokens = words(sample.line());
            for (int i = 0; i < tokens.size(); i++) {
                for (String bad : CORRUPTIONS) {
                    List<String> corrupted = new ArrayList<>(tokens);
                    corrupted.set(i, bad);
                    ParseResult<SetClusterRequest> r = SetClusterParser.parse(corrupted);
                    assertThat(r.isOk()).isEqualTo(r.error() == null);
                    if (r.isOk()) {
                        oks++;
                        assertConsistent(r.value().snapshot());
                    } else {
                        errors++;
                        assertThat(r.error()).as("%s with token %d = '%s'", sample.line(), i, bad).isIn(KNOWN_ERRORS);
                    }
                    // also with a token inserted, and with a token removed
                    List<String> inserted = new ArrayList<>(tokens);
                    inserted.add(i, bad);
                    ParseResult<SetClusterRequest> r2 = SetClusterParser.parse(inserted);
                    assertThat(r2.isOk() || KNOWN_ERRORS.contains(r2.error())).isTrue();
                }
                List<String> removed = new ArrayList<>(tokens);
                removed.remove(i);
                ParseResult<SetClusterRequest> r3 = SetClusterParser.parse(removed);
                assertThat(r3.isOk() || KNOWN_ERRORS.contains(r3.error())).isTrue();
            }
        }
        assertThat(errors).isPositive();
        assertThat(oks).isPositive();
    }

    @Test
    void garbageIsAcceptedOnlyWhereAnyWordIsValid() {
        // "garbage" is a fine flags word, cluster name and (ignored with a warning) config field or value;
        // everywhere else it is an error
        assertGarbageOkOnlyAt(EX1, 2, 3);
        assertGarbageOkOnlyAt(EX2, 2, 3, 27, 28);
        assertGarbageOkOnlyAt(EX3, 2, 3);
    }

    private static void assertGarbageOkOnlyAt(String line, Integer... okPositions) {
        List<String> tokens = words(line);
        for (int i = 0; i < tokens.size(); i++) {
            List<String> corrupted = new ArrayList<>(tokens);
            corrupted.set(i, "garbage");
            ParseResult<SetClusterRequest> r = SetClusterParser.parse(corrupted);
            assertThat(r.isOk()).as("%s with token %d = garbage: %s", line, i, r.error())
                    .isEqualTo(List.of(okPositions).contains(i));
        }
    }

    /** A parsed snapshot never shows a slot twice and routes only to addresses it names. */
    static void assertConsistent(ClusterSnapshot s) {
        SlotSet seen = s.shownLocalSlots();
        for (SlotSet peer : s.shownPeerSlots().values()) {
            assertThat(seen.minus(peer)).isEqualTo(seen.minus(peer));
            assertThat(seen.union(peer).size()).isEqualTo(seen.size() + peer.size());
            seen = seen.union(peer);
        }
        for (int slot = 0; slot < 16384; slot++) {
            String local = s.localOwner(slot);
            if (local != null) {
                assertThat(s.localBackends()).contains(local);
                assertThat(s.redirectOwner(slot)).isNull();
            }
        }
    }
}
