package io.moonshard.proxy.internal.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a seed reads of INFO replication, from Redis 7.0's own text. */
class ReplicationStatusTest {

    @Test
    void aMaster() {
        ReplicationStatus s = ReplicationStatus.parse("# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
                + "slave0:ip=127.0.0.1,port=7001,state=online,offset=1234,lag=0\r\nmaster_failover_state:no-failover\r\n"
                + "master_replid:8e6c\r\nmaster_repl_offset:1250\r\n");
        assertThat(s.master()).isTrue();
        assertThat(s.offset()).isEqualTo(1250);
        assertThat(s.masterAddress()).isNull();
        assertThat(s.replicates("127.0.0.1:7000")).isFalse();
        assertThat(s.streaming()).isFalse();
    }

    @Test
    void aReplicaLoadingThenStreaming() {
        String loading = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\n"
                + "master_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:1\r\n"
                + "slave_read_repl_offset:1\r\nslave_repl_offset:1\r\nmaster_sync_total_bytes:-1\r\n"
                + "master_repl_offset:0\r\n";
        ReplicationStatus s = ReplicationStatus.parse(loading);
        assertThat(s.master()).isFalse();
        assertThat(s.replicates("127.0.0.1:7000")).isTrue();
        assertThat(s.replicates("127.0.0.1:7001")).isFalse();
        assertThat(s.streaming()).isFalse();
        ReplicationStatus up = ReplicationStatus.parse(loading.replace("master_link_status:down", "master_link_status:up")
                .replace("master_sync_in_progress:1", "master_sync_in_progress:0")
                .replace("slave_repl_offset:1", "slave_repl_offset:4321"));
        assertThat(up.streaming()).isTrue();
        assertThat(up.offset()).isEqualTo(4321);
    }
}
