package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a cluster client with default settings meets, compared with a real Redis Cluster node or
 * redis-server: CROSSSLOT for keys in several slots whatever the slot layout, CLUSTER LINKS in Redis
 * 7.0's shape, CLIENT LIST/KILL TYPE with Redis's types and errors.
 */
class UntunedClusterClientsIT {

    private static final String CROSSSLOT = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

    @Test
    void keysInSeveralSlots_areCrossSlotByDefault_asOnARealClusterNode_andSplitWithTheOptIn() {
        // "a" and "b" are in different slots; a real cluster node owning both refuses the command
        assertThat(Slots.slotOf("a")).isNotEqualTo(Slots.slotOf("b"));
        String real;
        try (RealRedisCluster redis = RealRedisCluster.start(1);
             RawRedisClient node = new RawRedisClient(redis.port(0))) {
            real = node.call("MSET", "a", "1", "b", "2");
            assertThat(node.call("MGET", "a", "b")).isEqualTo(real);
        }
        assertThat(real).isEqualTo(CROSSSLOT);
        try (LocalMoonshardCluster single = LocalMoonshardCluster.start(1, 1);
             RawRedisClient c = new RawRedisClient(single.port(0))) {
            for (String[] cmd : List.of(new String[] {"MSET", "a", "1", "b", "2"}, new String[] {"MGET", "a", "b"},
                    new String[] {"DEL", "a", "b"}, new String[] {"EXISTS", "a", "b"}, new String[] {"UNLINK", "a", "b"},
                    new String[] {"TOUCH", "a", "b"})) {
                assertThat(c.call(cmd)).as(String.join(" ", cmd)).isEqualTo(real);
            }
            assertThat(c.call("MSET", "{t}a", "1", "{t}b", "2")).isEqualTo("+OK\r\n"); // one slot: served
            assertThat(c.call("DBSIZE")).isEqualTo(":2\r\n"); // keyless commands are not affected
        }
        try (LocalMoonshardCluster optIn = LocalMoonshardCluster.start(1, 2, b -> b.allowCrossSlotLocal(true));
             RawRedisClient c = new RawRedisClient(optIn.port(0))) {
            assertThat(c.call("MSET", "a", "1", "b", "2")).isEqualTo("+OK\r\n");
            assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
            assertThat(c.call("DEL", "a", "b", "c")).isEqualTo(":2\r\n");
        }
    }

    /** One link map of Redis 7.0's CLUSTER LINKS, as RESP2 (a flat array) or RESP3 (a map). */
    private static String linkPattern(String header, String direction) {
        return Pattern.quote(header + "\r\n$9\r\ndirection\r\n") + "\\$[24]\r\n(?:" + direction + ")\r\n"
                + Pattern.quote("$4\r\nnode\r\n$40\r\n") + "[0-9a-z_]{40}\r\n"
                + Pattern.quote("$11\r\ncreate-time\r\n:") + "\\d+\r\n"
                + Pattern.quote("$6\r\nevents\r\n") + "\\$[12]\r\n[rw]{1,2}\r\n"
                + Pattern.quote("$21\r\nsend-buffer-allocated\r\n:") + "\\d+\r\n"
                + Pattern.quote("$16\r\nsend-buffer-used\r\n:") + "\\d+\r\n";
    }

    @Test
    void clusterLinks_isAnswered_inRedisShape_withALinkToEachPeerProxy() {
        String realResp2;
        String realResp3;
        try (RealRedisCluster redis = RealRedisCluster.start(2);
             RawRedisClient node = new RawRedisClient(redis.port(0))) {
            realResp2 = node.call("CLUSTER", "LINKS");
            node.call("HELLO", "3");
            realResp3 = node.call("CLUSTER", "LINKS");
        }
        // a real node: a link to and a link from its one peer
        assertThat(realResp2).matches("\\*2\r\n(?:" + linkPattern("*12", "to|from") + "){2}");
        assertThat(realResp3).matches("\\*2\r\n(?:" + linkPattern("%6", "to|from") + "){2}");

        try (LocalMoonshardCluster three = LocalMoonshardCluster.start(3, 1);
             RawRedisClient c = new RawRedisClient(three.port(0))) {
            long before = System.currentTimeMillis();
            String resp2 = c.call("CLUSTER", "LINKS");
            assertThat(resp2).matches("\\*2\r\n(?:" + linkPattern("*12", "to") + "){2}");
            String nodes = c.call("CLUSTER", "NODES");
            for (String line : nodes.split("\n")) {
                if (line.contains(" master ") && !line.contains("myself")) {
                    assertThat(resp2).contains("$40\r\n" + line.substring(0, 40) + "\r\n"); // the peers' node IDs
                }
            }
            assertThat(c.call("HELLO", "3")).startsWith("%7\r\n");
            String resp3 = c.call("CLUSTER", "LINKS");
            assertThat(resp3).matches("\\*2\r\n(?:" + linkPattern("%6", "to") + "){2}");
            // a link is as old as the peer's first appearance in the metadata, kept across SETCLUSTERs
            three.pushMetadata();
            assertThat(c.call("CLUSTER", "LINKS")).isEqualTo(resp3);
            assertThat(Long.parseLong(resp3.split("create-time\r\n:")[1].split("\r\n")[0])).isLessThanOrEqualTo(before);
            assertThat(c.call("CLUSTER", "LINKS", "x"))
                    .isEqualTo("-ERR wrong number of arguments for 'cluster|links' command\r\n");
        }
    }

    @Test
    void clientListAndKillType_followRedis() {
        try (RedisProcess redis = RedisProcess.start();
             LocalMoonshardCluster proxy = LocalMoonshardCluster.start(1, 1)) {
            for (int port : new int[] {redis.port(), proxy.port(0)}) {
                String where = port == redis.port() ? "redis-server" : "moonshard";
                try (RawRedisClient c = new RawRedisClient(port);
                     RawRedisClient subscriber = new RawRedisClient(port)) {
                    String myId = c.call("CLIENT", "ID").substring(1).trim();
                    assertThat(subscriber.call("SUBSCRIBE", "news")).startsWith("*3\r\n$9\r\nsubscribe\r\n");
                    assertThat(c.call("CLIENT", "LIST", "TYPE", "wrong")).as(where)
                            .isEqualTo("-ERR Unknown client type 'wrong'\r\n");
                    assertThat(c.call("CLIENT", "LIST", "TYPE")).as(where).isEqualTo("-ERR syntax error\r\n");
                    assertThat(c.call("CLIENT", "LIST", "TYPE", "normal", "x")).as(where).isEqualTo("-ERR syntax error\r\n");
                    assertThat(c.call("CLIENT", "LIST", "ID", "abc")).as(where).isEqualTo("-ERR Invalid client ID\r\n");
                    for (String type : List.of("master", "replica", "slave", "MASTER")) {
                        assertThat(c.call("CLIENT", "LIST", "TYPE", type)).as(where + " " + type).isEqualTo("$0\r\n\r\n");
                    }
                    String pubsub = c.call("CLIENT", "LIST", "TYPE", "pubsub");
                    assertThat(pubsub.split("\n")).as(where).hasSize(3); // header, one client, the bulk's CRLF
                    assertThat(pubsub).as(where).contains(" flags=P ").doesNotContain("id=" + myId + " ");
                    String normal = c.call("CLIENT", "LIST", "TYPE", "Normal");
                    assertThat(normal).as(where).contains("id=" + myId + " ").doesNotContain(" flags=P ");
                    assertThat(c.call("CLIENT", "LIST", "ID", myId, "999999"))
                            .as(where).contains("id=" + myId + " ").doesNotContain("flags=P");
                    assertThat(c.call("CLIENT", "KILL", "TYPE", "master")).as(where).isEqualTo(":0\r\n");
                    assertThat(c.call("CLIENT", "KILL", "TYPE", "pubsub")).as(where).isEqualTo(":1\r\n");
                    assertThat(subscriber.isClosedByServer()).as(where).isTrue();
                    assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
                }
            }
        }
    }
}
