package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.resp.RespCommand;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class CommandTableTest {

    private final CommandTable table = CommandTable.standard();

    private <T> T with(Function<RespCommand, T> f, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return f.apply(cmd);
        } finally {
            cmd.release();
        }
    }

    private CommandSpec lookup(String... args) {
        return with(table::lookup, args);
    }

    private CommandSpec lookupBytes(byte[]... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return table.lookup(cmd);
        } finally {
            cmd.release();
        }
    }

    @Test
    void loadsTheGeneratedRedis70Table() {
        assertThat(table.redisVersion()).isEqualTo("7.0.15");
        assertThat(table.commands()).hasSize(240); // COMMAND COUNT of redis-server 7.0.15
        assertThat(table.allCommands()).hasSize(366);
        assertThat(table.commands()).extracting(CommandSpec::name).isSorted();
    }

    @Test
    void looksUpCommandNamesIgnoringAsciiCase() {
        CommandSpec get = table.lookup("get");
        assertThat(get).isNotNull();
        assertThat(lookup("GET", "k")).isSameAs(get);
        assertThat(lookup("gEt", "k")).isSameAs(get);
        assertThat(lookup("get", "k")).isSameAs(get);
        assertThat(lookup("GeoRadiusByMember_RO", "k", "m", "1", "km")).isSameAs(table.lookup("georadiusbymember_ro"));
        assertThat(lookup("EVAL_RO", "s", "0")).isSameAs(table.lookup("eval_ro"));
    }

    @Test
    void returnsNullForUnknownNames() {
        assertThat(lookup("nosuchcommand")).isNull();
        assertThat(lookup("")).isNull();
        assertThat(lookup("ge")).isNull();
        assertThat(lookup("gett")).isNull();
        assertThat(lookup("config|get", "x")).isNull(); // Redis does not split argument 0 on '|'
        assertThat(lookupBytes(new byte[] {'g', 'e', 't', 0}, "k".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(lookupBytes("g\u00e9t".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(table.lookup("nosuch|get")).isNull();
        assertThat(table.lookup("config|nosuch")).isNull();
    }

    @Test
    void resolvesSubcommandsFromArgumentOne() {
        CommandSpec configGet = lookup("CONFIG", "get", "maxmemory");
        assertThat(configGet.name()).isEqualTo("config|get");
        assertThat(configGet.containerName()).isEqualTo("config");
        assertThat(configGet.subcommandName()).isEqualTo("get");
        assertThat(configGet).isSameAs(table.lookup("CONFIG|GET"));
        assertThat(lookup("object", "ENCODING", "k").name()).isEqualTo("object|encoding");
        assertThat(lookup("memory", "usage", "k").name()).isEqualTo("memory|usage");
        assertThat(lookup("xinfo", "stream", "k").name()).isEqualTo("xinfo|stream");
        assertThat(lookup("cluster", "keyslot", "k").name()).isEqualTo("cluster|keyslot");
    }

    @Test
    void returnsTheContainerWhenTheSubcommandIsUnknownOrMissing() {
        CommandSpec config = table.lookup("config");
        assertThat(config.isContainer()).isTrue();
        assertThat(lookup("config")).isSameAs(config);
        assertThat(lookup("config", "nosuch")).isSameAs(config);
        assertThat(lookup("config", "")).isSameAs(config);
        assertThat(config.arityOk(1)).isFalse();
    }

    @Test
    void hasTheUsualContainers() {
        for (String container : List.of("config", "client", "object", "memory", "xinfo", "xgroup", "script",
                "function", "command", "cluster", "acl", "module", "slowlog", "latency", "pubsub")) {
            assertThat(table.lookup(container).isContainer()).as(container).isTrue();
            assertThat(table.lookup(container).subcommands()).as(container).isNotEmpty()
                    .allSatisfy(sub -> assertThat(sub.containerName()).isEqualTo(container));
        }
        assertThat(table.lookup("debug").isContainer()).isFalse();
        assertThat(table.lookup("get").subcommands()).isEmpty();
        assertThat(table.lookup("get").subcommand("x")).isNull();
    }

    @Test
    void checksArityLikeRedis() {
        CommandSpec get = table.lookup("get");
        assertThat(get.arity()).isEqualTo(2);
        assertThat(get.arityOk(2)).isTrue();
        assertThat(get.arityOk(1)).isFalse();
        assertThat(get.arityOk(3)).isFalse();
        CommandSpec mset = table.lookup("mset");
        assertThat(mset.arity()).isEqualTo(-3);
        assertThat(mset.arityOk(2)).isFalse();
        assertThat(mset.arityOk(3)).isTrue();
        assertThat(mset.arityOk(4)).isTrue(); // arity does not check pairs; MSET itself does
        assertThat(table.lookup("config|get").arityOk(2)).isFalse();
        assertThat(table.lookup("config|get").arityOk(3)).isTrue();
        assertThat(table.lookup("ping").arityOk(1)).isTrue();
    }

    @Test
    void carriesFlags() {
        assertThat(table.lookup("get").flags()).containsExactlyInAnyOrder(CommandFlag.READONLY, CommandFlag.FAST);
        assertThat(table.lookup("set").isWrite()).isTrue();
        assertThat(table.lookup("set").has(CommandFlag.DENYOOM)).isTrue();
        assertThat(table.lookup("get").isReadOnly()).isTrue();
        assertThat(table.lookup("blpop").isBlocking()).isTrue();
        assertThat(table.lookup("subscribe").isPubSub()).isTrue();
        assertThat(table.lookup("config|set").isAdmin()).isTrue();
        assertThat(table.lookup("xread").hasMovableKeys()).isTrue();
        assertThat(table.lookup("auth").has(CommandFlag.NO_AUTH)).isTrue();
        assertThat(table.lookup("eval").has(CommandFlag.NO_MANDATORY_KEYS)).isTrue();
        assertThat(table.lookup("eval").has(CommandFlag.MAY_REPLICATE)).isTrue();
        assertThat(table.lookup("debug").has(CommandFlag.PROTECTED)).isTrue();
        assertThat(table.lookup("module|load").has(CommandFlag.PROTECTED)).isTrue();
        assertThat(table.lookup("save").has(CommandFlag.NO_MULTI)).isTrue();
        assertThat(table.lookup("monitor").has(CommandFlag.NOSCRIPT)).isTrue();
        assertThat(table.lookup("get").aclCategories()).containsExactlyInAnyOrder("read", "string", "fast");
        assertThat(table.lookup("get").group()).isEqualTo("string");
        assertThat(table.lookup("cluster|nodes").group()).isEqualTo("cluster");
    }

    @Test
    void carriesTipsAndLegacyRange() {
        assertThat(table.lookup("dbsize").requestPolicy()).isEqualTo("all_shards");
        assertThat(table.lookup("dbsize").responsePolicy()).isEqualTo("agg_sum");
        assertThat(table.lookup("keys").tips()).contains("nondeterministic_output_order");
        assertThat(table.lookup("get").requestPolicy()).isNull();
        CommandSpec mset = table.lookup("mset");
        assertThat(new int[] {mset.legacyFirstKey(), mset.legacyLastKey(), mset.legacyKeyStep()}).containsExactly(1, -1, 2);
    }

    @Test
    void carriesKeySpecs() {
        List<KeySpec> xread = table.lookup("xread").keySpecs();
        assertThat(xread).hasSize(1);
        assertThat(xread.get(0).flags()).containsExactlyInAnyOrder(KeyFlag.RO, KeyFlag.ACCESS);
        assertThat(xread.get(0).beginSearch()).isEqualTo(new KeySpec.Keyword("STREAMS", 1));
        assertThat(xread.get(0).findKeys()).isEqualTo(new KeySpec.Range(-1, 1, 2));
        assertThat(table.lookup("eval").keySpecs().get(0).findKeys()).isEqualTo(new KeySpec.KeyNum(0, 1, 1));
        assertThat(table.lookup("migrate").keySpecs().get(1).has(KeyFlag.INCOMPLETE)).isTrue();
        assertThat(table.lookup("set").keySpecs().get(0).has(KeyFlag.VARIABLE_FLAGS)).isTrue();
        assertThat(table.lookup("sort").keySpecs().get(2).beginSearch()).isInstanceOf(KeySpec.Unknown.class);
        assertThat(table.lookup("spublish").keySpecs().get(0).has(KeyFlag.NOT_KEY)).isTrue();
        assertThat(table.lookup("spublish").hasKeys()).isFalse();
        assertThat(table.lookup("lpush").keySpecs().get(0).has(KeyFlag.INSERT)).isTrue();
        assertThat(table.lookup("getdel").keySpecs().get(0).has(KeyFlag.DELETE)).isTrue();
        assertThat(table.lookup("ping").keySpecs()).isEmpty();
        assertThat(table.lookup("ping").hasKeys()).isFalse();
    }

    @Test
    void marksTheSixFanOutCommands() {
        assertThat(table.lookup("mget").fanOut()).isEqualTo(FanOut.CONCAT_ARRAYS);
        assertThat(table.lookup("mset").fanOut()).isEqualTo(FanOut.ALL_OK);
        assertThat(table.lookup("mset").fanOut().keyStep()).isEqualTo(2);
        for (String name : List.of("del", "unlink", "exists", "touch")) {
            assertThat(table.lookup(name).fanOut()).as(name).isEqualTo(FanOut.SUM_INTEGERS);
            assertThat(table.lookup(name).fanOut().keyStep()).isEqualTo(1);
        }
        assertThat(table.allCommands()).filteredOn(c -> c.fanOut().splittable()).hasSize(6);
        assertThat(table.lookup("msetnx").fanOut()).isEqualTo(FanOut.NONE);
        assertThat(table.lookup("msetnx").requestPolicy()).isEqualTo("multi_shard");
    }

    @Test
    void parsesTheTextFormat() {
        CommandTable t = CommandTable.parse("""
                # comment
                @redis_version=9.9.9
                box arity=-2 flags=- acl=slow legacy=0,0,0 group=server tips=-
                box|open arity=3 flags=write,fast acl=write legacy=2,2,1 group=generic tips=request_policy:all_shards key=RW,access/index:2/range:0:1:0
                zed arity=-3 flags=readonly acl=read legacy=0,0,0 group=generic tips=- key=RO/keyword:FROM:-1/range:-1:2:0
                """);
        assertThat(t.redisVersion()).isEqualTo("9.9.9");
        assertThat(t.commands()).extracting(CommandSpec::name).containsExactly("box", "zed");
        CommandSpec open = t.lookup("BOX|Open");
        assertThat(open.arity()).isEqualTo(3);
        assertThat(open.flags()).containsExactlyInAnyOrder(CommandFlag.WRITE, CommandFlag.FAST);
        assertThat(open.requestPolicy()).isEqualTo("all_shards");
        assertThat(t.lookup("zed").keySpecs().get(0).beginSearch()).isEqualTo(new KeySpec.Keyword("FROM", -1));
    }

    @Test
    void rejectsMalformedTables() {
        assertThatThrownBy(() -> CommandTable.parse("a|b arity=2 flags=- acl=- legacy=0,0,0 group=g tips=-"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before its container");
        assertThatThrownBy(() -> CommandTable.parse("a arity=2 flags=bogus acl=- legacy=0,0,0 group=g tips=-"))
                .hasMessageContaining("unknown command flag bogus");
        assertThatThrownBy(() -> CommandTable.parse("a arity=2 flags=- acl=- legacy=0,0,0 group=g tips=- key=RO/index:1"))
                .hasMessageContaining("FLAGS/BEGIN/FIND");
        assertThatThrownBy(() -> CommandTable.parse("a arity=2 flags=- acl=- legacy=0,0,0 group=g tips=- key=RO/index:1/range:0:1"))
                .hasMessageContaining("expected 3 numbers");
        assertThatThrownBy(() -> CommandTable.parse("a flags=- acl=- legacy=0,0,0 group=g tips=-"))
                .hasMessageContaining("arity");
        assertThatThrownBy(() -> CommandTable.parse("A arity=2"))
                .hasMessageContaining("lower case");
        assertThatThrownBy(() -> CommandTable.parse("a arity=2\na arity=2"))
                .hasMessageContaining("duplicate");
    }
}
