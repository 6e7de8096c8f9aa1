package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.topology.ClusterSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Contradictory slot maps undermoon would apply silently; a migration's two sides stay legal. */
class SlotMapCheckTest {

    private static final String ME = "127.0.0.1:5299";
    private static final String MIG = SetClusterParserTest.MIG; // 6001/7001 migrate to 6002/7002

    private static String check(String line) {
        ParseResult<SetClusterRequest> parsed = SetClusterParser.parse(List.of(line.split(" ")));
        assertThat(parsed.error()).as(line).isNull();
        ClusterSnapshot snapshot = parsed.value().snapshot();
        return SlotMapCheck.contradiction(snapshot, ME);
    }

    @Test
    void consistentMaps_pass() {
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383")).isNull();
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 127.0.0.1:6380 1 8001-16383")).isNull();
        assertThat(check("v2 1 NOFLAGS mydb PEER 127.0.0.1:6001 1 0-16383")).isNull();
        // the same address listed twice: its ranges are merged, not a contradiction
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-100 127.0.0.1:6379 1 50-200")).isNull();
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-100 PEER 127.0.0.1:7000 1 101-200 127.0.0.1:7000 1 150-300"))
                .isNull();
    }

    @Test
    void migrationSides_asTheCoordinatorSendsThem_pass() {
        // the migrating proxy: its node MIGRATING, the destination proxy IMPORTING
        assertThat(check("v2 2 NOFLAGS mydb 127.0.0.1:7001 1 0-8000 127.0.0.1:7001 MIGRATING 1 8001-16383 " + MIG
                + " PEER 127.0.0.1:6002 IMPORTING 1 8001-16383 " + MIG)).isNull();
        // the importing proxy: its node IMPORTING, the source proxy's stable and MIGRATING ranges as a peer
        assertThat(check("v2 2 NOFLAGS mydb 127.0.0.1:7002 IMPORTING 1 8001-16383 " + MIG
                + " PEER 127.0.0.1:6001 1 0-8000 127.0.0.1:6001 MIGRATING 1 8001-16383 " + MIG)).isNull();
        // a third proxy: both sides among its peers
        assertThat(check("v2 2 NOFLAGS mydb 127.0.0.1:7003 1 0-0 PEER 127.0.0.1:6001 1 1-8000 "
                + "127.0.0.1:6001 MIGRATING 1 8001-16383 " + MIG + " 127.0.0.1:6002 IMPORTING 1 8001-16383 " + MIG))
                .isNull();
    }

    @Test
    void aStableSlotOwnedLocallyAndByAPeer_isRefused() {
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8000-16383"))
                .isEqualTo("ERR invalid cluster metadata: slot 8000 is owned by 127.0.0.1:6379 and peer 127.0.0.1:7000");
        // a local MIGRATING range still holds the data: a peer holding it stable contradicts it
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:7001 MIGRATING 1 100-200 " + MIG
                + " PEER 127.0.0.1:7000 1 150-16383"))
                .isEqualTo("ERR invalid cluster metadata: slot 150 is owned by 127.0.0.1:7001 and peer 127.0.0.1:7000");
    }

    @Test
    void oneSlotGivenToTwoPeers_isRefused() {
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-99 PEER 127.0.0.1:7000 1 100-200 "
                + "127.0.0.1:7001 1 200-16383"))
                .isEqualTo("ERR invalid cluster metadata: slot 200 is given to two peers, 127.0.0.1:7000 and 127.0.0.1:7001");
    }

    @Test
    void theSameSlotsOnTwoLocalBackends_areRefused() {
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-16383 127.0.0.1:6380 1 5-10"))
                .isEqualTo("ERR invalid cluster metadata: slot 5 is on two local backends, 127.0.0.1:6379 and 127.0.0.1:6380");
    }

    @Test
    void twoImporters_areRefused() {
        assertThat(check("v2 2 NOFLAGS mydb 127.0.0.1:7002 IMPORTING 1 8001-16383 " + MIG
                + " PEER 127.0.0.1:6001 MIGRATING 1 8001-16383 " + MIG + " 127.0.0.1:6003 IMPORTING 1 9000-9000 " + MIG))
                .isEqualTo("ERR invalid cluster metadata: slot 9000 is imported by both 127.0.0.1:7002 and peer 127.0.0.1:6003");
    }

    @Test
    void theProxyItselfAsAPeerOrABackend_isRefused() {
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER " + ME + " 1 8001-16383"))
                .isEqualTo("ERR invalid cluster metadata: peer 127.0.0.1:5299 is this proxy itself");
        assertThat(check("v2 1 NOFLAGS mydb " + ME + " 1 0-16383"))
                .isEqualTo("ERR invalid cluster metadata: 127.0.0.1:5299 is this proxy itself, not a Redis");
        assertThat(check("v2 1 NOFLAGS mydb 127.0.0.1:7000 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383"))
                .isEqualTo("ERR invalid cluster metadata: 127.0.0.1:7000 is listed as a local Redis and as a peer");
    }

    @Test
    void anEmptyClusterName_isRefused() {
        assertThat(check("v2 1 NOFLAGS  127.0.0.1:6379 1 0-16383"))
                .isEqualTo("ERR invalid cluster metadata: the cluster name is empty");
        ClusterSnapshot compressed = SetClusterParser.parse(List.of("v2", "1", "COMPRESS",
                CompressedSetClusterTest.compress("{\"cluster_name\":\"\"}"))).value().snapshot();
        assertThat(SlotMapCheck.contradiction(compressed, ME))
                .isEqualTo("ERR invalid cluster metadata: the cluster name is empty");
    }
}
