package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import io.moonshard.testkit.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test: for a corpus covering every command and subcommand of the table (generated from
 * {@code COMMAND DOCS}, plus hand-written irregular and malformed requests), the keys we extract equal
 * what a real redis-server's {@code COMMAND GETKEYS} answers.
 */
class CommandKeysIT {

    /**
     * Commands with keys for which no corpus vector yields a key in Redis, and why. Every other
     * command with keys must have at least one vector where Redis reports keys.
     */
    private static final Map<String, String> NO_KEYED_SAMPLE = Map.of();

    /** Irregular and malformed requests, on top of the generated corpus. */
    private static final List<List<String>> EXTRA = List.of(
            List.of("EVAL", "body", "2", "a", "b", "arg"),
            List.of("eval", "body", "0"),
            List.of("eval", "body", "0", "x"),
            List.of("eval", "s", "3", "a", "b"),
            List.of("eval", "s", "-1", "a"),
            List.of("eval", "s", "abc", "a"),
            List.of("eval", "s", "", "a"),
            List.of("eval", "s", "01", "a"),
            List.of("eval", "s", "1abc", "a"),
            List.of("eval", "s", " 1", "a"),
            List.of("eval", "s", "+1", "a"),
            List.of("eval", "s", "4294967297", "a"),
            List.of("eval", "s", "99999999999999999999999", "a"),
            List.of("evalsha_ro", "sha", "1", "a", "b"),
            List.of("fcall", "f", "2", "a", "b"),
            List.of("fcall_ro", "f", "-2", "a", "b"),
            List.of("zunionstore", "d", "3", "a", "b"),
            List.of("zunionstore", "d", "0", "a"),
            List.of("zunionstore", "d", "x", "a"),
            List.of("zunionstore", "d", "02", "a", "b"),
            List.of("zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"),
            List.of("zinterstore", "d", "1", "a"),
            List.of("zdiffstore", "d", "2", "a", "b"),
            List.of("zinter", "-2", "a"),
            List.of("zintercard", "2", "a", "b", "LIMIT", "5"),
            List.of("sintercard", "5", "a"),
            List.of("sintercard", "1", "a", "LIMIT", "0"),
            List.of("lmpop", "2", "a", "LEFT"),
            List.of("lmpop", "3", "a", "LEFT"),
            List.of("zmpop", "1", "a", "MIN", "COUNT", "2"),
            List.of("blmpop", "0", "nan", "a", "LEFT"),
            List.of("blmpop", "0", "2", "a", "b", "RIGHT"),
            List.of("bzmpop", "0.5", "1", "a", "MAX"),
            List.of("XREAD", "STREAMS", "a", "0"),
            List.of("xread", "COUNT", "2", "BLOCK", "0", "streams", "a", "b", "0", "0"),
            List.of("xread", "STREAMS", "streams", "0"),
            List.of("xread", "STREAMS", "a", "b", "0"),
            List.of("xread", "COUNT", "1", "STREAMS"),
            List.of("xread", "COUNT", "1", "a", "b"),
            List.of("xread", "BLOCK", "STREAMS", "STREAMS", "a", "0"),
            List.of("xreadgroup", "GROUP", "g", "c", "STREAMS", "a", "b", ">", ">"),
            List.of("xreadgroup", "GROUP", "streams", "c", "NOACK", "STREAMS", "a", ">"),
            List.of("xreadgroup", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "a", "b", ">"),
            List.of("SORT", "k"),
            List.of("sort", "k", "BY", "w_*", "GET", "o_*", "LIMIT", "0", "10", "STORE", "dst"),
            List.of("sort", "k", "STORE", "a", "ALPHA", "STORE", "b"),
            List.of("sort", "k", "LIMIT", "store", "x", "DESC"),
            List.of("sort", "k", "GET", "store", "ALPHA"),
            List.of("sort", "k", "ALPHA", "STORE"),
            List.of("sort", "k", "STORE", "limit", "a", "b"),
            List.of("sort_ro", "k", "BY", "x", "GET", "#"),
            List.of("sort_ro", "k", "STORE", "x"),
            List.of("GEORADIUS", "k", "0", "0", "10", "m"),
            List.of("georadius", "k", "0", "0", "10", "m", "STORE", "d"),
            List.of("georadius", "k", "0", "0", "10", "m", "storedist", "d"),
            List.of("georadius", "k", "0", "0", "10", "m", "STORE", "a", "STOREDIST", "b"),
            List.of("georadius", "k", "0", "0", "10", "m", "WITHDIST", "STORE"),
            List.of("georadius", "k", "0", "0", "10", "m", "STORE", "a", "STORE"),
            List.of("georadius", "k", "0", "0", "10", "STORE", "x"),
            List.of("GEORADIUSBYMEMBER", "k", "m", "10", "km", "STORE", "d"),
            List.of("georadiusbymember", "k", "m", "10", "km", "STOREDIST", "a", "STORE", "b"),
            List.of("georadius_ro", "k", "0", "0", "10", "m", "STORE", "d"),
            List.of("MIGRATE", "h", "6379", "k", "0", "5000"),
            List.of("migrate", "h", "6379", "k", "0", "5000", "COPY", "REPLACE"),
            List.of("migrate", "h", "6379", "", "0", "5000", "KEYS", "a", "b"),
            List.of("migrate", "h", "6379", "", "0", "5000", "COPY", "REPLACE", "AUTH", "pw", "KEYS", "a", "b"),
            List.of("migrate", "h", "6379", "", "0", "5000", "AUTH2", "keys", "keys", "KEYS", "a"),
            List.of("migrate", "h", "6379", "", "0", "5000", "AUTH", "keys", "KEYS", "a"),
            List.of("migrate", "h", "6379", "k", "0", "5000", "KEYS", "a"),
            List.of("migrate", "h", "6379", "", "0", "5000", "KEYS"),
            List.of("OBJECT", "ENCODING", "k"),
            List.of("object", "freq", "k"),
            List.of("object", "help"),
            List.of("MEMORY", "USAGE", "k", "SAMPLES", "5"),
            List.of("memory", "usage", "k"),
            List.of("xinfo", "stream", "s", "FULL", "COUNT", "5"),
            List.of("xgroup", "create", "s", "g", "$", "MKSTREAM"),
            List.of("config", "nosuch", "x"),
            List.of("nosuchcommand", "x"),
            List.of("set", "k", "v", "GET"),
            List.of("bitfield", "k", "GET", "u8", "0", "SET", "u8", "0", "1"),
            List.of("bitfield_ro", "k", "GET", "u8", "0"),
            List.of("mset", "a", "1", "b"),
            List.of("msetnx", "a", "1", "b", "2"),
            List.of("mget", "a", "b", "c"),
            List.of("get", "a", "b"),
            List.of("spublish", "ch", "msg"),
            List.of("ssubscribe", "a", "b"),
            List.of("lcs", "a", "b", "LEN"),
            List.of("pfcount", "a", "b"),
            List.of("bitop", "AND", "d", "a", "b"),
            List.of("blpop", "a", "b", "0"));

    private static RedisProcess redis;
    private static RespConnection connection;

    private final CommandTable table = CommandTable.standard();
    private final KeyPositions keys = new KeyPositions();

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

    /** How one request compared. */
    private enum Outcome { KEYS, NO_KEYS, NO_KEY_ARGUMENTS, INVALID_ARITY, INVALID_ARGUMENTS, NO_MANDATORY_INVALID, UNKNOWN }

    @Test
    void extractsTheSameKeysAsCommandGetkeysForTheWholeCorpus() {
        Map<String, List<ArgumentCorpus.Arg>> docs = ArgumentCorpus.parseDocs(connection.call("COMMAND", "DOCS"));
        List<List<String>> corpus = new ArrayList<>();
        Set<String> undocumented = new TreeSet<>();
        for (CommandSpec spec : table.allCommands()) {
            List<ArgumentCorpus.Arg> args = docs.get(spec.name());
            if (args == null) {
                undocumented.add(spec.name());
                continue;
            }
            for (List<String> vector : ArgumentCorpus.vectors(spec.name(), args)) {
                if (vector.size() == 1) {
                    // COMMAND GETKEYS needs two words; it checks for key arguments before the arity
                    vector = List.of(vector.get(0), "extra");
                }
                corpus.add(vector);
            }
        }
        assertThat(undocumented).as("commands without COMMAND DOCS").isEmpty();
        corpus.addAll(EXTRA);

        // pipeline every COMMAND GETKEYS, then compare
        for (List<String> vector : corpus) {
            List<byte[]> request = new ArrayList<>(List.of(b("COMMAND"), b("GETKEYS")));
            vector.forEach(a -> request.add(b(a)));
            connection.send(request.toArray(byte[][]::new));
        }
        Map<String, Set<Outcome>> outcomes = new TreeMap<>();
        int compared = 0;
        for (List<String> vector : corpus) {
            Object reply = connection.read();
            RespCommand cmd = RespCommand.of(vector.toArray(String[]::new));
            try {
                CommandSpec spec = table.lookup(cmd);
                Outcome outcome = compare(vector, spec, cmd, reply);
                String name = spec == null ? "(unknown)" : spec.name();
                outcomes.computeIfAbsent(name, n -> new TreeSet<>()).add(outcome);
                compared++;
            } finally {
                cmd.release();
            }
        }

        Set<String> withKeys = new TreeSet<>();
        Set<String> keyedSample = new TreeSet<>();
        Set<String> covered = new TreeSet<>();
        for (CommandSpec spec : table.allCommands()) {
            if (spec.hasKeys()) {
                withKeys.add(spec.name());
            }
            Set<Outcome> seen = outcomes.getOrDefault(spec.name(), Set.of());
            if (!seen.isEmpty()) {
                covered.add(spec.name());
            }
            if (seen.contains(Outcome.KEYS)) {
                keyedSample.add(spec.name());
            }
        }
        Set<String> missingKeyed = new TreeSet<>(withKeys);
        missingKeyed.removeAll(keyedSample);
        missingKeyed.removeAll(NO_KEYED_SAMPLE.keySet());
        System.out.printf("CommandKeysIT: %d requests compared with COMMAND GETKEYS; %d of %d commands and subcommands"
                        + " covered; %d of %d commands with keys covered with a keyed sample; excluded: %s%n",
                compared, covered.size(), table.allCommands().size(), keyedSample.size(), withKeys.size(),
                NO_KEYED_SAMPLE.keySet());
        assertThat(covered).as("commands covered by the corpus").hasSize(table.allCommands().size());
        assertThat(missingKeyed).as("commands with keys never seen with a key").isEmpty();
    }

    /** Asserts our answer agrees with Redis's COMMAND GETKEYS reply. */
    private Outcome compare(List<String> vector, CommandSpec spec, RespCommand cmd, Object reply) {
        String what = String.join(" ", vector) + " -> " + describe(reply);
        if (reply instanceof RespConnection.Error error) {
            switch (error.message()) {
                case "ERR Invalid command specified" -> {
                    assertThat(spec == null || spec.isContainer() && cmd.argCount() > 1).as(what).isTrue();
                    return Outcome.UNKNOWN;
                }
                case "ERR The command has no key arguments" -> {
                    assertThat(spec.hasKeys()).as(what).isFalse();
                    int n = spec.findKeys(cmd, keys);
                    assertThat(n).as(what).isIn(0, KeyPositions.INVALID);
                    return Outcome.NO_KEY_ARGUMENTS;
                }
                case "ERR Invalid number of arguments specified for command" -> {
                    assertThat(spec.arityOk(cmd.argCount())).as(what).isFalse();
                    assertThat(spec.findKeys(cmd, keys)).as(what).isEqualTo(KeyPositions.INVALID);
                    return Outcome.INVALID_ARITY;
                }
                case "ERR Invalid arguments specified for command" -> {
                    assertThat(spec.findKeys(cmd, keys)).as(what).isEqualTo(KeyPositions.INVALID);
                    return Outcome.INVALID_ARGUMENTS;
                }
                default -> throw new AssertionError("unexpected reply: " + what);
            }
        }
        assertThat(reply).as(what).isInstanceOf(List.class);
        List<String> expected = new ArrayList<>();
        for (Object o : (List<?>) reply) {
            expected.add(RespConnection.text(o));
        }
        int n = spec.findKeys(cmd, keys);
        if (n == KeyPositions.INVALID) {
            // the only tolerated difference: bad numkeys of EVAL/FCALL, which Redis calls "no keys"
            assertThat(expected).as(what).isEmpty();
            assertThat(spec.has(CommandFlag.NO_MANDATORY_KEYS)).as(what).isTrue();
            return Outcome.NO_MANDATORY_INVALID;
        }
        List<String> ours = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ours.add(cmd.argString(keys.get(i)));
        }
        assertThat(ours).as(what).isEqualTo(expected);
        return n == 0 ? Outcome.NO_KEYS : Outcome.KEYS;
    }

    private static String describe(Object reply) {
        if (reply instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            list.forEach(o -> items.add(describe(o)));
            return items.toString();
        }
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
