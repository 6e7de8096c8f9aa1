package io.moonshard.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.testkit.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** RespFormatter prints replies exactly as the real redis-cli does. */
class FormatterIT {

    @Test
    void formatMatchesRedisCli() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            redis.rawCommand("RPUSH", "list", "a", "b\nc", "d\"e");
            for (int i = 0; i < 12; i++) {
                redis.rawCommand("RPUSH", "long", "v" + i);
            }
            redis.rawCommand("HSET", "h", "f", "1");
            List<String[]> commands = List.of(
                    new String[] {"LRANGE", "list", "0", "-1"},
                    new String[] {"LRANGE", "long", "0", "-1"},
                    new String[] {"HGETALL", "h"},
                    new String[] {"GET", "missing"},
                    new String[] {"LLEN", "long"},
                    new String[] {"SET", "k", "v"},
                    new String[] {"COMMAND", "INFO", "get"},
                    new String[] {"LRANGE", "nothing", "0", "-1"},
                    new String[] {"NOSUCH"});
            for (String[] cmd : commands) {
                String raw = redis.rawCommand(cmd);
                String ours = RespFormatter.format(RespParser.parse(raw.getBytes(StandardCharsets.ISO_8859_1)));
                assertThat(ours).as(String.join(" ", cmd)).isEqualTo(redisCli(redis.port(), cmd));
            }
        }
    }

    private static String redisCli(int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--no-raw", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
