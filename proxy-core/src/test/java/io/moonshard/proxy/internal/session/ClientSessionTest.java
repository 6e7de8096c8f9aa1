package io.moonshard.proxy.internal.session;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.internal.command.ProxyContext;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real client pipeline (request decoder + session + dispatcher) in an EmbeddedChannel, with
 * commands the proxy answers itself, so no backend is needed.
 */
class ClientSessionTest {

    private final AtomicInteger shutdownRequests = new AtomicInteger();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        ProxyConfig config = ProxyConfig.builder().address("127.0.0.1:5299").build();
        ProxyContext proxy = new ProxyContext(config, new Bootstrap(), shutdownRequests::incrementAndGet);
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(new RespRequestDecoder());
        channel.pipeline().addLast(new ClientSession(proxy, proxy.poolFor(channel.eventLoop()), 1));
        channel.pipeline().fireChannelActive();
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private void send(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
    }

    /** Everything written to the client so far, as text. */
    private String written() {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void pipelinedLocalCommands_areAnsweredInOrder_evenWhenFedByteByByte() {
        String pipeline = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"
                + "*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$1\r\na\r\nPING\r\n";
        for (int i = 0; i < pipeline.length(); i++) {
            send(pipeline.substring(i, i + 1));
        }
        assertThat(written()).isEqualTo("+PONG\r\n$2\r\nhi\r\n:15495\r\n+PONG\r\n");
    }

    @Test
    void dataCommandBeforeAnyMetadata_getsClusterDown() {
        send("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        assertThat(written()).isEqualTo("-CLUSTERDOWN The cluster is down\r\n");
    }

    @Test
    void setClusterThenDesignNoteTranscript() {
        send("UMCTL SETCLUSTER v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383\r\n");
        assertThat(written()).isEqualTo("+OK\r\n");
        send("CLUSTER NODES\r\n");
        String nodes = "mydb________________9f8fca2805923328____ 127.0.0.1:5299 myself,master - 0 0 1 connected 0-8000\n"
                + "mydb________________d458dd9b55cc9ad9____ 127.0.0.1:7000 master - 0 0 1 connected 8001-16383\n";
        assertThat(written()).isEqualTo("$" + nodes.length() + "\r\n" + nodes + "\r\n");
        send("get a\r\n");
        assertThat(written()).isEqualTo("-MOVED 15495 127.0.0.1:7000\r\n");
        send("UMCTL GETEPOCH\r\nUMCTL SETCLUSTER v2 1 NOFLAGS mydb 127.0.0.1:6379 1 0-16383\r\n");
        assertThat(written()).isEqualTo(":1\r\n-OLD_EPOCH\r\n");
        send("UMCTL SETCLUSTER v2 1 NOFLAGS mydb 10.0.0.1:6379 1 0-16383\r\n");
        assertThat(written()).isEqualTo("-ERR_NOT_MY_META\r\n");
    }

    @Test
    void protocolError_isAnsweredAfterEarlierReplies_thenTheConnectionCloses() {
        send("*1\r\n$4\r\nPING\r\n*1\r\n$foo\r\n*1\r\n$4\r\nPING\r\n");
        assertThat(written()).isEqualTo("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void quit_repliesThenCloses() {
        send("QUIT\r\n");
        assertThat(written()).isEqualTo("+OK\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void unsafeCommands_areRefusedClearly_andUnknownOnesGetRedisText() {
        send("MONITOR\r\nMOVE k 1\r\nNOSUCH x\r\nGET\r\nMULTI\r\nNOSUCH\r\nEXEC\r\n");
        assertThat(written()).isEqualTo("-ERR 'monitor' is not supported by this Moonshard version\r\n"
                + "-ERR MOVE is not allowed in cluster mode\r\n"
                + "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"
                + "-ERR wrong number of arguments for 'get' command\r\n"
                + "+OK\r\n"
                + "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
                + "-EXECABORT Transaction discarded because of previous errors.\r\n");
    }

    @Test
    void infoProxyCommandstats_countsEachCommandByOutcome() {
        send("ECHO a\r\nECHO b\r\nGET k\r\n");
        written();
        send("INFO proxy-commandstats proxy-latencystats\r\n");
        String info = written();
        assertThat(info).contains("# Proxy-commandstats\r\n")
                .contains("cmdstat_echo:calls=2,failed_calls=0,ok=2,error=0,")
                // no metadata yet: GET is answered CLUSTERDOWN
                .contains("cmdstat_get:calls=1,failed_calls=1,ok=0,error=0,moved=0,ask=0,crossslot=0,clusterdown=1,")
                .contains("# Proxy-latencystats\r\n");
    }

    @Test
    void clientReply_offAndSkipDropReplies_likeRedis() {
        send("CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING a\r\nCLIENT REPLY SKIP\r\nPING b\r\nPING c\r\n");
        assertThat(written()).isEqualTo("+OK\r\n$1\r\na\r\n$1\r\nc\r\n");
        send("CLIENT REPLY MAYBE\r\nCLIENT TRACKINGINFO\r\n");
        assertThat(written()).isEqualTo("-ERR syntax error\r\n"
                + "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n");
    }

    @Test
    void clientKill_byIdClosesTheConnection_andCountsWhatItKilled() {
        send("CLIENT KILL ID 999\r\nCLIENT KILL ID 0\r\nCLIENT KILL 10.9.9.9:1\r\nCLIENT KILL ID 1\r\n");
        // SKIPME defaults to yes: this client is not killed by its own ID filter
        assertThat(written()).isEqualTo(":0\r\n-ERR client-id should be greater than 0\r\n-ERR No such client\r\n:0\r\n");
        send("CLIENT KILL TYPE wrong_type\r\nCLIENT KILL USER wrong_user\r\n");
        assertThat(written()).isEqualTo("-ERR Unknown client type 'wrong_type'\r\n-ERR No such user 'wrong_user'\r\n");
        send("CLIENT KILL ID 1 SKIPME no\r\n");
        assertThat(written()).isEqualTo(":1\r\n");
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void hello_answersResp2AndResp3_andRefusesOtherVersions() {
        send("HELLO 4\r\n");
        assertThat(written()).isEqualTo("-NOPROTO unsupported protocol version\r\n");
        send("HELLO 3\r\n");
        assertThat(written()).startsWith("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                + "$5\r\nproto\r\n:3\r\n");
        send("HELLO 2 SETNAME app\r\nCLIENT GETNAME\r\n");
        String out = written();
        assertThat(out).startsWith("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                + "$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$7\r\ncluster\r\n");
        assertThat(out).endsWith("$3\r\napp\r\n");
    }

    @Test
    void setReplIsStoredWithItsOwnEpochAndShownByInfoRepl() {
        send("UMCTL SETREPL 3 NOFLAGS master mydb 127.0.0.1:6379 1 127.0.0.2:6380 127.0.0.2:5299\r\n");
        assertThat(written()).isEqualTo("+OK\r\n");
        send("UMCTL SETREPL 3 NOFLAGS master mydb 127.0.0.1:6379 0\r\n"
                + "UMCTL SETREPL 4 NOFLAGS master mydb 10.1.1.1:6379 0\r\n"
                + "UMCTL SETREPL 4 NOFLAGS primary mydb 127.0.0.1:6379 0\r\n"
                + "UMCTL INFOREPL\r\n");
        // undermoon's lines, then Moonshard's state and offset: no Redis answers at 127.0.0.1:6379 here
        assertThat(written()).matches(java.util.regex.Pattern.quote("-OLD_EPOCH\r\n-ERR_NOT_MY_META\r\n-Invalid arguments\r\n"
                + "*1\r\n*6\r\n$13\r\ncluster:mydb\n\r\n$12\r\nrole:master\n\r\n"
                + "$28\r\nnode_address:127.0.0.1:6379\n\r\n$38\r\nreplica:127.0.0.2:6380@127.0.0.2:5299\n\r\n")
                + "(\\$14\r\nstate:unknown\n|\\$11\r\nstate:down\n)\r\n\\$10\r\noffset:-1\n\r\n");
    }

    @Test
    void umctlInfoShowsTheMetadata_andInfoMgrHasNoCommittedTasks() {
        send("UMCTL SETCLUSTER v2 3 NOFLAGS mydb 127.0.0.1:6379 1 0-8000 PEER 127.0.0.1:7000 1 8001-16383\r\n");
        assertThat(written()).isEqualTo("+OK\r\n");
        send("UMCTL INFOMGR\r\nUMCTL INFO\r\n");
        String out = written();
        assertThat(out).startsWith("*0\r\n");
        io.moonshard.resp.RespValue info = io.moonshard.resp.RespParser.parse(out.substring(4));
        String text = io.moonshard.resp.RespFormatter.format(info);
        assertThat(text).contains("\"Cluster\"", "\"epoch: 3\"", "\"127.0.0.1:6379\"", "\"1 0-8000\"",
                "\"peers:\"", "\"127.0.0.1:7000\"", "\"1 8001-16383\"", "\"Replication\"", "\"Migration\"");
    }

    @Test
    void umctlShutdown_requestsShutdownAfterReplying() {
        send("UMCTL SHUTDOWN\r\n");
        assertThat(written()).isEqualTo("+OK\r\n");
        assertThat(shutdownRequests.get()).isEqualTo(1);
    }
}
