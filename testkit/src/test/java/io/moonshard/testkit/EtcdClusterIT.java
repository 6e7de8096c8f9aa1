package io.moonshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The etcd harness itself: members, leader, SIGSTOP/SIGCONT, SIGKILL and restart on the same data, close. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdClusterIT {

    @TempDir
    Path dir;

    /** The process state letter of /proc/<pid>/stat: R, S, T (stopped), ... */
    private static char procState(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
    }

    @Test
    void threeMembersOneLeaderAndFaultsThatHeal() throws Exception {
        List<Long> pids = new ArrayList<>();
        try (EtcdCluster etcd = EtcdCluster.start(3, dir)) {
            for (int i = 0; i < 3; i++) {
                pids.add(etcd.member(i).pid());
                assertThat(etcd.member(i).isHealthy()).isTrue();
                assertThat(Files.isDirectory(etcd.member(i).dataDir())).isTrue();
            }
            assertThat(etcd.clientEndpoints()).hasSize(3).doesNotHaveDuplicates()
                    .allMatch(e -> e.startsWith("http://127.0.0.1:"));
            int leader = etcd.awaitLeader(Duration.ofSeconds(10));
            int leaders = 0;
            for (int i = 0; i < 3; i++) {
                leaders += etcd.member(i).isLeader() ? 1 : 0;
            }
            assertThat(leaders).isEqualTo(1);
            etcd.etcdctl("put", "/h/k", "v1");

            // a frozen follower: the others keep the quorum; after SIGCONT it catches up
            int follower = (leader + 1) % 3;
            etcd.sigstop(follower);
            assertThat(procState(etcd.member(follower).pid())).isEqualTo('T');
            etcd.etcdctl("put", "/h/k", "v2");
            etcd.sigcont(follower);
            assertThat(procState(etcd.member(follower).pid())).isNotEqualTo('T');
            etcd.awaitHealthy(follower, Duration.ofSeconds(10));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    etcd.etcdctlAt(follower, "get", "/h/k", "--print-value-only", "--consistency=s").trim().equals("v2"));

            // the leader killed: another is elected; restarted on its data it has what it had, and more
            long leaderPid = etcd.member(leader).pid();
            etcd.kill9(leader);
            assertThat(etcd.member(leader).isAlive()).isFalse();
            int next = etcd.awaitLeader(Duration.ofSeconds(10));
            assertThat(next).isNotEqualTo(leader);
            etcd.etcdctl("put", "/h/k", "v3");
            etcd.restart(leader);
            assertThat(etcd.member(leader).pid()).isNotEqualTo(leaderPid);
            pids.add(etcd.member(leader).pid());
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    etcd.etcdctlAt(leader, "get", "/h/k", "--print-value-only", "--consistency=s").trim().equals("v3"));
        }
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d after close", pid)
                    .isFalse();
        }
    }

    @Test
    void aSingleMemberStartsAndItsTemporaryDirectoryGoes() {
        Path base;
        try (EtcdCluster etcd = EtcdCluster.start(1)) {
            base = etcd.baseDir();
            assertThat(etcd.leaderIndex()).isZero();
            assertThat(etcd.etcdctl("endpoint", "health")).contains("is healthy");
        }
        assertThat(Files.exists(base)).isFalse();
    }
}
