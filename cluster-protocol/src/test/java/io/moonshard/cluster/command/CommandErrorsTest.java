package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Golden error texts of server.c (commandCheckExistence, commandCheckArity); CommandErrorsIT checks them live. */
class CommandErrorsTest {

    private final CommandTable table = CommandTable.standard();

    private String rejection(byte[]... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            byte[] error = CommandErrors.rejection(table.lookup(cmd), cmd);
            return error == null ? null : new String(error, StandardCharsets.ISO_8859_1);
        } finally {
            cmd.release();
        }
    }

    private String rejection(String... args) {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        return rejection(bytes);
    }

    @Test
    void quotesEveryArgumentOfAnUnknownCommandWithATrailingSpace() {
        assertThat(rejection("foo")).isEqualTo("ERR unknown command 'foo', with args beginning with: ");
        assertThat(rejection("Foo", "a", "")).isEqualTo("ERR unknown command 'Foo', with args beginning with: 'a' '' ");
    }

    @Test
    void cutsArgumentsOfAnUnknownCommandAt128Bytes() {
        String a200 = "a".repeat(200);
        assertThat(rejection("foo", a200, "b"))
                .isEqualTo("ERR unknown command 'foo', with args beginning with: '" + "a".repeat(128) + "' ");
        // 'x...' plus quote and space: 122 + 3 = 125 < 128, so one more argument is cut to 3 bytes
        assertThat(rejection("foo", "x".repeat(122), "yyyyyy", "z"))
                .isEqualTo("ERR unknown command 'foo', with args beginning with: '" + "x".repeat(122) + "' 'yyy' ");
        // 125 + 3 = 128: nothing more
        assertThat(rejection("foo", "x".repeat(125), "yyyyyy"))
                .isEqualTo("ERR unknown command 'foo', with args beginning with: '" + "x".repeat(125) + "' ");
        assertThat(rejection("n".repeat(300)))
                .isEqualTo("ERR unknown command '" + "n".repeat(128) + "', with args beginning with: ");
    }

    @Test
    void stopsAtNulAndBlanksNewlines() {
        assertThat(rejection(new byte[] {'f', 0, 'o'}, new byte[] {'a', 0, 'b'}, new byte[] {'c'}))
                .isEqualTo("ERR unknown command 'f', with args beginning with: 'a' 'c' ");
        assertThat(rejection("f\r\no", "a\nb"))
                .isEqualTo("ERR unknown command 'f  o', with args beginning with: 'a b' ");
        assertThat(rejection(new byte[] {'f', (byte) 0xC3, (byte) 0xA9}))
                .isEqualTo("ERR unknown command 'f\u00c3\u00a9', with args beginning with: ");
    }

    @Test
    void namesTheUpperCasedContainerForAnUnknownSubcommand() {
        assertThat(rejection("config", "nosuch")).isEqualTo("ERR unknown subcommand 'nosuch'. Try CONFIG HELP.");
        assertThat(rejection("oBjEcT", "x", "k")).isEqualTo("ERR unknown subcommand 'x'. Try OBJECT HELP.");
        assertThat(rejection("client", "s".repeat(130)))
                .isEqualTo("ERR unknown subcommand '" + "s".repeat(128) + "'. Try CLIENT HELP.");
        assertThat(rejection("xinfo", "a\r\nb")).isEqualTo("ERR unknown subcommand 'a  b'. Try XINFO HELP.");
    }

    @Test
    void namesSubcommandsWithTheirContainerInArityErrors() {
        assertThat(rejection("get")).isEqualTo("ERR wrong number of arguments for 'get' command");
        assertThat(rejection("GET", "a", "b")).isEqualTo("ERR wrong number of arguments for 'get' command");
        assertThat(rejection("config")).isEqualTo("ERR wrong number of arguments for 'config' command");
        assertThat(rejection("CONFIG", "GET")).isEqualTo("ERR wrong number of arguments for 'config|get' command");
        assertThat(rejection("memory", "usage")).isEqualTo("ERR wrong number of arguments for 'memory|usage' command");
        assertThat(rejection("exec", "x"))
                .isEqualTo("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
    }

    @Test
    void acceptsWellFormedCommands() {
        assertThat(rejection("get", "k")).isNull();
        assertThat(rejection("config", "get", "maxmemory")).isNull();
        assertThat(rejection("ping")).isNull();
        assertThat(rejection("mset", "a", "1", "b")).isNull(); // pairs are MSET's own check
    }
}
