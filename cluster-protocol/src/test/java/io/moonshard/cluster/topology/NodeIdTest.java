package io.moonshard.cluster.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** CRC-64/Jones and the node-ID vectors of undermoon-proxy-spec §3.2, in both styles. */
class NodeIdTest {

    @Test
    void crc64CheckValue() {
        assertThat(Long.toHexString(Crc64.crc64("123456789"))).isEqualTo("e9c6d914c4b8d9ca");
        assertThat(Crc64.crc64("")).isZero();
        assertThat(Long.toHexString(Crc64.crc64("127.0.0.1:5299"))).isEqualTo("9f8fca2805923328");
        assertThat(Long.toHexString(Crc64.crc64("127.0.0.1:7000"))).isEqualTo("d458dd9b55cc9ad9");
        assertThat(Long.toHexString(Crc64.crc64("x".repeat(50)))).isEqualTo("a744988af9aa86ed");
        assertThat(Long.toHexString(Crc64.crc64("server_proxy5:6005"))).isEqualTo("d71bc00fbdddf89");
    }

    @Test
    void undermoonStyleVectors() {
        NodeIdStyle u = NodeIdStyle.UNDERMOON;
        assertThat(u.nodeId("mydb", "127.0.0.1:5299")).isEqualTo("mydb____________________9f8fca2805923328");
        assertThat(u.nodeId("testcluster", "127.0.0.1:5299")).isEqualTo("testcluster_____________9f8fca2805923328");
        assertThat(u.nodeId("mycluster", "server_proxy5:6005")).isEqualTo("mycluster_______________d71bc00fbdddf89_");
        assertThat(u.nodeId("mydb", "127.0.0.1:7000")).isEqualTo("mydb____________________d458dd9b55cc9ad9");
        assertThat(u.nodeId("mydb", "x".repeat(50))).isEqualTo("mydb____________________a744988af9aa86ed");
        assertThat(u.nodeId("", "127.0.0.1:5299")).isEqualTo("_".repeat(24) + "9f8fca2805923328");
        assertThat(u.nodeId("a".repeat(31), "127.0.0.1:5299")).isEqualTo("a".repeat(24) + "9f8fca2805923328");
    }

    @Test
    void seedStyleVectors() {
        NodeIdStyle s = NodeIdStyle.SEED;
        assertThat(s.nodeId("mydb", "127.0.0.1:5299")).isEqualTo("mydb________________9f8fca2805923328____");
        assertThat(s.nodeId("mydb", "127.0.0.1:7000")).isEqualTo("mydb________________d458dd9b55cc9ad9____");
        assertThat(s.nodeId("testcluster", "127.0.0.1:5299")).isEqualTo("testcluster_________9f8fca2805923328____");
        assertThat(s.nodeId("mycluster", "server_proxy5:6005")).isEqualTo("mycluster___________d71bc00fbdddf89_____");
        assertThat(s.nodeId("mydb", "x".repeat(50))).isEqualTo("mydb________________a744988af9aa86ed____");
        assertThat(s.nodeId("", "127.0.0.1:5299")).isEqualTo("_".repeat(20) + "9f8fca2805923328____");
        assertThat(s.nodeId("a".repeat(31), "127.0.0.1:5299")).isEqualTo("a".repeat(20) + "9f8fca2805923328____");
    }

    @Test
    void everyIdIsFortyCharacters() {
        for (NodeIdStyle style : NodeIdStyle.values()) {
            for (String name : new String[] {"", "a", "mydb", "x".repeat(31)}) {
                for (int port = 0; port < 2000; port += 7) {
                    assertThat(style.nodeId(name, "10.0.0." + (port % 256) + ":" + port)).hasSize(40);
                }
            }
        }
    }

    @Test
    void replicaIds_areDistinctFromTheProxysMasterId_andStable() {
        NodeIdStyle s = NodeIdStyle.SEED;
        // the replica 127.0.0.2:5299 hosts for the master behind 127.0.0.1:5299, and the other way round
        assertThat(s.replicaNodeId("mydb", "127.0.0.2:5299", "127.0.0.1:5299"))
                .isEqualTo("mydb________________9b46adb534fb87ab____");
        assertThat(s.replicaNodeId("mydb", "127.0.0.1:5299", "127.0.0.2:5299"))
                .isEqualTo("mydb________________2855c6dd2408c11e____");
        assertThat(NodeIdStyle.UNDERMOON.replicaNodeId("mydb", "127.0.0.2:5299", "127.0.0.1:5299"))
                .isEqualTo("mydb____________________9b46adb534fb87ab");
        assertThat(s.replicaNodeId("mydb", "127.0.0.2:5299", "127.0.0.1:5299"))
                .hasSize(40)
                .isNotEqualTo(s.nodeId("mydb", "127.0.0.2:5299"))
                .isNotEqualTo(s.replicaNodeId("mydb", "127.0.0.2:5299", "127.0.0.3:5299"));
    }
}
