package io.moonshard.proxy.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandTable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code outcome} and {@code command} tags of {@code moonshard_commands_total}. */
class CommandOutcomeTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "+OK\\r\\n | ok",
            "$-1\\r\\n | ok",
            ":1\\r\\n | ok",
            "*2\\r\\n+OK\\r\\n-ERR inside EXEC\\r\\n | ok",
            "$3\\r\\n-no\\r\\n | ok",
            "-ERR wrong number of arguments for 'get' command\\r\\n | error",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\\r\\n | error",
            "-NOAUTH Authentication required.\\r\\n | error",
            "-TRYAGAIN Multiple keys request during rehashing of slot\\r\\n | error",
            "!21\\r\\nSYNTAX invalid syntax\\r\\n | error",
            "-MOVED 15495 127.0.0.1:7000\\r\\n | moved",
            "-ASK 3300 127.0.0.1:7001\\r\\n | ask",
            "-CROSSSLOT Keys in request don't hash to the same slot\\r\\n | crossslot",
            "-CLUSTERDOWN Hash slot not served\\r\\n | clusterdown",
            "-CLUSTERDOWN The cluster is down\\r\\n | clusterdown",
            "-ERR backend 127.0.0.1:6379 timed out after 500 ms\\r\\n | timeout",
            // collateral of a timeout, and other backend failures: errors
            "-ERR backend 127.0.0.1:6379 connection reset after a timeout; the command may or may not have run\\r\\n | error",
            "-ERR backend 127.0.0.1:6379 unreachable: Connection refused\\r\\n | error",
            "-ERR backend 127.0.0.1:6379 connection lost; the command may or may not have run\\r\\n | error",
            // only the first line counts, and prefixes must match whole
            "-ERR something\\r\\n timed out\\r\\n | error",
            "-MOVEDX 1 a\\r\\n | error",
            "-ASKING\\r\\n | error",
            "-MOV | error",
    })
    void outcomeFromTheReply(String reply, String outcome) {
        ByteBuf buf = Unpooled.copiedBuffer(reply.replace("\\r\\n", "\r\n"), StandardCharsets.UTF_8);
        try {
            assertThat(CommandOutcome.outcomeName(CommandOutcome.of(buf))).isEqualTo(outcome);
            assertThat(buf.readerIndex()).as("nothing consumed").isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void anEmptyReply_isOk() {
        // a pub/sub request on a client's push connection: its real reply comes as a pushed frame
        assertThat(CommandOutcome.of(Unpooled.EMPTY_BUFFER)).isEqualTo(CommandOutcome.OK);
    }

    @Test
    void theReplyIsReadFromItsReaderIndex() {
        ByteBuf buf = Unpooled.copiedBuffer("+OK\r\n-MOVED 1 a:1\r\n", StandardCharsets.US_ASCII);
        try {
            buf.skipBytes(5);
            assertThat(CommandOutcome.of(buf)).isEqualTo(CommandOutcome.MOVED);
        } finally {
            buf.release();
        }
    }

    @Test
    void commandNames_areTopLevelTableNames_plusUmctlAndUnknown() {
        CommandTable table = CommandTable.standard();
        assertThat(CommandOutcome.commandCount()).isEqualTo(table.commands().size() + 2);
        assertThat(CommandOutcome.commandName(CommandOutcome.indexOf(table.lookup("get")))).isEqualTo("get");
        // a subcommand counts under its container
        assertThat(CommandOutcome.commandName(CommandOutcome.indexOf(table.lookup("config|get")))).isEqualTo("config");
        assertThat(CommandOutcome.commandName(CommandOutcome.indexOf(table.lookup("client|setname")))).isEqualTo("client");
        assertThat(CommandOutcome.commandName(CommandOutcome.indexOf(null))).isEqualTo("unknown");
        assertThat(CommandOutcome.commandName(CommandOutcome.UMCTL)).isEqualTo("umctl");
        for (int i = 0; i < CommandOutcome.commandCount(); i++) {
            assertThat(CommandOutcome.commandName(i)).matches("[a-z0-9_-]+");
        }
        assertThat(table.commands()).allSatisfy(spec ->
                assertThat(CommandOutcome.commandName(CommandOutcome.indexOf(spec))).isEqualTo(spec.name()));
    }
}
