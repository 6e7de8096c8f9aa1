package io.moonshard.proxy.internal.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtectedConfigTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void protectedNames_ignoreCase_andCoverTheirFamilies() {
        for (String name : new String[] {"requirepass", "RequirePass", "masterauth", "dir", "tls-port",
                "tls-anything-newer", "replica-read-only", "slave-priority", "cluster-config-file", "replicaof"}) {
            assertThat(ProtectedConfig.isProtected(name)).as(name).isTrue();
        }
        for (String name : new String[] {"maxmemory", "maxmemory-policy", "repl-backlog-size", "save",
                "moonshard-password", "directory"}) {
            assertThat(ProtectedConfig.isProtected(name)).as(name).isFalse();
        }
    }

    @Test
    void setRefusal_namesTheFirstProtectedArgument_asGiven() {
        assertThat(refusal("CONFIG", "SET", "maxmemory", "1", "Dir", "/x", "requirepass", "y"))
                .isEqualTo("ERR CONFIG SET failed (possibly related to argument 'Dir') - can't set protected config");
        assertThat(refusal("CONFIG", "SET", "requirepass", "y")).endsWith("; the proxy's own setting is 'moonshard-password'");
        assertThat(refusal("CONFIG", "SET", "maxmemory", "1")).isNull();
        assertThat(refusal("CONFIG", "SET", "requirepass", "y", "maxmemory")).as("odd: Redis's syntax error").isNull();
    }

    @Test
    void insideMulti_globsThatCouldMatchAProtectedName_areRefused() {
        assertThat(transactionRefusal("CONFIG", "GET", "maxmemory*")).isNull();
        assertThat(transactionRefusal("CONFIG", "GET", "*")).isNotNull();
        assertThat(transactionRefusal("CONFIG", "GET", "*pass*")).isNotNull();
        assertThat(transactionRefusal("CONFIG", "GET", "tls-p?rt")).isNotNull();
        assertThat(transactionRefusal("CONFIG", "GET", "maxmemory", "d[i]r")).isNotNull();
        assertThat(transactionRefusal("CONFIG", "SET", "dir", "/x")).startsWith("ERR CONFIG SET failed");
        assertThat(transactionRefusal("CONFIG", "RESETSTAT")).isNull();
    }

    @Test
    void filter_dropsProtectedPairs_inEitherProtocol_andKeepsTheRestByteForByte() {
        String kept = "$9\r\nmaxmemory\r\n$1\r\n0\r\n";
        String hidden = "$11\r\nrequirepass\r\n$6\r\nsecret\r\n";
        assertThat(filter("*4\r\n" + hidden + kept)).isEqualTo("*2\r\n" + kept);
        assertThat(filter("%2\r\n" + kept + hidden)).isEqualTo("%1\r\n" + kept);
        assertThat(filter("*2\r\n" + hidden)).isEqualTo("*0\r\n");
        assertThat(filter("*2\r\n" + kept)).isEqualTo("*2\r\n" + kept);
        assertThat(filter("*0\r\n")).isEqualTo("*0\r\n");
        assertThat(filter("-ERR nope\r\n")).isEqualTo("-ERR nope\r\n");
    }

    @Test
    void filter_failsClosed_onAReplyItCannotRead() {
        String error = "-ERR unexpected CONFIG GET reply from the backend\r\n";
        assertThat(filter("*4\r\n$11\r\nrequirepass\r\n$6\r\nsecret\r\n")).as("fewer elements than counted").isEqualTo(error);
        assertThat(filter("*2\r\n$11\r\nrequirepass\r\n:1\r\n")).as("a value that is not a bulk string").isEqualTo(error);
        assertThat(filter("*1\r\n$3\r\ndir\r\n")).as("an odd element count").isEqualTo(error);
        assertThat(filter("+OK\r\n")).isEqualTo(error);
    }

    @Test
    void nodeParameters_setToTheValueShown_areNoOps_anyOtherValueIsRefused() {
        assertThat(ProtectedConfig.nodeView(List.of("*"), "127.0.0.1:5299")).containsExactly(
                Map.entry("bind", "127.0.0.1"), Map.entry("port", "5299"),
                Map.entry("replicaof", ""), Map.entry("slaveof", ""));
        assertThat(refusal("CONFIG", "SET", "port", "5299", "bind", "127.0.0.1", "REPLICAOF", "")).isNull();
        assertThat(refusal("CONFIG", "SET", "port", "5300"))
                .isEqualTo("ERR CONFIG SET failed (possibly related to argument 'port') - can't set protected config");
        assertThat(refusal("CONFIG", "SET", "maxmemory", "1mb", "bind", "0.0.0.0"))
                .isEqualTo("ERR CONFIG SET failed (possibly related to argument 'bind') - can't set protected config");
        assertThat(transactionRefusal("CONFIG", "SET", "port", "5299")).as("inside MULTI nothing can be left out")
                .startsWith("ERR CONFIG SET failed (possibly related to argument 'port')");
    }

    private static String refusal(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return ProtectedConfig.setRefusal(cmd, "127.0.0.1:5299");
        } finally {
            cmd.release();
        }
    }

    private static String transactionRefusal(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return ProtectedConfig.transactionRefusal(cmd);
        } finally {
            cmd.release();
        }
    }

    private static String filter(String reply) {
        ByteBuf out = ProtectedConfig.filter(ALLOC, Unpooled.copiedBuffer(reply, StandardCharsets.UTF_8));
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }
}
