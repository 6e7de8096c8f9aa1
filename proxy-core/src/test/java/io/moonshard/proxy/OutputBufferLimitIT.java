package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.SocketDrain;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redis's {@code client-output-buffer-limit} applied by the proxy to its own clients: CONFIG SET/GET as
 * redis-server answers them, the soft limit with its seconds, and the pubsub class.
 */
class OutputBufferLimitIT {

    private static final String DEFAULTS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

    /** Values CONFIG SET takes or refuses, each sent to redis-server and to the proxy. */
    private static final List<String> VALUES = List.of(
            "normal 32mb 8mb 60", "NORMAL 1MB 2kb 3", "normal 1G 0 0 pubsub 1 2 3", "replica 1 2 3", "slave 5 6 7",
            "normal 05 0 0", "normal 1b 0 0", "normal b 0 0", "normal kb 0 0", "normal 99999999999999999999 0 0",
            "normal 20000000000000000gb 0 0", "normal 1 1 99999999999", "normal 1 2 03", "normal 1 2 -0",
            "normal 1 2 +4", "normal 1 2 3 normal 4 5 6", "", "normal 1 2 ",
            "wrong number", "invalid_class 10mb 10mb 60", "master 10mb 10mb 60", "normal 10mbs 10mb 60",
            "normal 10mb 10mbs 60", "normal 10mb 10mb x", "normal 10mb 10mb -1", "normal -1 0 0", "normal 1.5mb 0 0",
            "normal 0x10 0 0", "normal +5 0 0", "   ", "normal  1 2 3", " normal 1 2 3", "normal 1 2 3 ",
            "b 1 2 3", "pubsub 1 2 3 normal", "normal 10mbs 0 0 invalid 1 1 1", "normal 1 1 x invalid 1 1 1",
            "Normal 1 2 2147483648", "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60");

    @Test
    void configSetAndGet_answerAsRedisServer_andStayInTheProxy() {
        try (RedisProcess reference = RedisProcess.start();
             LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1);
             RawRedisClient redis = new RawRedisClient(reference.port());
             RawRedisClient proxy = new RawRedisClient(cluster.port(0))) {
            assertThat(proxy.call("CONFIG", "GET", "client-output-buffer-limit"))
                    .isEqualTo(redis.call("CONFIG", "GET", "client-output-buffer-limit"))
                    .contains(DEFAULTS);
            for (String value : VALUES) {
                assertThat(proxy.call("CONFIG", "SET", "client-output-buffer-limit", value)).as("SET '%s'", value)
                        .isEqualTo(redis.call("CONFIG", "SET", "client-output-buffer-limit", value));
                assertThat(proxy.call("CONFIG", "GET", "Client-Output-Buffer-Limit")).as("GET after '%s'", value)
                        .isEqualTo(redis.call("CONFIG", "GET", "Client-Output-Buffer-Limit"));
            }
            assertThat(proxy.call("CONFIG", "SET", "client-output-buffer-limit", "x", "client-output-buffer-limit", "y"))
                    .isEqualTo(redis.call("CONFIG", "SET", "client-output-buffer-limit", "x",
                            "client-output-buffer-limit", "y"));
            assertThat(proxy.call("CONFIG", "SET", "client-output-buffer-limit", "normal 7 8 9")).isEqualTo("+OK\r\n");
            // the proxy's own: the backend's limit on the proxy's connections stays Redis's default
            assertThat(cluster.backends.get(0).get(0).rawCommand("CONFIG", "GET", "client-output-buffer-limit"))
                    .contains(DEFAULTS);
            // asked together with a Redis parameter: one pair each, the limit being the proxy's
            String both = proxy.call("CONFIG", "GET", "maxmemory", "client-output-buffer-limit");
            assertThat(both).startsWith("*4\r\n$9\r\nmaxmemory\r\n")
                    .endsWith("$26\r\nclient-output-buffer-limit\r\n$67\r\n"
                            + "normal 7 8 9 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n");
        }
    }

    @Test
    void softLimit_disconnectsAClientThatStaysOverItLongerThanItsSeconds() throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1);
             RawRedisClient admin = new RawRedisClient(cluster.port(0))) {
            assertThat(admin.call("SET", "big", "x".repeat(1 << 20))).isEqualTo("+OK\r\n");
            assertThat(admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 4mb 2")).isEqualTo("+OK\r\n");
            try (Socket slow = slowReader(cluster.port(0))) {
                long start = System.nanoTime();
                pipeline(slow, 16, "GET", "big"); // 16 MB due: over the soft limit, no hard limit
                pipeline(slow, 100, "PING"); // small replies behind them, copied off the backend's buffer
                String address = "addr=127.0.0.1:" + slow.getLocalPort() + " ";
                // still there after a second: over the soft limit, but not yet for 2 seconds
                await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                        .until(() -> admin.call("CLIENT", "LIST").contains(address));
                await().atMost(Duration.ofSeconds(10)).until(() -> !admin.call("CLIENT", "LIST").contains(address));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
                assertThat(SocketDrain.readsToEndOfStream(slow, Duration.ofSeconds(10))).isTrue();
            }
            assertThat(admin.call("STRLEN", "big")).isEqualTo(":1048576\r\n");
        }
    }

    @Test
    void pubsubLimit_disconnectsASubscriberThatDoesNotRead_normalClientsAreNotHeldToIt() throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1);
             RawRedisClient publisher = new RawRedisClient(cluster.port(0))) {
            // far below Redis's own pubsub limit on the proxy's connection (32 MB): the proxy's limit acts
            assertThat(publisher.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 2mb 0 0")).isEqualTo("+OK\r\n");
            String message = "m".repeat(64 * 1024);
            try (Socket subscriber = slowReader(cluster.port(0)); Socket normal = slowReader(cluster.port(0))) {
                pipeline(subscriber, 1, "SUBSCRIBE", "ch");
                String confirmation = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
                byte[] read = subscriber.getInputStream().readNBytes(confirmation.length());
                assertThat(new String(read, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(confirmation);
                // a normal client with more than 2 MB unread: the pubsub class's limit is not its own
                assertThat(publisher.call("SET", "v", message)).isEqualTo("+OK\r\n");
                pipeline(normal, 64, "GET", "v");
                int published = 0;
                String receivers = ":1\r\n";
                while (receivers.equals(":1\r\n") && published < 2000) {
                    receivers = publisher.call("PUBLISH", "ch", message);
                    published++;
                }
                assertThat(receivers).isEqualTo(":0\r\n");
                // over 2 MB due first (the socket buffers hold some), far less than Redis's 32 MB
                assertThat(published).isBetween(2 * 1024 * 1024 / message.length(), 300);
                assertThat(SocketDrain.readsToEndOfStream(subscriber, Duration.ofSeconds(10))).isTrue();
                String address = "addr=127.0.0.1:" + normal.getLocalPort() + " ";
                assertThat(publisher.call("CLIENT", "LIST")).contains(address);
            }
        }
    }

    @Test
    void maxClientOutputBytes_cutsAClientWithManyRepliesDue_butLetsOneBigReplyThrough() throws Exception {
        int big = 6 << 20;
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1, b -> b.maxClientOutputBytes(4 << 20));
             RawRedisClient admin = new RawRedisClient(cluster.port(0))) {
            assertThat(admin.call("SET", "big", "b".repeat(big))).isEqualTo("+OK\r\n");
            assertThat(admin.call("SET", "one", "o".repeat(1 << 20))).isEqualTo("+OK\r\n");
            try (Socket single = slowReader(cluster.port(0)); Socket many = slowReader(cluster.port(0))) {
                pipeline(single, 1, "GET", "big"); // 6 MB due, but one reply
                pipeline(many, 8, "GET", "one"); // 8 MB due in 8 replies
                String manyAddress = "addr=127.0.0.1:" + many.getLocalPort() + " ";
                await().atMost(Duration.ofSeconds(10)).until(() -> !admin.call("CLIENT", "LIST").contains(manyAddress));
                assertThat(SocketDrain.readsToEndOfStream(many, Duration.ofSeconds(10))).isTrue();
                String singleAddress = "addr=127.0.0.1:" + single.getLocalPort() + " ";
                assertThat(admin.call("CLIENT", "LIST")).contains(singleAddress);
                byte[] header = ("$" + big + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] reply = single.getInputStream().readNBytes(header.length + big + 2);
                assertThat(java.util.Arrays.copyOf(reply, header.length)).isEqualTo(header);
                assertThat(reply[header.length]).isEqualTo((byte) 'b');
                assertThat(reply[header.length + big - 1]).isEqualTo((byte) 'b');
                pipeline(single, 1, "PING");
                assertThat(single.getInputStream().readNBytes(7)).isEqualTo("+PONG\r\n".getBytes());
            }
        }
    }

    @Test
    void repliesWaitingBehindASlowerOne_countAsDue_andStopTheProxyReadingThatClient() throws Exception {
        try (LocalMoonshardCluster cluster = LocalMoonshardCluster.start(1, 1, b -> b.maxPendingReplyBytes(2 << 20));
             RawRedisClient admin = new RawRedisClient(cluster.port(0))) {
            assertThat(admin.call("SET", "one", "o".repeat(1 << 20))).isEqualTo("+OK\r\n");
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", cluster.port(0)), 5000);
                // BLPOP blocks; the 8 MB of GET replies behind it wait in their slots, none on the socket
                pipeline(client, 1, "BLPOP", "list", "0");
                pipeline(client, 8, "GET", "one");
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        cluster.backends.get(0).get(0).rawCommand("CLIENT", "LIST").contains("cmd=blpop"));
                pipeline(client, 1, "SET", "marker", "1");
                // over max_pending_reply_bytes: this client's next command is not read while they wait
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                        .until(() -> admin.call("EXISTS", "marker").equals(":0\r\n"));
                assertThat(admin.call("LPUSH", "list", "x")).isEqualTo(":1\r\n");
                byte[] blpop = "*2\r\n$4\r\nlist\r\n$1\r\nx\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                assertThat(client.getInputStream().readNBytes(blpop.length)).isEqualTo(blpop);
                int getReply = ("$" + (1 << 20) + "\r\n").length() + (1 << 20) + 2;
                assertThat(client.getInputStream().readNBytes(8 * getReply)).hasSize(8 * getReply);
                assertThat(client.getInputStream().readNBytes(5)).isEqualTo("+OK\r\n".getBytes());
                assertThat(admin.call("EXISTS", "marker")).isEqualTo(":1\r\n");
            }
        }
    }

    /** A client socket with a small receive window, so replies pile up in the proxy rather than in the kernel. */
    private static Socket slowReader(int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return socket;
    }

    private static void pipeline(Socket socket, int times, String... command) throws IOException {
        byte[] one = RawRedisClient.encode(command);
        byte[] all = new byte[one.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        socket.getOutputStream().write(all);
        socket.getOutputStream().flush();
    }

}
