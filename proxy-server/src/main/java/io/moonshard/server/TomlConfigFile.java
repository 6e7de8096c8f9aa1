package io.moonshard.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a TOML config file into its top-level key/value pairs.
 *
 * <p>Why jackson-dataformat-toml and not a small parser of our own: undermoon's files are flat
 * {@code key = value} lines, but a user's file is TOML 1.0, with literal and multi-line strings,
 * escapes, {@code 1_000} and hex integers, inline comments and duplicate-key rules. A hand-written
 * subset would reject or, worse, misread valid files; Jackson's parser is complete, maintained, and
 * hands us a typed tree, so the type checks (an integer where a number is due) stay ours and name the
 * key. The cost is about 2 MB of jar, paid once, and no code on any hot path.
 */
final class TomlConfigFile {

    private static final TomlMapper MAPPER = new TomlMapper();

    private TomlConfigFile() {
    }

    /**
     * The file's top-level entries in file order. A {@code [table]} shows up as one entry whose value
     * is an object, which the caller reports as an unknown key.
     *
     * @throws ConfigException when the file is missing, unreadable or not valid TOML
     */
    static Map<String, JsonNode> read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (JacksonException e) {
            throw new ConfigException("config file " + file + " is not valid TOML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        if (root instanceof ObjectNode) {
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                entries.put(e.getKey(), e.getValue());
            }
        }
        return entries;
    }
}
