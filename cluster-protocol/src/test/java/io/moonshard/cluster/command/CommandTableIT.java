package io.moonshard.cluster.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.moonshard.testkit.RedisProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The checked-in table is exactly what the generator writes for the redis-server the tests run against. */
class CommandTableIT {

    @Test
    void checkedInTableIsUpToDate() throws IOException {
        String checkedIn;
        try (InputStream in = CommandTable.class.getResourceAsStream(CommandTable.RESOURCE)) {
            assertThat(in).as(CommandTable.RESOURCE).isNotNull();
            checkedIn = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (RedisProcess redis = RedisProcess.start();
             RespConnection connection = new RespConnection("127.0.0.1", redis.port())) {
            String generated = CommandTableGenerator.generate(connection);
            CommandTable live = CommandTable.parse(generated);
            assumeTrue(live.redisVersion().equals(CommandTable.standard().redisVersion()),
                    "the table is for redis " + CommandTable.standard().redisVersion() + ", not " + live.redisVersion());
            assertThat(generated).as("regenerate with scripts/generate-command-table.sh").isEqualTo(checkedIn);
            assertThat((long) CommandTable.standard().commands().size()).isEqualTo(connection.call("COMMAND", "COUNT"));
        }
    }
}
