package io.moonshard.proxy.acl;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.cluster.command.CommandTable;
import io.moonshard.resp.RespCommand;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rule parser, the renderer and the matcher; expected values as redis-server 7.0.15 gives them. */
class AclTest {

    private final Acl acl = new Acl(null, Map.of(), null);

    @ParameterizedTest(name = "''{0}'' ~ ''{1}'': {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "*|anything|true", "a*|abc|true", "a*|ba|false", "a?c|abc|true", "a?c|ac|false", "[abc]x|bx|true",
        "[^abc]x|bx|false", "[a-c]x|cx|true", "[c-a]x|bx|true", "a\\*b|a*b|true", "a\\*b|axb|false",
        "[a|a|true", "[a|[|false", "a[|a[|false", "*a*b|xxaxxb|true", "*a*b|xxaxxc|false", "\"\"|\"\"|true",
        "a**|a|true", "\\|\\|true", "[\\]]|]|true", "app:*|app:|true", "app:*|ap|false", "h[^e]llo|hallo|true",
        "h[^e]llo|hello|false"})
    void glob_matchesAsStringmatchlen(String pattern, String string, boolean expected) {
        assertThat(Glob.matches(pattern.getBytes(StandardCharsets.ISO_8859_1), string.getBytes(StandardCharsets.ISO_8859_1)))
                .isEqualTo(expected);
    }

    @Test
    void glob_manyStars_giveUpEarly() {
        byte[] pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b".getBytes(StandardCharsets.US_ASCII);
        byte[] string = "a".repeat(200).getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        assertThat(Glob.matches(pattern, string)).isFalse();
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L); // exponential without skipLongerMatches
    }

    @Test
    void rules_renderInRedisCanonicalForm_singleCommandsInNameOrder() {
        assertThat(acl.list()).containsExactly("user default on nopass ~* &* +@all");
        assertThat(acl.setUser("u1", List.of())).isNull();
        assertThat(acl.setUser("u4", List.of("reset", "+@all", "-flushall", "~app:*", "%R~r*", "&ch", "(+get ~x)")))
                .isNull();
        assertThat(acl.setUser("u6", List.of("%RW~a", "%W~a", "%R~b", "%W~b", "%R"))).isNull();
        assertThat(acl.setUser("u9", List.of("on", "nopass", "+@all", "-@all", "+get", "+@hash", "-hget",
                "+client|list", "+select|0"))).isNull();
        assertThat(acl.list()).containsExactly(
                "user default on nopass ~* &* +@all",
                "user u1 off resetchannels -@all",
                "user u4 off sanitize-payload ~app:* %R~r* resetchannels &ch +@all -flushall "
                        + "(~x resetchannels -@all +get)",
                "user u6 off ~a ~b %R~ resetchannels -@all",
                "user u9 on nopass resetchannels -@all +@hash +client|list +get -hget +select|0");
    }

    @Test
    void backendMirror_carriesTheRulesWithoutFlagsOrPasswords_andItsNameFollowsThem() {
        assertThat(acl.setUser("bob", List.of("on", ">123", "skip-sanitize-payload", "+@scripting", "+set", "~x*",
                "(+get ~y*)"))).isNull();
        AclUser bob = acl.user("bob");
        AclUser.BackendMirror mirror = bob.backendMirror();
        assertThat(mirror.rules()).containsExactly("skip-sanitize-payload", "~x*", "resetchannels", "-@all",
                "+@scripting", "+set", "(~y* resetchannels -@all +get)");
        assertThat(mirror.name()).matches("moonshard~bob~[0-9a-f]{16}");
        assertThat(bob.backendMirror()).isSameAs(mirror);

        assertThat(acl.setUser("bob", List.of(">456"))).isNull(); // a password only: same rules, same mirror
        assertThat(bob.backendMirror().name()).isEqualTo(mirror.name());
        assertThat(acl.setUser("bob", List.of("+hset"))).isNull();
        assertThat(bob.backendMirror().name()).isNotEqualTo(mirror.name()).startsWith("moonshard~bob~");
        assertThat(acl.defaultUser().unrestricted()).isTrue();
        assertThat(bob.unrestricted()).isFalse();
    }

    @Test
    void badRules_getRedisErrors_andChangeNothing() {
        assertThat(acl.setUser("bad", List.of("on", "%~x"))).isEqualTo("ERR Error in ACL SETUSER modifier '%~x': Syntax error");
        assertThat(acl.user("bad")).isNull();
        assertThat(acl.setUser("bad", List.of("~*", "~x"))).startsWith("ERR Error in ACL SETUSER modifier '~x': "
                + "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid");
        assertThat(acl.setUser("bad", List.of("+nosuch"))).endsWith("Unknown command or category name in ACL");
        assertThat(acl.setUser("bad", List.of("+@nosuch"))).endsWith("Unknown command or category name in ACL");
        assertThat(acl.setUser("bad", List.of("+config|get|x"))).endsWith("Allowing first-arg of a subcommand is not supported");
        assertThat(acl.setUser("bad", List.of("#abc"))).endsWith("The password hash must be exactly 64 characters and "
                + "contain only lowercase hexadecimal characters");
        assertThat(acl.setUser("bad", List.of("<nope"))).endsWith("The password you are trying to remove from the user "
                + "does not exist");
        assertThat(acl.setUser("bad", List.of("(+get", "~x"))).isEqualTo("ERR Unmatched parenthesis in acl selector "
                + "starting at '(+get'.");
        assertThat(acl.setUser("a b", List.of())).isEqualTo("ERR Usernames can't contain spaces or null characters");
        assertThat(acl.setUser("ok", List.of("on", ">pw"))).isNull();
        assertThat(acl.setUser("ok", List.of("off", "bogus"))).endsWith("'bogus': Syntax error");
        assertThat(acl.user("ok").enabled()).isTrue();
    }

    @Test
    void passwords_areSha256_andDisabledUsersCannotLogIn() {
        acl.setUser("u", List.of("on", ">pw", "#" + "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"));
        assertThat(acl.authenticate("u", bytes("pw"))).isNotNull();
        assertThat(acl.authenticate("u", bytes("password"))).isNotNull(); // the hash of "password"
        assertThat(acl.authenticate("u", bytes("nope"))).isNull();
        acl.setUser("u", List.of("<pw"));
        assertThat(acl.authenticate("u", bytes("pw"))).isNull();
        acl.setUser("u", List.of("nopass", "off"));
        assertThat(acl.authenticate("u", bytes("anything"))).isNull();
        acl.setUser("u", List.of("on"));
        assertThat(acl.authenticate("u", bytes("anything"))).isNotNull();
        assertThat(acl.authenticate("nosuch", bytes("x"))).isNull();
    }

    @Test
    void check_commandsKeysByAccessAndChannels() {
        acl.setUser("u", List.of("on", "nopass", "+@all", "-@dangerous", "~app:*", "%R~ro:*", "&news.*"));
        AclUser u = acl.user("u");
        assertThat(check(u, "GET", "app:1")).isEqualTo(new AclCheck(AclCheck.OK, 0));
        assertThat(check(u, "FLUSHALL").reason()).isEqualTo(AclCheck.DENIED_CMD);
        assertThat(check(u, "CONFIG", "GET", "x").reason()).isEqualTo(AclCheck.DENIED_CMD);
        assertThat(check(u, "GET", "ro:1").allowed()).isTrue();
        assertThat(check(u, "SET", "ro:1", "v")).isEqualTo(new AclCheck(AclCheck.DENIED_KEY, 1));
        assertThat(check(u, "MSET", "app:1", "v", "other", "v")).isEqualTo(new AclCheck(AclCheck.DENIED_KEY, 3));
        assertThat(check(u, "COPY", "ro:1", "app:2").allowed()).isTrue();
        assertThat(check(u, "COPY", "app:2", "ro:1").reason()).isEqualTo(AclCheck.DENIED_KEY);
        assertThat(check(u, "PUBLISH", "news.1", "m").allowed()).isTrue();
        assertThat(check(u, "PUBLISH", "sports", "m")).isEqualTo(new AclCheck(AclCheck.DENIED_CHANNEL, 1));
        assertThat(check(u, "PSUBSCRIBE", "news.*").allowed()).isTrue();
        assertThat(check(u, "PSUBSCRIBE", "news.1")).isEqualTo(new AclCheck(AclCheck.DENIED_CHANNEL, 1));
        assertThat(check(u, "AUTH", "x").allowed()).isTrue(); // no_auth commands are always allowed
        assertThat(check(u, "EVAL", "return 1", "1", "other").reason()).isEqualTo(AclCheck.DENIED_KEY);
        assertThat(check(u, "EVAL", "return 1", "0").allowed()).isTrue();
    }

    @Test
    void selectors_anyOneAllows_andTheReportedDenialIsTheLastArgument() {
        acl.setUser("u", List.of("on", "nopass", "+get", "~a", "(+set ~b)"));
        AclUser u = acl.user("u");
        assertThat(check(u, "GET", "a").allowed()).isTrue();
        assertThat(check(u, "SET", "b", "v").allowed()).isTrue();
        assertThat(check(u, "SET", "a", "v")).isEqualTo(new AclCheck(AclCheck.DENIED_KEY, 1));
        assertThat(check(u, "DEL", "a")).isEqualTo(new AclCheck(AclCheck.DENIED_CMD, 0));
        acl.setUser("u", List.of("clearselectors"));
        assertThat(check(u, "SET", "b", "v").reason()).isEqualTo(AclCheck.DENIED_CMD);
    }

    @Test
    void firstArgs_allowOneArgumentOfADeniedCommand() {
        acl.setUser("u", List.of("on", "nopass", "+select|0", "allkeys"));
        AclUser u = acl.user("u");
        assertThat(check(u, "SELECT", "0").allowed()).isTrue();
        assertThat(check(u, "SELECT", "1").reason()).isEqualTo(AclCheck.DENIED_CMD);
        acl.setUser("u", List.of("+select"));
        assertThat(check(u, "SELECT", "1").allowed()).isTrue();
    }

    @Test
    void log_groupsSimilarDenials() {
        acl.log(AclCheck.DENIED_CMD, "toplevel", "flushall", "u", "id=1");
        acl.log(AclCheck.DENIED_CMD, "toplevel", "flushall", "u", "id=2");
        acl.log(AclCheck.DENIED_KEY, "toplevel", "k", "u", "id=3");
        List<Acl.LogEntry> entries = acl.logEntries(10);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).reasonName()).isEqualTo("key");
        assertThat(entries.get(1).count()).isEqualTo(2);
        assertThat(entries.get(1).clientInfo()).isEqualTo("id=2");
        acl.resetLog();
        assertThat(acl.logEntries(10)).isEmpty();
    }

    private static AclCheck check(AclUser user, String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return user.check(new AclRequest(CommandTable.standard().lookup(cmd), cmd));
        } finally {
            cmd.release();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
