package io.moonshard.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandTable;
import io.moonshard.resp.RespCommand;
import org.junit.jupiter.api.Test;

class BlockingCommandsTest {

    private static boolean mayBlock(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return BlockingCommands.mayBlock(CommandTable.standard().lookup(cmd), cmd);
        } finally {
            cmd.release();
        }
    }

    @Test
    void listAndZsetBlockingCommandsAndWaitBlock() {
        assertThat(mayBlock("BLPOP", "l", "0")).isTrue();
        assertThat(mayBlock("bzmpop", "1", "1", "z", "MIN")).isTrue();
        assertThat(mayBlock("WAIT", "1", "100")).isTrue();
        assertThat(mayBlock("LPOP", "l")).isFalse();
    }

    @Test
    void streamReadsBlockOnlyWithTheBlockOption() {
        assertThat(mayBlock("XREAD", "COUNT", "1", "STREAMS", "s", "0")).isFalse();
        assertThat(mayBlock("xread", "BLOCK", "0", "STREAMS", "s", "$")).isTrue();
        assertThat(mayBlock("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", ">")).isTrue();
        // a stream named BLOCK after STREAMS is a key, not the option
        assertThat(mayBlock("xread", "STREAMS", "BLOCK", "0")).isFalse();
    }
}
