package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's own SLOWLOG against real backends: a script that keeps its backend busy for 30 ms is
 * logged with its arguments, the client's address and name, and (UMCTL SLOWLOG) a backend time close to
 * its duration; fast commands and blocking waits are not logged; -1 turns the log off.
 */
class SlowlogIT {

    /** Busy-waits 30 ms inside Redis (TIME in microseconds), longer than 128 bytes so SLOWLOG cuts it. */
    private static final String BUSY_30MS = "local t = redis.call('TIME') "
            + "local start = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
            + "while true do local n = redis.call('TIME') "
            + "if tonumber(n[1]) * 1000000 + tonumber(n[2]) - start >= 30000 then break end end "
            + "return 1";

    private static LocalMoonshardCluster cluster;

    @BeforeAll
    static void start() {
        // 20 ms: well above a GET's time even on a loaded machine, below the 30 ms script
        cluster = LocalMoonshardCluster.start(1, 2, b -> b.slowlogLogSlowerThan(20_000).slowlogMaxLen(64));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void resetLog() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("SLOWLOG", "RESET")).isEqualTo("+OK\r\n");
        }
    }

    /** The client's ip:port as the proxy sees it, from CLIENT INFO's addr field. */
    private static String clientAddress(RawRedisClient client) {
        Matcher m = Pattern.compile("addr=(\\S+)").matcher(client.call("CLIENT", "INFO"));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static long field(String umctlEntry, String name) {
        Matcher m = Pattern.compile(name + ": (\\d+)\r\n").matcher(umctlEntry);
        assertThat(m.find()).as("%s in %s", name, umctlEntry).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void slowScript_isLogged_withArgsClientAndDuration_andFastGetsAreNot() {
        String truncated = BUSY_30MS.substring(0, 128) + "... (" + (BUSY_30MS.length() - 128) + " more bytes)";
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("CLIENT", "SETNAME", "slow-app")).isEqualTo("+OK\r\n");
            String address = clientAddress(client);
            for (int i = 0; i < 20; i++) {
                client.call("SET", "fast:" + i, "v");
                client.call("GET", "fast:" + i);
            }
            // a fresh JVM loads classes on the first commands of each kind, which may take longer than
            // the threshold: start counting after that warm-up
            assertThat(client.call("SLOWLOG", "RESET")).isEqualTo("+OK\r\n");
            for (int i = 0; i < 20; i++) {
                client.call("GET", "fast:" + i);
            }
            assertThat(client.call("EVAL", BUSY_30MS, "1", "slowkey")).isEqualTo(":1\r\n");
            for (int i = 0; i < 20; i++) {
                client.call("GET", "fast:" + i);
            }

            String reply = client.call("SLOWLOG", "GET");

            Matcher entry = Pattern.compile("\\*1\r\n\\*6\r\n:(\\d+)\r\n:(\\d+)\r\n:(\\d+)\r\n"
                    + "\\*4\r\n\\$4\r\nEVAL\r\n\\$" + truncated.length() + "\r\n" + Pattern.quote(truncated) + "\r\n"
                    + "\\$1\r\n1\r\n\\$7\r\nslowkey\r\n"
                    + "\\$" + address.length() + "\r\n" + Pattern.quote(address) + "\r\n"
                    + "\\$8\r\nslow-app\r\n").matcher(reply);
            assertThat(entry.matches()).as("one entry, the EVAL, in %s", reply).isTrue();
            long unixTime = Long.parseLong(entry.group(2));
            long micros = Long.parseLong(entry.group(3));
            assertThat(unixTime).isBetween(System.currentTimeMillis() / 1000 - 5, System.currentTimeMillis() / 1000 + 1);
            assertThat(micros).isGreaterThanOrEqualTo(30_000).isLessThan(5_000_000);
            assertThat(client.call("SLOWLOG", "LEN")).isEqualTo(":1\r\n");

            // the breakdown: nearly all of it at the backend
            String umctl = client.call("UMCTL", "SLOWLOG", "GET", "1");
            assertThat(umctl).contains("client: " + address + "\r\n", "client_name: slow-app\r\n",
                    "command: EVAL " + truncated + " 1 slowkey\r\n");
            long duration = field(umctl, "duration_us");
            long backend = field(umctl, "backend_us");
            long proxy = field(umctl, "proxy_us");
            assertThat(duration).isEqualTo(micros);
            assertThat(backend).isGreaterThanOrEqualTo(30_000).isLessThanOrEqualTo(duration);
            assertThat(proxy).isEqualTo(duration - backend).isLessThan(15_000);

            assertThat(client.call("SLOWLOG", "RESET")).isEqualTo("+OK\r\n");
            assertThat(client.call("SLOWLOG", "LEN")).isEqualTo(":0\r\n");
            assertThat(client.call("SLOWLOG", "GET", "-1")).isEqualTo("*0\r\n");
        }
    }

    @Test
    void slowCommandsOfSeveralClients_newestFirst_withIncreasingIds() {
        List<RawRedisClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawRedisClient c = new RawRedisClient(cluster.port(0));
                clients.add(c);
                assertThat(c.call("EVAL", BUSY_30MS, "1", "k" + i)).isEqualTo(":1\r\n");
            }
            String reply = clients.get(0).call("SLOWLOG", "GET", "2");
            Matcher ids = Pattern.compile("\\*6\r\n:(\\d+)\r\n").matcher(reply);
            List<Long> seen = new ArrayList<>();
            while (ids.find()) {
                seen.add(Long.parseLong(ids.group(1)));
            }
            assertThat(seen).hasSize(2);
            assertThat(seen.get(0)).isEqualTo(seen.get(1) + 1);
            assertThat(reply).contains("$2\r\nk2\r\n", "$2\r\nk1\r\n").doesNotContain("$2\r\nk0\r\n");
        } finally {
            clients.forEach(RawRedisClient::close);
        }
    }

    @Test
    void blockingWait_isNotSlowness() {
        try (RawRedisClient client = new RawRedisClient(cluster.port(0))) {
            assertThat(client.call("BLPOP", "empty-list", "0.1")).isEqualTo("*-1\r\n");
            assertThat(client.call("SLOWLOG", "LEN")).isEqualTo(":0\r\n");
        }
    }

    @Test
    void thresholdZero_logsEveryCommand_withBackendTimeOnlyForWhatReachedABackend() {
        try (LocalMoonshardCluster all = LocalMoonshardCluster.start(1, 2,
                b -> b.slowlogLogSlowerThan(0).allowCrossSlotLocal(true));
             RawRedisClient client = new RawRedisClient(all.port(0))) {
            assertThat(Slots.slotOf("a")).isGreaterThan(8191); // a on the second backend, b on the first: MGET is split
            assertThat(Slots.slotOf("b")).isLessThan(8192);
            client.call("SET", "a", "1");
            client.call("MGET", "a", "b");
            client.call("ECHO", "x"); // answered by the proxy itself

            String umctl = client.call("UMCTL", "SLOWLOG", "GET", "3");

            String[] entries = umctl.split("\\*9\r\n");
            assertThat(entries).hasSize(4); // the array header, then ECHO, MGET, SET (newest first)
            assertThat(entries[1]).contains("command: ECHO x\r\n", "backend_us: 0\r\n");
            assertThat(entries[2]).contains("command: MGET a b\r\n");
            assertThat(entries[3]).contains("command: SET a 1\r\n");
            for (String forwarded : List.of(entries[2], entries[3])) {
                assertThat(field(forwarded, "backend_us")).isPositive()
                        .isLessThanOrEqualTo(field(forwarded, "duration_us"));
            }
        }
    }

    @Test
    void slowlogOff_withMinusOne() {
        try (LocalMoonshardCluster off = LocalMoonshardCluster.start(1, 1, b -> b.slowlogLogSlowerThan(-1));
             RawRedisClient client = new RawRedisClient(off.port(0))) {
            assertThat(client.call("EVAL", BUSY_30MS, "1", "slowkey")).isEqualTo(":1\r\n");
            assertThat(client.call("SLOWLOG", "LEN")).isEqualTo(":0\r\n");
            assertThat(client.call("SLOWLOG", "GET")).isEqualTo("*0\r\n");
        }
    }
}
