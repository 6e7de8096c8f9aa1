package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The commands a script calls obey the ACL user of the client that runs it, as in Redis: a restricted
 * user's script runs at the backend as a mirror of that user. Each case is sent to a redis-server
 * where the same user runs the same script directly, and to the proxy; the replies must be the same.
 */
class ScriptAclIT {

    private static final String FUNCTION = "#!lua name=acltest\n"
            + "redis.register_function('aclcheck', function(KEYS, ARGV) return redis.acl_check_cmd(unpack(ARGV)) end)\n"
            + "redis.register_function('callset', function(KEYS, ARGV) return redis.call('set', ARGV[1], 1) end)\n"
            + "redis.register_function{function_name='aclcheckro', flags={'no-writes'},"
            + " callback=function(KEYS, ARGV) return redis.acl_check_cmd(unpack(ARGV)) end}";

    private static RedisProcess redis;
    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        cluster = LocalMoonshardCluster.start(1, 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (redis != null) {
            redis.close();
        }
    }


    private static RawRedisClient backend() {
        return new RawRedisClient(cluster.backends.get(0).get(0).port());
    }

    @Test
    void scriptsOfARestrictedUser_callOnlyWhatItsRulesAllow_asOnRedis() {
        try (ReplyPair admin = new ReplyPair(redis.port(), cluster.port(0));
             ReplyPair bob = new ReplyPair(redis.port(), cluster.port(0))) {
            admin.same("ACL", "SETUSER", "bob", "reset", "on", ">123", "+@scripting", "+set", "+multi", "+exec", "~x*");
            admin.same("FUNCTION", "LOAD", "REPLACE", FUNCTION);
            bob.same("AUTH", "bob", "123");

            // Redis's own "Script ACL check", for EVAL and for FCALL
            assertThat(bob.same("EVAL", "return redis.acl_check_cmd('set','xx',1)", "1", "xx")).isEqualTo(":1\r\n");
            assertThat(bob.same("EVAL", "return redis.acl_check_cmd('hset','xx','f',1)", "1", "xx"))
                    .isEqualTo("$-1\r\n");
            assertThat(bob.same("EVAL", "return redis.acl_check_cmd('set','yy',1)", "0")).isEqualTo("$-1\r\n");
            assertThat(bob.same("EVAL", "return redis.acl_check_cmd('invalid-cmd','arg')", "0"))
                    .contains("Invalid command passed to redis.acl_check_cmd()");
            assertThat(bob.same("FCALL", "aclcheck", "1", "xx", "set", "xx", "1")).isEqualTo(":1\r\n");
            assertThat(bob.same("FCALL", "aclcheck", "1", "xx", "hset", "xx", "f", "1")).isEqualTo("$-1\r\n");
            assertThat(bob.same("FCALL", "aclcheck", "0", "set", "yy", "1")).isEqualTo("$-1\r\n");
            assertThat(bob.same("FCALL_RO", "aclcheckro", "0", "set", "yy", "1")).isEqualTo("$-1\r\n");

            // a key outside ~x*, not declared: refused inside the script with Redis's text
            assertThat(bob.same("EVAL", "return redis.call('set','yy',1)", "0"))
                    .startsWith("-ERR The user executing the script can't access at least one of the keys");
            assertThat(bob.same("EVAL", "return redis.call('get','xx')", "1", "xx"))
                    .startsWith("-ERR The user executing the script can't run this command or subcommand");
            bob.same("FCALL", "callset", "0", "yy");
            bob.same("EVAL", "return redis.call('hset','xx','f',1)", "1", "xx");
            assertThat(bob.same("EVAL", "return redis.call('set','xx',1)", "1", "xx")).isEqualTo("+OK\r\n");
            // a transaction holding a script: the script still runs as the user
            bob.same("MULTI");
            bob.same("EVAL", "return redis.call('set','yy',1)", "0");
            bob.same("EVAL", "return redis.call('set','xx',2)", "1", "xx");
            bob.same("EXEC");

            // rules changed by ACL SETUSER take effect for the next script
            admin.same("ACL", "SETUSER", "bob", "+hset", "~yy");
            assertThat(bob.same("EVAL", "return redis.acl_check_cmd('hset','xx','f',1)", "1", "xx"))
                    .isEqualTo(":1\r\n");
            assertThat(bob.same("EVAL", "return redis.call('set','yy',1)", "0")).isEqualTo("+OK\r\n");
            admin.same("ACL", "SETUSER", "bob", "-set");
            assertThat(bob.same("FCALL", "aclcheck", "1", "xx", "set", "xx", "1")).isEqualTo("$-1\r\n");
            assertThat(bob.same("FCALL", "callset", "0", "yy"))
                    .startsWith("-ERR The user executing the script can't run this command");

            admin.same("GET", "yy");
            admin.same("GET", "xx");
            assertThat(admin.mismatches).isEmpty();
            assertThat(bob.mismatches).isEmpty();
        }
        try (RawRedisClient b = backend()) {
            // every connection went back to the proxy's own login after its scripts
            assertThat(b.call("CLIENT", "LIST")).doesNotContain("user=moonshard~");
        }
    }

    @Test
    void pipelinedScriptsOfARestrictedUser_answerInOrder() {
        try (RawRedisClient admin = new RawRedisClient(cluster.port(0));
             RawRedisClient carol = new RawRedisClient(cluster.port(0))) {
            assertThat(admin.call("ACL", "SETUSER", "carol", "reset", "on", ">pw", "+@all", "~c*")).isEqualTo("+OK\r\n");
            carol.call("AUTH", "carol", "pw");
            int n = 50;
            StringBuilder pipeline = new StringBuilder();
            for (int i = 0; i < n; i++) {
                pipeline.append(new String(RawRedisClient.encode("EVAL", "return redis.call('incr','c1')", "0")));
                pipeline.append(new String(RawRedisClient.encode("GET", "c1")));
                pipeline.append(new String(RawRedisClient.encode("EVAL", "return redis.call('incr','d1')", "0")));
            }
            carol.sendRaw(pipeline.toString());
            for (int i = 1; i <= n; i++) {
                assertThat(carol.readReply()).isEqualTo(":" + i + "\r\n");
                assertThat(carol.readReply()).isEqualTo("$" + Integer.toString(i).length() + "\r\n" + i + "\r\n");
                assertThat(carol.readReply()).startsWith("-ERR The user executing the script can't access");
            }
            assertThat(carol.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void severalBackends_eachGetsTheMirror_whereTheScriptsKeysAre() {
        try (LocalMoonshardCluster two = LocalMoonshardCluster.start(1, 2);
             RawRedisClient admin = new RawRedisClient(two.port(0));
             RawRedisClient erin = new RawRedisClient(two.port(0))) {
            admin.call("ACL", "SETUSER", "erin", "on", ">pw", "+@scripting", "+set", "~a*", "~b*");
            erin.call("AUTH", "erin", "pw");
            // "a" is in slot 15495, "b" in 3300: one key on each backend
            for (String key : List.of("a", "b")) {
                assertThat(erin.call("EVAL", "return redis.call('set',KEYS[1],1)", "1", key)).isEqualTo("+OK\r\n");
                assertThat(erin.call("EVAL", "return redis.acl_check_cmd('get',KEYS[1])", "1", key))
                        .isEqualTo("$-1\r\n");
            }
            admin.call("ACL", "SETUSER", "erin", "+get");
            for (String key : List.of("a", "b")) {
                assertThat(erin.call("EVAL", "return redis.call('get',KEYS[1])", "1", key)).isEqualTo("$1\r\n1\r\n");
            }
            for (RedisProcess backend : two.backends.get(0)) {
                try (RawRedisClient b = new RawRedisClient(backend.port())) {
                    assertThat(b.call("ACL", "USERS")).contains("moonshard~erin~");
                    assertThat(b.call("EXISTS", "a")).isNotEqualTo(b.call("EXISTS", "b"));
                }
            }
        }
    }

    @Test
    void scriptsOfAnUnrestrictedUser_runAsTheProxysLogin_withNoExtraCommands() {
        try (RawRedisClient b = backend(); RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(b.call("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
            for (int i = 0; i < 20; i++) {
                assertThat(client.call("EVAL", "return redis.call('set','yy',1)", "0")).isEqualTo("+OK\r\n");
            }
            String stats = b.call("INFO", "commandstats");
            assertThat(stats).contains("cmdstat_eval:calls=20,").doesNotContain("cmdstat_auth").doesNotContain("cmdstat_acl");
        }
    }

    @Test
    void aMirrorTheBackendRefuses_failsTheScript_andNothingRuns() throws Exception {
        // the proxy's backend login may not run ACL: the mirror cannot be made, so the script must not run
        try (RedisProcess backend = RedisProcess.start("--user", "proxy", "on", ">ppw", "~*", "&*", "+@all", "-acl");
             ProxyServer proxy = ProxyServer.builder().config(ProxyConfig.builder()
                     .address("127.0.0.1:" + FreePorts.next()).threads(1)
                     .backendUser("proxy").backendPassword("ppw").build()).build().start();
             RawRedisClient direct = new RawRedisClient(backend.port());
             RawRedisClient admin = new RawRedisClient(proxy.boundAddress().getPort());
             RawRedisClient dave = new RawRedisClient(proxy.boundAddress().getPort())) {
            assertThat(admin.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", "c", backend.address(), "1", "0-16383"))
                    .isEqualTo("+OK\r\n");
            admin.call("ACL", "SETUSER", "dave", "on", ">pw", "+@all", "~*");
            dave.call("AUTH", "dave", "pw");
            assertThat(dave.call("EVAL", "return redis.call('set','k',1)", "0"))
                    .startsWith("-ERR the proxy could not run this script as user 'dave' at backend " + backend.address()
                            + ": NOPERM this user has no permissions to run the 'acl|setuser' command");
            assertThat(direct.call("EXISTS", "k")).isEqualTo(":0\r\n");
            // dave's other commands and the default user's scripts are unaffected
            assertThat(dave.call("SET", "k2", "v")).isEqualTo("+OK\r\n");
            assertThat(admin.call("EVAL", "return redis.call('set','k3',1)", "0")).isEqualTo("+OK\r\n");

            // once the login may, the next script installs the mirror, and the connection logs back in
            assertThat(direct.call("ACL", "SETUSER", "proxy", "+acl")).isEqualTo("+OK\r\n");
            assertThat(dave.call("EVAL", "return redis.call('set','k',1)", "0")).isEqualTo("+OK\r\n");
            String clients = direct.call("CLIENT", "LIST");
            assertThat(clients).doesNotContain("user=moonshard~").contains("user=proxy");
            assertThat(direct.call("ACL", "USERS")).contains("moonshard~dave~");
        }
    }
}
