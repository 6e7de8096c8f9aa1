package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import io.moonshard.testkit.MigrationCoordinator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SETCLUSTER rendering: the parser's inverse, undermoon's examples and testkit's coordinator byte for byte. */
class SetClusterCommandTest {

    static ClusterSnapshot parsed(String line) {
        ParseResult<SetClusterRequest> r = SetClusterParser.parse(List.of(line.split(" ")));
        assertThat(r.error()).as(line).isNull();
        return r.value().snapshot();
    }

    static String rendered(ClusterSnapshot s) {
        return String.join(" ", SetClusterCommand.args(s));
    }

    @Test
    void rendersUndermoonsExamplesBack() {
        assertThat(rendered(parsed(SetClusterParserTest.EX1))).isEqualTo(SetClusterParserTest.EX1);
        // keywords upper case, and the importing peer's (empty) stable entry before its tagged one,
        // as the coordinator writes them
        assertThat(rendered(parsed(SetClusterParserTest.EX2))).isEqualTo("v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 "
                + "127.0.0.1:7001 MIGRATING 1 8001-16383 " + SetClusterParserTest.MIG + " "
                + "PEER 127.0.0.1:6002 0 127.0.0.1:6002 IMPORTING 1 8001-16383 " + SetClusterParserTest.MIG + " "
                + "CONFIG migration_scan_interval 0");
        assertThat(rendered(parsed(SetClusterParserTest.EX3))).isEqualTo("v2 3 NOFLAGS mydb PEER 127.0.0.1:6001 1 0-16383");
        assertThat(rendered(parsed("v2 1 NOFLAGS mydb 127.0.0.1:6379 0"))).isEqualTo("v2 1 NOFLAGS mydb 127.0.0.1:6379 0 PEER");
        assertThat(String.join(" ", SetClusterCommand.args(SetClusterParser.parse(
                List.of(SetClusterParserTest.EX1.replace("NOFLAGS", "force").split(" "))).value())))
                .isEqualTo(SetClusterParserTest.EX1.replace("NOFLAGS", "FORCE"));
    }

    @Test
    void aSingleSlotIsARangeOfOne() {
        ClusterSnapshot s = snapshot("c", 4, Map.of("127.0.0.1:7001", List.of(SlotAssignment.stable(
                SlotSet.of(new SlotRange(300, 300), new SlotRange(302, 400))))), Map.of());
        assertThat(rendered(s)).isEqualTo("v2 4 NOFLAGS c 127.0.0.1:7001 2 300-300 302-400 PEER");
    }

    @Test
    void rendersEveryConfigFieldThatIsNotTheDefault() {
        ClusterConfig config = new ClusterConfig("allow_all", 1, 2, 3, 4);
        ClusterSnapshot s = new ClusterSnapshot("c", 1, Map.of(), Map.of(), config, true);
        assertThat(rendered(s)).isEqualTo("v2 1 NOFLAGS c PEER CONFIG compression_strategy allow_all "
                + "migration_max_migration_time 1 migration_max_blocking_time 2 migration_scan_interval 3 "
                + "migration_scan_count 4");
        assertThat(parsed(rendered(s)).config()).isEqualTo(config);
        assertThat(rendered(new ClusterSnapshot("c", 1, Map.of(), Map.of(), ClusterConfig.DEFAULT, true)))
                .isEqualTo("v2 1 NOFLAGS c PEER");
    }

    @Test
    void matchesTheMigrationCoordinatorByteForByte() {
        List<MigrationCoordinator.Node> nodes = List.of(
                new MigrationCoordinator.Node("127.0.0.1:6001", "127.0.0.1:7001"),
                new MigrationCoordinator.Node("127.0.0.2:6001", "127.0.0.2:7001"),
                new MigrationCoordinator.Node("127.0.0.3:6001", "127.0.0.3:7001"));
        MigrationCoordinator c = new MigrationCoordinator("mydb", 7, nodes);
        c.assign(0, new int[] {0, 5460});
        c.assign(1, new int[] {5461, 10922});
        c.assign(2, new int[] {10923, 16383});
        int[][] owned = {{0, 5460}, {5461, 10922}, {10923, 16383}};
        for (int i = 0; i < 3; i++) {
            assertThat(withPrefix(SetClusterCommand.args(layout(nodes, i, 7, owned, null))))
                    .isEqualTo(c.setClusterArgs(i));
        }
        // a move of the top of node 0's range and a slice of node 1's into node 2: source keeps the rest
        // stable, tagged entries locally and as peers
        int[][] moving = {{4000, 5460}};
        MigrationMeta meta = new MigrationMeta(8, nodes.get(0).proxy(), nodes.get(0).backend(), nodes.get(2).proxy(),
                nodes.get(2).backend());
        for (int i = 0; i < 3; i++) {
            List<String> expected = c.startMoveArgs(i, 0, 2, moving);
            assertThat(withPrefix(SetClusterCommand.args(layout(nodes, i, 8, owned, new Move(0, 2, moving, meta)))))
                    .isEqualTo(expected);
        }
        // an empty destination: its stable entry has the count 0, then IMPORTING
        c.assign(0, new int[] {0, 10922});
        c.assign(1);
        int[][] owned2 = {{0, 10922}, null, {10923, 16383}};
        MigrationMeta meta2 = new MigrationMeta(8, nodes.get(2).proxy(), nodes.get(2).backend(), nodes.get(1).proxy(),
                nodes.get(1).backend());
        for (int i = 0; i < 3; i++) {
            assertThat(withPrefix(SetClusterCommand.args(layout(nodes, i, 8, owned2,
                    new Move(2, 1, new int[][] {{10923, 16383}}, meta2)))))
                    .isEqualTo(c.startMoveArgs(i, 2, 1, new int[] {10923, 16383}));
        }
        assertThat(String.join(" ", c.startMoveArgs(1, 2, 1, new int[] {10923, 16383}))).isEqualTo(
                "UMCTL SETCLUSTER v2 8 NOFLAGS mydb 127.0.0.2:7001 0 127.0.0.2:7001 IMPORTING 1 10923-16383 8 "
                        + "127.0.0.3:6001 127.0.0.3:7001 127.0.0.2:6001 127.0.0.2:7001 PEER 127.0.0.1:6001 1 0-10922 "
                        + "127.0.0.3:6001 0 127.0.0.3:6001 MIGRATING 1 10923-16383 8 127.0.0.3:6001 127.0.0.3:7001 "
                        + "127.0.0.2:6001 127.0.0.2:7001");
    }

    record Move(int from, int to, int[][] ranges, MigrationMeta meta) {
    }

    /** What node {@code self} holds of the layout (one Redis per proxy), built as a snapshot. */
    static ClusterSnapshot layout(List<MigrationCoordinator.Node> nodes, int self, long epoch, int[][] owned, Move move) {
        Map<String, List<SlotAssignment>> local = new LinkedHashMap<>();
        Map<String, List<SlotAssignment>> peers = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            String address = i == self ? nodes.get(i).backend() : nodes.get(i).proxy();
            List<SlotAssignment> list = new ArrayList<>();
            SlotSet stable = owned[i] == null ? SlotSet.empty() : SlotSet.of(new SlotRange(owned[i][0], owned[i][1]));
            SlotSet moving = SlotSet.empty();
            if (move != null) {
                for (int[] r : move.ranges()) {
                    moving = moving.union(SlotSet.of(new SlotRange(r[0], r[1])));
                }
            }
            if (move != null && i == move.from()) {
                stable = stable.minus(moving);
            }
            list.add(SlotAssignment.stable(stable));
            if (move != null && (i == move.from() || i == move.to())) {
                list.add(new SlotAssignment(moving, i == move.from() ? RangeTag.MIGRATING : RangeTag.IMPORTING,
                        move.meta()));
            }
            (i == self ? local : peers).put(address, list);
        }
        return new ClusterSnapshot("mydb", epoch, local, peers, ClusterConfig.DEFAULT, true);
    }

    static List<String> withPrefix(List<String> args) {
        List<String> out = new ArrayList<>(List.of("UMCTL", "SETCLUSTER"));
        out.addAll(args);
        return out;
    }

    @Test
    void parseOfRenderGivesBackRandomSnapshots() {
        Random random = new Random(16);
        for (int round = 0; round < 600; round++) {
            ClusterSnapshot s = randomSnapshot(random);
            boolean force = random.nextBoolean();
            List<String> args = SetClusterCommand.args(s, force);
            ParseResult<SetClusterRequest> r = SetClusterParser.parse(args);
            assertThat(r.error()).as("%s", args).isNull();
            SetClusterRequest req = r.value();
            ClusterSnapshot back = req.snapshot();
            assertThat(req.force()).isEqualTo(force);
            assertThat(req.configIgnored()).isFalse();
            assertThat(back.name()).isEqualTo(s.name());
            assertThat(back.epoch()).isEqualTo(s.epoch());
            assertThat(back.local()).as("%s", args).isEqualTo(SetClusterParser.normalise(s.local()));
            assertThat(back.peers()).as("%s", args).isEqualTo(SetClusterParser.normalise(s.peers()));
            assertThat(back.config()).isEqualTo(s.config());
            // and rendering what was parsed gives the same words: one canonical form
            assertThat(SetClusterCommand.args(back, force)).isEqualTo(args);
        }
    }

    static ClusterSnapshot randomSnapshot(Random random) {
        String name = random.nextInt(5) == 0 ? "" : "c" + Integer.toString(random.nextInt(1 << 20), 36) + "_-@";
        return new ClusterSnapshot(name, random.nextInt(3) == 0 ? random.nextLong() >>> 1 : random.nextInt(100),
                entries(random, "127.0.0.1:", 7000), entries(random, "10.0.0." + random.nextInt(9) + ":", 6000),
                random.nextBoolean() ? ClusterConfig.DEFAULT : new ClusterConfig(
                        List.of("disabled", "set_get_only", "allow_all").get(random.nextInt(3)), random.nextInt(20_000),
                        random.nextInt(20_000), random.nextInt(1000), 1 + random.nextInt(100)), true);
    }

    static Map<String, List<SlotAssignment>> entries(Random random, String hostPrefix, int basePort) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        int n = random.nextInt(5);
        for (int i = 0; i < n; i++) {
            String address = (random.nextInt(4) == 0 ? "[::1]:" : hostPrefix) + (basePort + random.nextInt(60_000 - basePort));
            List<SlotAssignment> list = new ArrayList<>();
            int k = random.nextInt(4);
            for (int a = 0; a < k; a++) {
                SlotSet slots = randomSlots(random);
                int kind = random.nextInt(3);
                if (kind == 0) {
                    list.add(SlotAssignment.stable(slots));
                } else {
                    list.add(new SlotAssignment(slots, kind == 1 ? RangeTag.MIGRATING : RangeTag.IMPORTING,
                            new MigrationMeta(random.nextInt(1000), "127.0.0.1:" + (6000 + random.nextInt(9)),
                                    "127.0.0.1:" + (7000 + random.nextInt(9)), "127.0.0.2:" + (6000 + random.nextInt(9)),
                                    "127.0.0.2:" + (7000 + random.nextInt(9)))));
                }
            }
            out.put(address, list);
        }
        return out;
    }

    static SlotSet randomSlots(Random random) {
        List<SlotRange> ranges = new ArrayList<>();
        int k = random.nextInt(5);
        for (int i = 0; i < k; i++) {
            int a = random.nextInt(16384);
            int b = random.nextInt(8) == 0 ? a : Math.min(16383, a + random.nextInt(3000));
            ranges.add(new SlotRange(a, b));
        }
        return SlotSet.of(ranges);
    }

    @Test
    void refusesWhatTheParserWouldRefuse() {
        ClusterSnapshot badName = new ClusterSnapshot("my db", 1, Map.of(), Map.of(), ClusterConfig.DEFAULT, true);
        assertThatThrownBy(() -> SetClusterCommand.args(badName)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cluster name");
        for (String address : List.of("127.0.0.1", "127.0.0.1:", ":7001", "127.0.0.1:70000", "127.0.0.1:x",
                "a b:7001")) {
            ClusterSnapshot s = snapshot("c", 1, Map.of(address, List.of(SlotAssignment.stable(SlotSet.empty()))),
                    Map.of());
            assertThatThrownBy(() -> SetClusterCommand.args(s)).as(address)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address");
        }
        MigrationMeta badMeta = new MigrationMeta(1, "127.0.0.1:1", "nope", "127.0.0.1:2", "127.0.0.1:3");
        ClusterSnapshot tagged = snapshot("c", 1, Map.of("127.0.0.1:7001", List.of(new SlotAssignment(
                SlotSet.of(new SlotRange(0, 1)), RangeTag.MIGRATING, badMeta))), Map.of());
        assertThatThrownBy(() -> SetClusterCommand.args(tagged)).isInstanceOf(IllegalArgumentException.class);
    }

    static ClusterSnapshot snapshot(String name, long epoch, Map<String, List<SlotAssignment>> local,
                                    Map<String, List<SlotAssignment>> peers) {
        return new ClusterSnapshot(name, epoch, local, peers, ClusterConfig.DEFAULT, true);
    }
}
