package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-side caching through a proxy with three backends: CLIENT TRACKING runs on the client's own
 * connection to every backend, so invalidations of keys on any of them reach the client, in RESP3 as
 * pushes and in RESP2 through a redirect to a subscribed client, with the proxy's client ids.
 */
class TrackingIT {

    private static LocalMoonshardCluster cluster;
    private static int port;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(1, 3);
        port = cluster.port(0);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One key on each of the three backends (they own the thirds of the slot range). */
    private static String[] keysOnEveryBackend(String prefix) {
        return new String[] {Slots.keyIn(100, prefix), Slots.keyIn(8000, prefix), Slots.keyIn(16000, prefix)};
    }

    private static String invalidation(String key) {
        return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + key.length() + "\r\n" + key + "\r\n";
    }

    @Test
    void resp3Client_getsAPushForEveryReadKeyWrittenByAnother_onEveryBackend() {
        String[] keys = keysOnEveryBackend("t3");
        try (RawRedisClient tracker = new RawRedisClient(port); RawRedisClient writer = new RawRedisClient(port)) {
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "on")).isEqualTo("+OK\r\n");
            for (String key : keys) {
                writer.call("SET", key, "v1");
                assertThat(tracker.call("GET", key)).isEqualTo("$2\r\nv1\r\n");
            }
            for (String key : keys) {
                writer.call("SET", key, "v2");
                assertThat(tracker.readReply()).isEqualTo(invalidation(key));
            }
            // tracking is one-shot per read: a second write without a new read sends nothing, so the
            // next frame the tracker sees is its own PING's reply
            writer.call("SET", keys[0], "v3");
            assertThat(tracker.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void invalidationCausedByTheTrackerItself_comesAfterItsReply() {
        String key = Slots.keyIn(9000, "self");
        try (RawRedisClient tracker = new RawRedisClient(port)) {
            tracker.call("HELLO", "3");
            tracker.call("CLIENT", "TRACKING", "on");
            tracker.call("HSET", key, "f", "1");
            tracker.call("HGET", key, "f");
            assertThat(tracker.call("HDEL", key, "f")).isEqualTo(":1\r\n");
            assertThat(tracker.readReply()).isEqualTo(invalidation(key));
        }
    }

    @Test
    void resp2Redirect_toASubscribedClient_usesProxyIds_andBreaksWhenItQuits() {
        // the listener subscribed on the proxy's pub/sub backend (the first); the key lives on the third,
        // where the proxy subscribes the listener's own connection too
        String key = Slots.keyIn(15000, "redir");
        try (RawRedisClient listener = new RawRedisClient(port); RawRedisClient tracker = new RawRedisClient(port);
             RawRedisClient writer = new RawRedisClient(port)) {
            String listenerId = listener.call("CLIENT", "ID").substring(1).trim();
            listener.call("SUBSCRIBE", "__redis__:invalidate");
            assertThat(tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", "999999"))
                    .isEqualTo("-ERR The client ID you want redirect to does not exist\r\n");
            assertThat(tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", listenerId)).isEqualTo("+OK\r\n");
            assertThat(tracker.call("CLIENT", "GETREDIR")).isEqualTo(":" + listenerId + "\r\n");
            assertThat(tracker.call("CLIENT", "TRACKINGINFO")).isEqualTo(
                    "*6\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$8\r\nredirect\r\n:" + listenerId
                            + "\r\n$8\r\nprefixes\r\n*0\r\n");

            writer.call("SET", key, "1");
            tracker.call("GET", key);
            writer.call("SET", key, "2");
            assertThat(listener.readReply()).isEqualTo("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$"
                    + key.length() + "\r\n" + key + "\r\n");

            // the listener leaves: a RESP3 tracker is told at the next invalidation, as by Redis
            tracker.call("HELLO", "3");
            tracker.call("GET", key);
            assertThat(listener.call("QUIT")).isEqualTo("+OK\r\n");
            writer.call("SET", key, "3");
            assertThat(tracker.readReply()).startsWith(">2\r\n$21\r\ntracking-redir-broken\r\n");
            String info = tracker.call("CLIENT", "TRACKINGINFO");
            assertThat(info).contains("broken_redirect").contains("redirect\r\n:" + listenerId + "\r\n");
        }
    }

    @Test
    void trackingOff_isReportedAsRedisDoes() {
        try (RawRedisClient client = new RawRedisClient(port)) {
            assertThat(client.call("CLIENT", "GETREDIR")).isEqualTo(":-1\r\n");
            assertThat(client.call("CLIENT", "CACHING", "yes")).isEqualTo("-ERR CLIENT CACHING can be called only "
                    + "when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n");
            assertThat(client.call("CLIENT", "TRACKING", "on", "PREFIX", "a")).isEqualTo(
                    "-ERR PREFIX option requires BCAST mode to be enabled\r\n");
            assertThat(client.call("CLIENT", "TRACKING", "on", "BOGUS")).isEqualTo("-ERR syntax error\r\n");
            assertThat(client.call("CLIENT", "GETREDIR")).isEqualTo(":-1\r\n");
        }
    }

    @Test
    void lettuceClientSideCache_dropsAnEntryWhenAnotherClientWritesIt() {
        String key = Slots.keyIn(3000, "lettuce");
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
        try (StatefulRedisConnection<String, String> caching = client.connect(StringCodec.UTF8);
             StatefulRedisConnection<String, String> writer = client.connect(StringCodec.UTF8)) {
            writer.sync().set(key, "first");
            Map<String, String> store = new ConcurrentHashMap<>();
            CacheFrontend<String, String> frontend = ClientSideCaching.enable(CacheAccessor.forMap(store), caching,
                    TrackingArgs.Builder.enabled());
            assertThat(frontend.get(key)).isEqualTo("first");
            assertThat(store).containsEntry(key, "first");

            writer.sync().set(key, "second");
            await().atMost(Duration.ofSeconds(10)).until(() -> !store.containsKey(key));
            assertThat(frontend.get(key)).isEqualTo("second");
            frontend.close();
        } finally {
            client.shutdown();
        }
    }

    @Test
    void clientCachingNo_appliesToTheNextCommandOnly_whicheverBackendItGoesTo() {
        String untracked = Slots.keyIn(100, "optout");
        String tracked = Slots.keyIn(16000, "optout");
        try (RawRedisClient tracker = new RawRedisClient(port); RawRedisClient writer = new RawRedisClient(port)) {
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "on", "OPTOUT")).isEqualTo("+OK\r\n");
            assertThat(tracker.call("CLIENT", "CACHING", "yes")).isEqualTo(
                    "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n");
            assertThat(tracker.call("CLIENT", "CACHING", "no")).isEqualTo("+OK\r\n");
            assertThat(tracker.call("CLIENT", "TRACKINGINFO")).isEqualTo("%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n"
                    + "$6\r\noptout\r\n$10\r\ncaching-no\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n");
            writer.call("SET", untracked, "1");
            writer.call("SET", tracked, "1");
            tracker.call("GET", untracked); // CLIENT CACHING no: not tracked
            tracker.call("GET", tracked);   // the next command on another backend: tracked again
            writer.call("SET", untracked, "2");
            writer.call("SET", tracked, "2");
            assertThat(tracker.readReply()).isEqualTo(invalidation(tracked));
            assertThat(tracker.call("PING")).isEqualTo("+PONG\r\n");
        }
    }
}
