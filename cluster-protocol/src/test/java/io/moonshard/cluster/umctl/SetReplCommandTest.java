package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SETREPL rendering: the parser's inverse, and the lines of the spec and operations.md. */
class SetReplCommandTest {

    @Test
    void rendersTheParsersExampleBack() {
        String line = SetReplParserTest.VALID;
        SetReplRequest req = SetReplParser.parse(List.of(line.split(" ", -1))).value();
        // role words lower case, the free node's empty name an empty argument
        assertThat(SetReplCommand.args(req)).containsExactly("3", "NOFLAGS", "master", "mydb", "127.0.0.1:7001", "1",
                "127.0.0.1:7002", "127.0.0.1:6002", "replica", "mydb", "127.0.0.1:7003", "2", "127.0.0.1:7004",
                "127.0.0.1:6004", "127.0.0.1:7005", "127.0.0.1:6005", "master", "", "127.0.0.1:7009", "0");
    }

    @Test
    void rendersTheFailoverLayoutOfOperationsMd() {
        SetReplRequest req = new SetReplRequest(1, false, List.of(
                new SetReplRequest.Node(true, "mydb", "127.0.0.1:7001",
                        List.of(new SetReplRequest.Peer("127.0.0.2:7002", "127.0.0.2:6001"))),
                new SetReplRequest.Node(false, "mydb", "127.0.0.1:7002",
                        List.of(new SetReplRequest.Peer("127.0.0.2:7001", "127.0.0.2:6001")))));
        assertThat(String.join(" ", SetReplCommand.args(req))).isEqualTo("1 NOFLAGS master mydb 127.0.0.1:7001 1 "
                + "127.0.0.2:7002 127.0.0.2:6001 replica mydb 127.0.0.1:7002 1 127.0.0.2:7001 127.0.0.2:6001");
        assertThat(SetReplCommand.args(new SetReplRequest(5, true, List.of()))).containsExactly("5", "FORCE");
    }

    @Test
    void parseOfRenderGivesBackRandomRequests() {
        Random random = new Random(2);
        for (int round = 0; round < 500; round++) {
            List<SetReplRequest.Node> nodes = new ArrayList<>();
            int n = random.nextInt(5);
            for (int i = 0; i < n; i++) {
                List<SetReplRequest.Peer> peers = new ArrayList<>();
                int k = random.nextInt(4);
                for (int j = 0; j < k; j++) {
                    peers.add(new SetReplRequest.Peer("10.0.0." + random.nextInt(9) + ":" + (7000 + random.nextInt(99)),
                            "10.0.0." + random.nextInt(9) + ":" + (6000 + random.nextInt(99))));
                }
                nodes.add(new SetReplRequest.Node(random.nextBoolean(), random.nextInt(4) == 0 ? "" : "c" + random.nextInt(99),
                        "127.0.0.1:" + (7000 + random.nextInt(99)), peers));
            }
            SetReplRequest req = new SetReplRequest(random.nextLong() >>> 1, random.nextBoolean(), nodes);
            ParseResult<SetReplRequest> back = SetReplParser.parse(SetReplCommand.args(req));
            assertThat(back.error()).isNull();
            assertThat(back.value()).isEqualTo(req);
        }
    }

    @Test
    void refusesABadAddressOrEpoch() {
        assertThatThrownBy(() -> SetReplCommand.args(new SetReplRequest(1, false, List.of(
                new SetReplRequest.Node(true, "c", "127.0.0.1", List.of()))))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SetReplCommand.args(new SetReplRequest(-1, false, List.of())))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
