package io.moonshard.proxy.internal.replication;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parsing Redis 7.0's INFO server/replication text. */
class ReplicationInfoTest {

    @Test
    void aReplicasFields() {
        ReplicationInfo info = ReplicationInfo.parse("# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n\r\n"
                + "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\n"
                + "master_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:4242\r\n"
                + "master_failover_state:no-failover\r\nmaster_replid:ff\r\nmaster_repl_offset:4242\r\n");
        assertThat(info.runId()).isEqualTo("abc");
        assertThat(info.master()).isFalse();
        assertThat(info.replicates("127.0.0.1:7000")).isTrue();
        assertThat(info.replicates("127.0.0.1:7001")).isFalse();
        assertThat(info.linkUp()).isTrue();
        assertThat(info.offset()).isEqualTo(4242);
    }

    @Test
    void aMastersReplicasAsItListsThem() {
        ReplicationInfo info = ReplicationInfo.parse("run_id:m\r\nrole:master\r\nconnected_slaves:1\r\n"
                + "slave0:ip=127.0.0.2,port=7001,state=online,offset=99,lag=0\r\n"
                + "master_failover_state:waiting-for-sync\r\nmaster_repl_offset:100\r\n");
        assertThat(info.master()).isTrue();
        assertThat(info.offset()).isEqualTo(100);
        assertThat(info.failoverState()).isEqualTo("waiting-for-sync");
        assertThat(info.replica("127.0.0.2:7001")).isEqualTo(new ReplicationInfo.Replica("127.0.0.2", 7001, "online", 99));
        assertThat(info.replica("127.0.0.1:7001")).isNull();
    }
}
