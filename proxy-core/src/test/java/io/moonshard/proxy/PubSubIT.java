package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pub/Sub over three proxies: a message published through any proxy reaches subscribers on all. */
class PubSubIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(3, 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String message(String channel, String payload) {
        return "*3\r\n$7\r\nmessage\r\n$" + channel.length() + "\r\n" + channel + "\r\n$" + payload.length() + "\r\n"
                + payload + "\r\n";
    }

    @Test
    void subscribersOnEveryProxy_receiveEveryMessage_inOrderPerPublisher() {
        String channel = "news";
        List<RawRedisClient> subscribers = new ArrayList<>();
        try {
            for (int p = 0; p < 3; p++) {
                RawRedisClient sub = new RawRedisClient(cluster.port(p));
                assertThat(sub.call("SUBSCRIBE", channel)).isEqualTo("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
                subscribers.add(sub);
            }
            int perPublisher = 50;
            try (RawRedisClient pub0 = new RawRedisClient(cluster.port(0));
                 RawRedisClient pub2 = new RawRedisClient(cluster.port(2))) {
                for (int i = 0; i < perPublisher; i++) {
                    // the reply counts the receivers on the proxy it was sent to, as a Redis Cluster node does
                    assertThat(pub0.call("PUBLISH", channel, "a" + i)).isEqualTo(":1\r\n");
                    assertThat(pub2.call("PUBLISH", channel, "b" + i)).isEqualTo(":1\r\n");
                }
            }
            for (RawRedisClient sub : subscribers) {
                int nextA = 0;
                int nextB = 0;
                for (int i = 0; i < 2 * perPublisher; i++) {
                    String reply = sub.readReply();
                    if (reply.equals(message(channel, "a" + nextA))) {
                        nextA++;
                    } else {
                        assertThat(reply).isEqualTo(message(channel, "b" + nextB));
                        nextB++;
                    }
                }
                assertThat(nextA).isEqualTo(perPublisher);
                assertThat(nextB).isEqualTo(perPublisher);
            }
        } finally {
            subscribers.forEach(RawRedisClient::close);
        }
    }

    @Test
    void resp2SubscribedMode_followsRedisRules_andEndsWithTheLastUnsubscribe() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(1))) {
            assertThat(c.call("SUBSCRIBE", "x", "y")).isEqualTo("*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n");
            assertThat(c.readReply()).isEqualTo("*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n");
            assertThat(c.call("GET", "k")).isEqualTo("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
                    + "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
            assertThat(c.call("PING")).isEqualTo("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
            assertThat(c.call("PSUBSCRIBE", "p*")).isEqualTo("*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
            try (RawRedisClient pub = new RawRedisClient(cluster.port(0))) {
                pub.call("PUBLISH", "pq", "hello");
            }
            assertThat(c.readReply()).isEqualTo("*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$5\r\nhello\r\n");
            c.call("UNSUBSCRIBE");
            c.readReply();
            assertThat(c.call("PUNSUBSCRIBE", "p*")).isEqualTo("*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n");
            // out of subscribed mode: ordinary commands work again
            assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(c.call("SET", "after:sub", "1")).startsWith("+OK").doesNotContain("Can't");
        }
    }

    @Test
    void resp3Subscriber_getsPushMessages_andMayRunOtherCommands() {
        try (RawRedisClient c = new RawRedisClient(cluster.port(0))) {
            assertThat(c.call("HELLO", "3")).startsWith("%7\r\n");
            assertThat(c.call("SUBSCRIBE", "r3")).isEqualTo(">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
            try (RawRedisClient pub = new RawRedisClient(cluster.port(2))) {
                pub.call("PUBLISH", "r3", "m");
            }
            assertThat(c.readReply()).isEqualTo(">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n");
            String key = Slots.keyIn(0, "r3:");
            assertThat(c.call("SET", key, "v")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", key)).isEqualTo("$1\r\nv\r\n");
        }
    }

    @Test
    void shardChannels_areRoutedBySlot() {
        int slotOfProxy2 = 16000;
        String channel = Slots.keyIn(slotOfProxy2, "shard:");
        try (RawRedisClient wrong = new RawRedisClient(cluster.port(0))) {
            assertThat(wrong.call("SSUBSCRIBE", channel))
                    .isEqualTo("-MOVED " + slotOfProxy2 + " " + cluster.proxyAddresses.get(2) + "\r\n");
            assertThat(wrong.call("SPUBLISH", channel, "x"))
                    .isEqualTo("-MOVED " + slotOfProxy2 + " " + cluster.proxyAddresses.get(2) + "\r\n");
        }
        try (RawRedisClient sub = new RawRedisClient(cluster.port(2));
             RawRedisClient pub = new RawRedisClient(cluster.port(2))) {
            assertThat(sub.call("SSUBSCRIBE", channel)).endsWith(":1\r\n");
            assertThat(pub.call("SPUBLISH", channel, "hi")).isEqualTo(":1\r\n");
            assertThat(sub.readReply()).isEqualTo("*3\r\n$8\r\nsmessage\r\n$" + channel.length() + "\r\n" + channel
                    + "\r\n$2\r\nhi\r\n");
        }
    }

    @Test
    void subscriberThatLeaves_freesItsBackendConnection() {
        String before = cluster.backends.get(1).get(0).rawCommand("PUBSUB", "NUMSUB", "leaving");
        assertThat(before).endsWith(":0\r\n");
        RawRedisClient sub = new RawRedisClient(cluster.port(1));
        sub.call("SUBSCRIBE", "leaving");
        assertThat(cluster.backends.get(1).get(0).rawCommand("PUBSUB", "NUMSUB", "leaving")).endsWith(":1\r\n");
        sub.close();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                cluster.backends.get(1).get(0).rawCommand("PUBSUB", "NUMSUB", "leaving").endsWith(":0\r\n"));
    }

    @Test
    void lettuceClusterPubSub_receivesMessagesPublishedThroughAnotherProxy() {
        RedisClusterClient subClient = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(0)));
        RedisClusterClient pubClient = RedisClusterClient.create(RedisURI.create("127.0.0.1", cluster.port(1)));
        List<String> received = new CopyOnWriteArrayList<>();
        try (StatefulRedisClusterPubSubConnection<String, String> sub = subClient.connectPubSub();
             StatefulRedisClusterConnection<String, String> pub = pubClient.connect()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    received.add(message);
                }
            });
            sub.sync().subscribe("lettuce-news");
            for (int i = 0; i < 20; i++) {
                pub.sync().publish("lettuce-news", "m" + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 20);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add("m" + i);
            }
            assertThat(received).containsExactlyElementsOf(expected);
        } finally {
            subClient.shutdown();
            pubClient.shutdown();
        }
    }
}
