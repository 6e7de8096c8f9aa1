package io.moonshard.controller.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.umctl.ParseResult;
import io.moonshard.cluster.umctl.SetClusterParser;
import io.moonshard.cluster.umctl.SetClusterRequest;
import io.moonshard.cluster.umctl.SetReplParser;
import io.moonshard.cluster.umctl.SetReplRequest;
import io.moonshard.controller.model.ClusterRecord;
import io.moonshard.controller.model.ClusterSpec;
import io.moonshard.controller.model.Epochs;
import io.moonshard.controller.model.NodeRef;
import io.moonshard.controller.model.ProxyRecord;
import io.moonshard.controller.model.Shard;
import io.moonshard.controller.model.SlotMove;
import io.moonshard.controller.model.SlotRanges;
import io.moonshard.controller.placement.FailoverPlan;
import io.moonshard.controller.placement.Placement;
import io.moonshard.controller.placement.ScalePlan;
import io.moonshard.testkit.MigrationCoordinator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetadataRendererTest {

    static final String A = "127.0.0.1:6001";
    static final String B = "127.0.0.2:6001";

    /** operations.md "Failing over by hand": two hosts, a master and the other's replica behind each proxy. */
    static ClusterRecord twoHosts() {
        return new ClusterRecord(new ClusterSpec("mydb", 2, 1, null), List.of(
                new Shard(0, new NodeRef(A, "127.0.0.1:7001"), List.of(new NodeRef(B, "127.0.0.2:7002")), List.of("0-8191")),
                new Shard(1, new NodeRef(B, "127.0.0.2:7001"), List.of(new NodeRef(A, "127.0.0.1:7002")),
                        List.of("8192-16383"))), List.of(), List.of(), List.of(A, B));
    }

    static String line(List<String> args) {
        return String.join(" ", args);
    }

    @Test
    void rendersTheLayoutOfOperationsMd() {
        ClusterRecord r = twoHosts();
        // revision 0: epoch 1, as there (NOFLAG there, NOFLAGS here: the same to the parser)
        assertThat(line(MetadataRenderer.setRepl(r, 0, A))).isEqualTo("1 NOFLAGS master mydb 127.0.0.1:7001 1 "
                + "127.0.0.2:7002 127.0.0.2:6001 replica mydb 127.0.0.1:7002 1 127.0.0.2:7001 127.0.0.2:6001");
        assertThat(line(MetadataRenderer.setRepl(r, 0, B))).isEqualTo("1 NOFLAGS master mydb 127.0.0.2:7001 1 "
                + "127.0.0.1:7002 127.0.0.1:6001 replica mydb 127.0.0.2:7002 1 127.0.0.1:7001 127.0.0.1:6001");
        assertThat(line(MetadataRenderer.setCluster(r, 0, A)))
                .isEqualTo("v2 1 NOFLAGS mydb 127.0.0.1:7001 1 0-8191 PEER 127.0.0.2:6001 1 8192-16383");
        assertThat(line(MetadataRenderer.setCluster(r, 0, B)))
                .isEqualTo("v2 1 NOFLAGS mydb 127.0.0.2:7001 1 8192-16383 PEER 127.0.0.1:6001 1 0-8191");
    }

    @Test
    void rendersTheFailoverOfOperationsMdFromTheFailoverPlan() {
        ClusterRecord r = twoHosts();
        List<ProxyRecord> members = List.of(new ProxyRecord(A, "127.0.0.1", List.of("127.0.0.1:7001", "127.0.0.1:7002")),
                new ProxyRecord(B, "127.0.0.2", List.of("127.0.0.2:7001", "127.0.0.2:7002")));
        FailoverPlan.Result failover = FailoverPlan.plan(r, new FailoverPlan.MasterDown(new NodeRef(A, "127.0.0.1:7001")),
                Map.of(new NodeRef(B, "127.0.0.2:7002"), 1234L), members, List.of(), 0);
        ClusterRecord after = failover.record();
        assertThat(failover.promotions()).hasSize(1);
        assertThat(Epochs.promotion(1)).isEqualTo(2);
        // written at revision 1: SETREPL/SETCLUSTER at 3, above the PROMOTE at 2; the layout of step 3
        // (the shards in id order here, the promoted node's shard first)
        assertThat(line(MetadataRenderer.setRepl(after, 1, B))).isEqualTo("3 NOFLAGS master mydb 127.0.0.2:7002 1 "
                + "127.0.0.1:7001 127.0.0.1:6001 master mydb 127.0.0.2:7001 1 127.0.0.1:7002 127.0.0.1:6001");
        assertThat(line(MetadataRenderer.setRepl(after, 1, A))).isEqualTo("3 NOFLAGS replica mydb 127.0.0.1:7001 1 "
                + "127.0.0.2:7002 127.0.0.2:6001 replica mydb 127.0.0.1:7002 1 127.0.0.2:7001 127.0.0.2:6001");
        assertThat(line(MetadataRenderer.setCluster(after, 1, B)))
                .isEqualTo("v2 3 NOFLAGS mydb 127.0.0.2:7002 1 0-8191 127.0.0.2:7001 1 8192-16383 PEER");
        // a proxy that serves only replicas: no local entry, one PEER with the union of its masters' slots
        assertThat(line(MetadataRenderer.setCluster(after, 1, A))).isEqualTo("v2 3 NOFLAGS mydb PEER 127.0.0.2:6001 1 0-16383");
        ParseResult<SetClusterRequest> parsed = SetClusterParser.parse(MetadataRenderer.setCluster(after, 1, A));
        assertThat(parsed.error()).isNull();
        assertThat(parsed.value().snapshot().localBackends()).isEmpty();
        assertThat(parsed.value().snapshot().redirectOwner(0)).isEqualTo(B);
    }

    @Test
    void matchesTheMigrationCoordinatorByteForByte() {
        List<MigrationCoordinator.Node> nodes = List.of(new MigrationCoordinator.Node("127.0.0.1:6001", "127.0.0.1:7001"),
                new MigrationCoordinator.Node("127.0.0.2:6001", "127.0.0.2:7001"),
                new MigrationCoordinator.Node("127.0.0.3:6001", "127.0.0.3:7001"));
        List<Shard> shards = new ArrayList<>();
        String[] slots = {"0-5460", "5461-10922", "10923-16383"};
        for (int i = 0; i < 3; i++) {
            shards.add(new Shard(i, new NodeRef(nodes.get(i).proxy(), nodes.get(i).backend()), List.of(), List.of(slots[i])));
        }
        ClusterRecord r = new ClusterRecord(new ClusterSpec("mydb", 3, 0, null), shards, List.of(), List.of(),
                nodes.stream().map(MigrationCoordinator.Node::proxy).toList());
        long revision = 20;
        MigrationCoordinator stable = new MigrationCoordinator("mydb", Epochs.metadata(revision), nodes);
        MigrationCoordinator before = new MigrationCoordinator("mydb", Epochs.metadata(revision) - 1, nodes);
        for (MigrationCoordinator c : List.of(stable, before)) {
            c.assign(0, new int[] {0, 5460});
            c.assign(1, new int[] {5461, 10922});
            c.assign(2, new int[] {10923, 16383});
        }
        // the move started at revision 20 and rendered from that write: meta epoch = SETCLUSTER epoch
        ClusterRecord moving = r.withMoves(List.of(new SlotMove(1, 0, List.of("9000-10922"), revision)));
        for (int i = 0; i < 3; i++) {
            assertThat(withPrefix(MetadataRenderer.setCluster(r, revision, nodes.get(i).proxy())))
                    .isEqualTo(stable.setClusterArgs(i));
            assertThat(withPrefix(MetadataRenderer.setCluster(moving, revision, nodes.get(i).proxy())))
                    .isEqualTo(before.startMoveArgs(i, 1, 0, new int[] {9000, 10922}));
        }
        // and the coordinator's order: destination, the others, source
        assertThat(MetadataRenderer.pushOrder(moving)).containsExactly(nodes.get(0).proxy(), nodes.get(2).proxy(),
                nodes.get(1).proxy());
        assertThat(MetadataRenderer.render(moving, revision)).extracting(MetadataRenderer.ProxyMetadata::proxy)
                .containsExactly(nodes.get(0).proxy(), nodes.get(2).proxy(), nodes.get(1).proxy());
    }

    static List<String> withPrefix(List<String> args) {
        List<String> out = new ArrayList<>(List.of("UMCTL", "SETCLUSTER"));
        out.addAll(args);
        return out;
    }

    @Test
    void listsAProxysUnusedNodesAsFreeMasters() {
        ClusterRecord r = twoHosts();
        ProxyRecord a = new ProxyRecord(A, "127.0.0.1", List.of("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"));
        assertThat(line(MetadataRenderer.setRepl(r, 0, a))).isEqualTo("1 NOFLAGS master mydb 127.0.0.1:7001 1 "
                + "127.0.0.2:7002 127.0.0.2:6001 replica mydb 127.0.0.1:7002 1 127.0.0.2:7001 127.0.0.2:6001 "
                + "master  127.0.0.1:7003 0");
        assertThat(SetReplParser.parse(MetadataRenderer.setRepl(r, 0, a)).value().nodes()).last()
                .isEqualTo(new SetReplRequest.Node(true, "", "127.0.0.1:7003", List.of()));
    }

    @Test
    void refusesAMoveTheRecordCannotHold() {
        ClusterRecord r = twoHosts();
        assertThatThrownBy(() -> MetadataRenderer.setCluster(r.withMoves(List.of(new SlotMove(0, 1, List.of("8000-8200"), 1))),
                1, A)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not own");
        assertThatThrownBy(() -> MetadataRenderer.setCluster(r.withMoves(List.of(new SlotMove(0, 7, List.of("0-1"), 1))),
                1, A)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no shard 7");
    }

    /**
     * Records of many shapes, with moves in flight: every proxy's metadata parses, routes every slot to the
     * master that owns it (the source, while a move is open), names exactly the nodes it serves, and a
     * proxy that imports is pushed before its source.
     */
    @Test
    void everyProxyOfEveryShapeReadsItsMetadataBackAsTheRecord() {
        int checked = 0;
        for (int hosts = 2; hosts <= 4; hosts++) {
            for (int proxies = 2; proxies <= 8; proxies++) {
                List<ProxyRecord> pool = new ArrayList<>();
                for (int i = 0; i < proxies; i++) {
                    String host = "10.1.0." + (1 + i % hosts);
                    pool.add(new ProxyRecord(host + ":" + (6000 + i), host, List.of(host + ":" + (7000 + 10 * i),
                            host + ":" + (7001 + 10 * i), host + ":" + (7002 + 10 * i))));
                }
                List<ProxyRecord> free = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String host = "10.1.0." + (1 + i % hosts);
                    free.add(new ProxyRecord(host + ":" + (6100 + i), host, List.of(host + ":" + (7100 + 10 * i),
                            host + ":" + (7101 + 10 * i), host + ":" + (7102 + 10 * i))));
                }
                for (int replicas = 0; replicas <= Math.min(2, hosts - 1); replicas++) {
                    for (int shards = 1; shards <= proxies; shards++) {
                        var placed = Placement.create(new ClusterSpec("c" + shards, shards, replicas, null), pool);
                        if (!placed.isOk()) {
                            continue;
                        }
                        ClusterRecord r = placed.value();
                        check(r, 3);
                        var grown = ScalePlan.to(r, shards + 2, pool, free).orElseThrow();
                        ClusterRecord moving = ScalePlan.start(grown.record(),
                                ScalePlan.nextMoves(grown.record(), grown.moves(), 3), 9);
                        check(moving, 12);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(60);
    }

    private static void check(ClusterRecord r, long revision) {
        long epoch = Epochs.metadata(revision);
        Map<Integer, Integer> ownerShard = new HashMap<>();
        for (Shard s : r.shards()) {
            SlotRanges.parse(s.slots()).ranges().forEach(range -> {
                for (int slot = range.start(); slot <= range.end(); slot++) {
                    ownerShard.put(slot, s.id());
                }
            });
        }
        List<String> order = MetadataRenderer.pushOrder(r);
        assertThat(order).containsExactlyInAnyOrderElementsOf(r.proxies());
        for (SlotMove m : r.moves()) {
            assertThat(order.indexOf(r.shard(m.toShard()).orElseThrow().master().proxy()))
                    .isLessThan(order.indexOf(r.shard(m.fromShard()).orElseThrow().master().proxy()));
        }
        Random random = new Random(revision);
        for (String proxy : order) {
            ParseResult<SetClusterRequest> sc = SetClusterParser.parse(MetadataRenderer.setCluster(r, revision, proxy));
            assertThat(sc.error()).isNull();
            ClusterSnapshot snap = sc.value().snapshot();
            assertThat(snap.epoch()).isEqualTo(epoch);
            assertThat(snap.name()).isEqualTo(r.name());
            assertThat(snap.localBackends()).containsExactlyElementsOf(r.shards().stream()
                    .filter(s -> s.master().proxy().equals(proxy)).map(s -> s.master().node()).toList());
            for (int k = 0; k < 400; k++) {
                int slot = k < 8 ? new int[] {0, 1, 5460, 5461, 8191, 8192, 16382, 16383}[k] : random.nextInt(16384);
                NodeRef owner = r.shard(ownerShard.get(slot)).orElseThrow().master();
                if (owner.proxy().equals(proxy)) {
                    assertThat(snap.localOwner(slot)).as("slot %d at %s", slot, proxy).isEqualTo(owner.node());
                } else {
                    assertThat(snap.localOwner(slot)).isNull();
                    assertThat(snap.redirectOwner(slot)).as("slot %d at %s", slot, proxy).isEqualTo(owner.proxy());
                }
            }
            for (SlotMove m : r.moves()) {
                NodeRef dst = r.shard(m.toShard()).orElseThrow().master();
                int slot = SlotRanges.parse(m.ranges()).ranges().get(0).start();
                if (dst.proxy().equals(proxy)) {
                    assertThat(snap.importingNode(slot)).isEqualTo(dst.node());
                } else if (r.shard(m.fromShard()).orElseThrow().master().proxy().equals(proxy)) {
                    assertThat(snap.migratingTo(slot)).isEqualTo(dst.proxy());
                }
            }
            ParseResult<SetReplRequest> sr = SetReplParser.parse(MetadataRenderer.setRepl(r, revision, proxy));
            assertThat(sr.error()).isNull();
            assertThat(sr.value().epoch()).isEqualTo(epoch);
            assertThat(sr.value()).isEqualTo(MetadataRenderer.replication(r, revision, proxy));
            int served = 0;
            for (Shard s : r.shards()) {
                if (s.master().proxy().equals(proxy)) {
                    served++;
                    assertThat(sr.value().nodes()).contains(new SetReplRequest.Node(true, r.name(), s.master().node(),
                            s.replicas().stream().map(x -> new SetReplRequest.Peer(x.node(), x.proxy())).toList()));
                }
                for (NodeRef x : s.replicas()) {
                    if (x.proxy().equals(proxy)) {
                        served++;
                        assertThat(sr.value().nodes()).contains(new SetReplRequest.Node(false, r.name(), x.node(),
                                List.of(new SetReplRequest.Peer(s.master().node(), s.master().proxy()))));
                    }
                }
            }
            assertThat(sr.value().nodes()).hasSize(served);
        }
    }
}
