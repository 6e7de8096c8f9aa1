package io.moonshard.cluster.umctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A peer's INFOREPL entries: undermoon's lines, with or without Moonshard's after them. */
class InfoReplEntryTest {

    @Test
    void undermoonsLines_giveTheRoleNodeAndPeers_andNoState() {
        InfoReplEntry master = InfoReplEntry.parse(List.of("cluster:mydb\n", "role:master\n",
                "node_address:127.0.0.1:6001\n", "replica:127.0.0.2:6002@127.0.0.2:5299\n",
                "replica:127.0.0.3:6002@127.0.0.3:5299\n"));
        assertThat(master).isEqualTo(new InfoReplEntry(true, "mydb", "127.0.0.1:6001", List.of(
                new SetReplRequest.Peer("127.0.0.2:6002", "127.0.0.2:5299"),
                new SetReplRequest.Peer("127.0.0.3:6002", "127.0.0.3:5299")), null, -1, null));
    }

    @Test
    void moonshardsLines_afterThem_areRead_andUnknownLinesSkipped() {
        InfoReplEntry replica = InfoReplEntry.parse(List.of("cluster:mydb\n", "role:replica\n",
                "node_address:127.0.0.2:6002\n", "master:127.0.0.1:6001@127.0.0.1:5299\n", "state:IN_SYNC\n",
                "offset:4242\n", "lag:0\n", "link:up\n", "future_line:whatever\n"));
        assertThat(replica.master()).isFalse();
        assertThat(replica.peers()).containsExactly(new SetReplRequest.Peer("127.0.0.1:6001", "127.0.0.1:5299"));
        assertThat(replica.state()).isEqualTo("in_sync");
        assertThat(replica.offset()).isEqualTo(4242);
        assertThat(replica.link()).isTrue();
        assertThat(InfoReplEntry.parse(List.of("cluster:mydb\n", "role:replica\n", "node_address:a:1\n",
                "link:down\n", "offset:x\n"))).satisfies(e -> {
                    assertThat(e.link()).isFalse();
                    assertThat(e.offset()).isEqualTo(-1);
                });
    }

    @Test
    void aFreeNode_hasAnEmptyClusterName() {
        InfoReplEntry free = InfoReplEntry.parse(List.of("cluster:\n", "role:master\n", "node_address:127.0.0.1:6009\n"));
        assertThat(free.cluster()).isEmpty();
        assertThat(free.peers()).isEmpty();
    }

    @Test
    void malformedEntries_areNull() {
        assertThat(InfoReplEntry.parse(List.of("role:master\n", "node_address:127.0.0.1:6001\n"))).isNull();
        assertThat(InfoReplEntry.parse(List.of("cluster:a\n", "role:boss\n", "node_address:127.0.0.1:6001\n")))
                .isNull();
        assertThat(InfoReplEntry.parse(List.of("cluster:a\n", "role:master\n", "node_address:127.0.0.1:6001\n",
                "replica:no-at-sign\n"))).isNull();
    }
}
