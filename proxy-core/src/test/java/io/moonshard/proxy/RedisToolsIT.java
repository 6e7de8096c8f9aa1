package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redis's own cluster tools accept a Moonshard cluster: {@code redis-cli --cluster check} and {@code redis-benchmark --cluster}. */
class RedisToolsIT {

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalMoonshardCluster.start(3, 1);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void redisCliClusterCheck_reportsAllSlotsCoveredAndAgreement() throws Exception {
        Result r = run(List.of("redis-cli", "--cluster", "check", "127.0.0.1:" + cluster.port(1)));
        assertThat(r.output).contains("[OK] All nodes agree about slots configuration.");
        assertThat(r.output).contains("[OK] All 16384 slots covered.");
        assertThat(r.output).doesNotContain("[ERR]");
        assertThat(r.exitCode).as(r.output).isZero();
    }

    @Test
    void redisBenchmarkInClusterMode_completesWithoutError() throws Exception {
        Result r = run(List.of("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(cluster.port(0)),
                "--cluster", "-t", "set,get", "-P", "16", "-n", "30000", "-c", "20", "-r", "10000", "--csv"));
        assertThat(r.exitCode).as(r.output).isZero();
        assertThat(r.output).contains("\"SET\"", "\"GET\"");
        assertThat(r.output).doesNotContainIgnoringCase("error");
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + out).isTrue();
        return new Result(p.exitValue(), out);
    }
}
