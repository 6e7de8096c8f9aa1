package io.moonshard.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.controller.placement.Placement;
import io.moonshard.controller.placement.ScalePlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record's fields added for wipes: old JSON still reads, and no change of the record drops them. */
class ClusterRecordTest {

    private static List<ProxyRecord> pool(int n) {
        List<ProxyRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String host = "10.0.0." + (1 + i % 2);
            out.add(new ProxyRecord(host + ":" + (6000 + i), host, List.of(host + ":" + (7000 + 2 * i), host + ":" + (7001 + 2 * i))));
        }
        return out;
    }

    @Test
    void aRecordWrittenBeforeWipesReadsAsNotDeletingWithNothingToWipe() {
        String old = "{\"spec\":{\"name\":\"c\",\"shards\":1,\"replicas\":0},\"shards\":[{\"id\":0,\"master\":{\"proxy\":\"10.0.0.1:6000\","
                + "\"node\":\"10.0.0.1:7000\"},\"replicas\":[],\"slots\":[\"0-16383\"]}],\"proxies\":[\"10.0.0.1:6000\"],"
                + "\"retired\":[\"10.0.0.2:6001\"],\"rebalance\":true}";
        ClusterRecord r = Json.read(old.getBytes(StandardCharsets.UTF_8), ClusterRecord.class);
        assertThat(r.deleting()).isFalse();
        assertThat(r.wiping()).isEmpty();
        assertThat(r.rebalance()).isTrue();
        assertThat(r.allProxies()).containsExactly("10.0.0.1:6000", "10.0.0.2:6001");
    }

    @Test
    void theDeletingMarkAndTheWipingListSurviveTheStoreAndEveryChange() {
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool(2)).orElseThrow()
                .withWiping(List.of("10.0.0.1:6009")).asDeleting();
        ClusterRecord read = Json.read(Json.write(r), ClusterRecord.class);
        assertThat(read).isEqualTo(r);
        ClusterRecord changed = read.withRebalance(true).withPromotions(List.of()).withMoves(List.of()).withRetired(List.of("x:1"))
                .withShards(read.shards()).withProxies(read.proxies()).withSpec(read.spec());
        assertThat(changed.deleting()).isTrue();
        assertThat(changed.wiping()).containsExactly("10.0.0.1:6009");
        assertThat(changed.allProxies()).contains("10.0.0.1:6009", "x:1").containsAll(read.proxies());
    }

    @Test
    void aScaleKeepsTheProxiesStillToWipe_soNoneBecomesFreeUnwiped() {
        List<ProxyRecord> pool = pool(2);
        ClusterRecord r = Placement.create(new ClusterSpec("c", 2, 1, null), pool).orElseThrow()
                .withWiping(List.of("10.0.0.1:6009")).withRetired(List.of("10.0.0.2:6008")).withRebalance(true);
        ScalePlan.Plan plan = ScalePlan.to(r, 3, pool, pool(6).subList(2, 6)).orElseThrow();
        assertThat(plan.record().wiping()).containsExactly("10.0.0.1:6009");
        assertThat(plan.record().retired()).containsExactly("10.0.0.2:6008");
        assertThat(plan.record().rebalance()).isTrue();
    }
}
