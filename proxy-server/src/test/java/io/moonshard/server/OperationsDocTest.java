package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/operations.md documents every option exactly as the code has it (key, flag, variable, default). */
class OperationsDocTest {

    @Test
    void documentsEveryOption_withItsFlagVariableAndDefault() throws IOException {
        String doc = Files.readString(docs().resolve("operations.md"));

        for (ConfigOption option : ConfigOptions.ALL) {
            String row = "| `" + option.key() + "` | `" + option.flag() + "` | `" + option.envName() + "` | "
                    + option.defaultText() + " | ";
            assertThat(doc).as("the row of %s", option.key()).contains(row);
        }
        for (String key : ConfigOptions.IGNORED_UNDERMOON_KEYS) {
            assertThat(doc).as("ignored undermoon key %s", key).contains("`" + key + "`");
        }
    }

    private static Path docs() {
        String configured = System.getProperty("moonshard.docs");
        return configured != null ? Path.of(configured) : Path.of("..", "docs");
    }
}
