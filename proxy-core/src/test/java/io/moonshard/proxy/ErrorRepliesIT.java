package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input gets Redis's exact error, and the proxy keeps serving everyone else. */
class ErrorRepliesIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalMoonshardCluster.start(1, 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void malformedResp_getsProtocolErrorThenClose_whileOthersAreServed() {
        try (RawRedisClient bystander = new RawRedisClient(cluster.port(0));
             RawRedisClient bad = new RawRedisClient(cluster.port(0))) {
            bad.sendRaw("*1\r\n$foo\r\n");
            assertThat(bad.readReply()).isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
            assertThat(bad.isClosedByServer()).isTrue();
            assertThat(bystander.call("SET", "still", "here")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void commandsBeforeAProtocolError_areAnsweredFirst() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            client.sendRaw("*1\r\n$4\r\nPING\r\n*3000000000\r\n");
            assertThat(client.readReply()).isEqualTo("+PONG\r\n");
            assertThat(client.readReply()).isEqualTo("-ERR Protocol error: invalid multibulk length\r\n");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void unknownAndWrongArityCommands_getRedisExactErrors() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("FOO", "a", "b"))
                    .isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
            assertThat(client.call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
            assertThat(client.call("PING", "x", "y", "z"))
                    .isEqualTo("-ERR wrong number of arguments for 'ping' command\r\n");
            assertThat(client.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void inlineCommands_work() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            client.sendRaw("SET inline \"a b\"\r\nGET inline\r\n\r\nPING\r\n");
            assertThat(client.readReply()).isEqualTo("+OK\r\n");
            assertThat(client.readReply()).isEqualTo("$3\r\na b\r\n");
            assertThat(client.readReply()).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void badUmctlArguments_getUndermoonReplies_andChangeNothing() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            String epoch = client.call("UMCTL", "GETEPOCH");
            assertThat(client.call("UMCTL", "SETCLUSTER", "v3", "9", "NOFLAGS", "x"))
                    .isEqualTo("-Failed to parse args: InvalidVersion\r\n");
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "notanumber", "NOFLAGS", "x"))
                    .isEqualTo("-Failed to parse args: InvalidArgs\r\n");
            assertThat(client.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", LocalMoonshardCluster.NAME,
                    cluster.backends.get(0).get(0).address(), "1", "0-16383"))
                    .isEqualTo("-OLD_EPOCH\r\n");
            assertThat(client.call("UMCTL", "NOSUCH")).isEqualTo("-Invalid sub command\r\n");
            assertThat(client.call("UMCTL")).isEqualTo("-Missing sub command\r\n");
            assertThat(client.call("UMCTL", "GETEPOCH")).isEqualTo(epoch);
            assertThat(client.call("SET", "k", "v")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void keylessSlotAndClusterReplies() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("CLUSTER", "KEYSLOT", "a")).isEqualTo(":15495\r\n");
            assertThat(client.call("CLUSTER", "MYID")).matches("\\$40\r\n[a-z_0-9]{40}\r\n");
            assertThat(client.call("CLUSTER", "INFO")).contains("cluster_state:ok\r\n");
            assertThat(client.call("SELECT", "1")).isEqualTo("-ERR SELECT is not allowed in cluster mode\r\n");
            assertThat(client.call("SELECT", "0")).isEqualTo("+OK\r\n");
            assertThat(client.call("HELLO", "4")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
            assertThat(client.call("HELLO", "x")).isEqualTo("-ERR Protocol version is not an integer or out of range\r\n");
            assertThat(client.call("ECHO", "hi")).isEqualTo("$2\r\nhi\r\n");
        }
    }
}
