package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import io.moonshard.testkit.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our pre-execution errors equal a real redis-server's, byte for byte. */
class CommandErrorsIT {

    private static RedisProcess redis;
    private static RespConnection connection;

    private final CommandTable table = CommandTable.standard();

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
        connection = new RespConnection("127.0.0.1", redis.port());
    }

    @AfterAll
    static void stopRedis() {
        if (connection != null) {
            connection.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Asserts our rejection equals Redis's error reply; returns it. */
    private String assertSameAsRedis(byte[]... args) {
        Object reply = connection.call(args);
        RespCommand cmd = RespCommand.of(args);
        try {
            byte[] ours = CommandErrors.rejection(table.lookup(cmd), cmd);
            assertThat(ours).as("we reject %s", cmd).isNotNull();
            assertThat(reply).as("redis rejects %s", cmd).isInstanceOf(RespConnection.Error.class);
            String theirs = ((RespConnection.Error) reply).message();
            assertThat(new String(ours, StandardCharsets.ISO_8859_1)).isEqualTo(theirs);
            return theirs;
        } finally {
            cmd.release();
        }
    }

    private String assertSameAsRedis(String... args) {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = b(args[i]);
        }
        return assertSameAsRedis(bytes);
    }

    @Test
    void unknownCommandsMatchRedis() {
        assertThat(assertSameAsRedis("nosuch")).startsWith("ERR unknown command 'nosuch'");
        assertSameAsRedis("NoSuch", "a");
        assertSameAsRedis("nosuch", "a", "", "c");
        assertSameAsRedis("nosuch", "a".repeat(200), "b");
        assertSameAsRedis("nosuch", "x".repeat(122), "yyyyyy", "z");
        assertSameAsRedis("nosuch", "x".repeat(125), "yyyyyy");
        assertSameAsRedis("nosuch", "x".repeat(126), "yyyyyy");
        assertSameAsRedis("nosuch", "x".repeat(127), "yyyyyy");
        assertSameAsRedis("n".repeat(300), "a");
        List<String> many = new ArrayList<>(List.of("nosuch"));
        for (int i = 0; i < 60; i++) {
            many.add("arg" + i);
        }
        assertSameAsRedis(many.toArray(String[]::new));
        assertSameAsRedis(new byte[] {'f', 0, 'o'}, new byte[] {'a', 0, 'b'}, new byte[] {0}, b("c"));
        assertSameAsRedis(b("f\r\no"), b("a\nb"), b("\r"));
        assertSameAsRedis(new byte[] {'f', (byte) 0xC3, (byte) 0xA9}, new byte[] {(byte) 0xff, (byte) 0x80, 1, 127});
        assertSameAsRedis(b("config|get"), b("maxmemory")); // '|' is not split in argument 0
    }

    @Test
    void unknownSubcommandsMatchRedis() {
        for (String container : List.of("config", "CLIENT", "object", "memory", "xinfo", "xgroup", "script",
                "function", "command", "cluster", "acl", "slowlog", "latency", "pubsub", "module")) {
            assertThat(assertSameAsRedis(container, "nosuch", "arg")).contains("Try " + container.toUpperCase() + " HELP.");
        }
        assertSameAsRedis("CoNfIg", "s".repeat(130));
        // "get\0" is not a subcommand. Redis usually says so too, but not always: its subcommand dict
        // hashes all bytes (with a per-process random seed) and compares with strcasecmp, which stops
        // at the NUL, so when "get\0" lands in the bucket of "get" it runs CONFIG GET. We reject it
        // always, with Redis's text (the name cut at the NUL, as %.128s prints it).
        RespCommand nul = RespCommand.of(b("config"), new byte[] {'g', 'e', 't', 0}, b("maxmemory"));
        try {
            assertThat(new String(CommandErrors.rejection(table.lookup(nul), nul), StandardCharsets.ISO_8859_1))
                    .isEqualTo("ERR unknown subcommand 'get'. Try CONFIG HELP.");
        } finally {
            nul.release();
        }
        assertSameAsRedis(b("config"), b("a\r\nb"));
        assertSameAsRedis(b("config"), new byte[0]);
    }

    @Test
    void wrongArityMatchesRedis() {
        assertSameAsRedis("get");
        assertSameAsRedis("GET", "a", "b");
        assertSameAsRedis("config");
        assertSameAsRedis("CONFIG", "GET");
        assertSameAsRedis("object", "encoding");
        assertSameAsRedis("memory", "usage");
        assertSameAsRedis("xinfo", "stream");
        assertSameAsRedis("mset", "a");
        assertSameAsRedis("eval", "s");
        assertSameAsRedis("client");
        assertThat(assertSameAsRedis("exec", "x")).startsWith("EXECABORT");
    }

    @Test
    void randomBinaryUnknownCommandsMatchRedis() {
        Random random = new Random(20240715);
        for (int n = 0; n < 300; n++) {
            int argc = 1 + random.nextInt(8);
            byte[][] args = new byte[argc][];
            for (int i = 0; i < argc; i++) {
                int len = random.nextInt(4) == 0 ? random.nextInt(200) : random.nextInt(12);
                args[i] = new byte[len];
                random.nextBytes(args[i]);
            }
            // a name no command has (and not the "host:"/"post" attack names, which close the connection)
            byte[] name = new byte[2 + args[0].length];
            name[0] = 'z';
            name[1] = 'z';
            System.arraycopy(args[0], 0, name, 2, args[0].length);
            args[0] = name;
            assertSameAsRedis(args);
        }
    }

    @Test
    void randomSubcommandsAndAritiesMatchRedis() {
        Random random = new Random(7);
        List<CommandSpec> all = table.allCommands();
        int checked = 0;
        for (int n = 0; n < 400; n++) {
            CommandSpec spec = all.get(random.nextInt(all.size()));
            if (spec.arity() < 0 && random.nextBoolean() || spec.containerName() == null && spec.isContainer()) {
                continue;
            }
            // a wrong argument count for this command or subcommand
            int fixed = spec.containerName() == null ? 1 : 2;
            int argc = spec.arity() > 0
                    ? (random.nextBoolean() ? spec.arity() + 1 : spec.arity() - 1)
                    : -spec.arity() - 1;
            if (argc < fixed || spec.arityOk(argc) || spec.has(CommandFlag.PROTECTED)) {
                continue;
            }
            List<String> args = new ArrayList<>();
            if (spec.containerName() != null) {
                args.add(spec.containerName().toUpperCase());
            }
            args.add(spec.subcommandName());
            while (args.size() < argc) {
                args.add("x" + args.size());
            }
            assertThat(assertSameAsRedis(args.toArray(String[]::new))).contains("wrong number of arguments");
            checked++;
        }
        assertThat(checked).isGreaterThan(50);
    }

    @Test
    void acceptsWhatRedisAccepts() {
        for (String[] ok : new String[][] {{"ping"}, {"GET", "k"}, {"config", "get", "maxmemory"},
                {"object", "help"}, {"command", "count"}}) {
            RespCommand cmd = RespCommand.of(ok);
            try {
                assertThat(CommandErrors.rejection(table.lookup(cmd), cmd)).isNull();
            } finally {
                cmd.release();
            }
            Object reply = connection.call(ok);
            assertThat(reply instanceof RespConnection.Error).as("redis rejects %s: %s", ok[0], reply).isFalse();
        }
    }
}
