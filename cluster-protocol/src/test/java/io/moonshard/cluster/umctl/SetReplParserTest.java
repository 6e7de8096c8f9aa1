package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UMCTL SETREPL (undermoon-proxy-spec §2.2). */
class SetReplParserTest {

    static ParseResult<SetReplRequest> parse(String line) {
        return SetReplParser.parse(line.isEmpty() ? List.of() : List.of(line.split(" ")));
    }

    static final String VALID = "3 NOFLAGS master mydb 127.0.0.1:7001 1 127.0.0.1:7002 127.0.0.1:6002 "
            + "REPLICA mydb 127.0.0.1:7003 2 127.0.0.1:7004 127.0.0.1:6004 127.0.0.1:7005 127.0.0.1:6005 "
            + "master  127.0.0.1:7009 0";

    @Test
    void parsesMastersReplicasAndFreeNodes() {
        ParseResult<SetReplRequest> r = SetReplParser.parse(new ArrayList<>(List.of(VALID.split(" ", -1))));
        // the double space yields an empty cluster name: a free node
        assertThat(r.error()).isNull();
        SetReplRequest req = r.value();
        assertThat(req.epoch()).isEqualTo(3);
        assertThat(req.force()).isFalse();
        assertThat(req.nodes()).containsExactly(
                new SetReplRequest.Node(true, "mydb", "127.0.0.1:7001",
                        List.of(new SetReplRequest.Peer("127.0.0.1:7002", "127.0.0.1:6002"))),
                new SetReplRequest.Node(false, "mydb", "127.0.0.1:7003",
                        List.of(new SetReplRequest.Peer("127.0.0.1:7004", "127.0.0.1:6004"),
                                new SetReplRequest.Peer("127.0.0.1:7005", "127.0.0.1:6005"))),
                new SetReplRequest.Node(true, "", "127.0.0.1:7009", List.of()));
        assertThat(req.notMyMetaError("127.0.0.1")).isNull();
        assertThat(req.notMyMetaError("localhost")).isEqualTo("ERR_NOT_MY_META");
        assertThat(parse("1 NOFLAGS").value().nodes()).isEmpty();
    }

    @Test
    void epochRule() {
        assertThat(parse("5 NOFLAGS").value().acceptableAfter(4)).isTrue();
        assertThat(parse("5 NOFLAGS").value().acceptableAfter(5)).isFalse();
        assertThat(parse("5 noflags,force").value().acceptableAfter(9)).isTrue();
        assertThat(parse("5 Force").value().force()).isTrue();
    }

    @Test
    void everyTruncationAndCorruptionIsInvalidArgumentsOrValid() {
        List<String> tokens = List.of(VALID.replace("  ", " x ").split(" "));
        assertThat(SetReplParser.parse(tokens).isOk()).isTrue();
        List<Integer> validLengths = List.of(2, 8, 16, 20);
        for (int len = 0; len <= tokens.size(); len++) {
            ParseResult<SetReplRequest> r = SetReplParser.parse(tokens.subList(0, len));
            assertThat(r.isOk()).as("%d tokens", len).isEqualTo(validLengths.contains(len));
            if (!r.isOk()) {
                assertThat(r.error()).isEqualTo("Invalid arguments");
            }
        }
        for (int i = 0; i < tokens.size(); i++) {
            for (String bad : List.of("garbage", "-1", "", "99999999999999999999999", "127.0.0.1:99999", "\uFF11")) {
                List<String> corrupted = new ArrayList<>(tokens);
                corrupted.set(i, bad);
                ParseResult<SetReplRequest> r = SetReplParser.parse(corrupted);
                assertThat(r.isOk() || "Invalid arguments".equals(r.error())).isTrue();
            }
        }
        assertThat(parse("x NOFLAGS").error()).isEqualTo("Invalid arguments");
        assertThat(parse("1 NOFLAGS slave mydb 127.0.0.1:7001 0").error()).isEqualTo("Invalid arguments");
        assertThat(parse("1 NOFLAGS master mydb 127.0.0.1:7001 9223372036854775807 a b").error())
                .isEqualTo("Invalid arguments");
    }
}
