package io.moonshard.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resolves every option from its sources, highest first: command-line flag, then
 * {@code MOONSHARD_<KEY>}, then undermoon's {@code UNDERMOON_<KEY>}, then the config file, then the
 * default. Empty environment variables count as unset. Every failure is a {@link ConfigException}
 * naming the key and where the bad value came from.
 */
final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param flags      values given on the command line, by config key
     * @param configFile the TOML file to read, or null
     * @param env        the process environment
     */
    static ServerSettings load(Map<String, String> flags, Path configFile, Map<String, String> env) {
        ServerSettings.Builder settings = ServerSettings.builder();
        settings.configFile = configFile;
        // table-valued keys of the file (users = { alice = "pw" } or a [users] section), by key
        Map<String, Map<String, String>> tablesFromFile = new LinkedHashMap<>();
        Map<String, String> fromFile = configFile == null
                ? Map.of()
                : checkFile(TomlConfigFile.read(configFile), configFile, settings, tablesFromFile);

        for (ConfigOption option : ConfigOptions.ALL) {
            String text;
            String source;
            String aliasEnv = undermoonAliasEnvName(option.key());
            if (flags.containsKey(option.key())) {
                text = flags.get(option.key());
                source = option.flag();
            } else if (isSet(env.get(option.envName()))) {
                text = env.get(option.envName());
                source = option.envName();
            } else if (isSet(env.get(option.undermoonEnvName()))) {
                text = env.get(option.undermoonEnvName());
                source = option.undermoonEnvName();
            } else if (aliasEnv != null && isSet(env.get(aliasEnv))) {
                text = env.get(aliasEnv);
                source = aliasEnv;
            } else if (fromFile.containsKey(option.key())) {
                text = fromFile.get(option.key());
                source = configFile.toString();
            } else if (tablesFromFile.containsKey(option.key())) {
                text = null;
                source = configFile.toString();
            } else {
                continue;
            }
            Object value;
            try {
                value = text == null ? ConfigOption.usersFromTable(tablesFromFile.get(option.key())) : option.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(option.key() + ": invalid value " + option.display(text)
                        + " (from " + source + "): " + e.getMessage());
            }
            option.apply().accept(settings, value);
        }
        try {
            return settings.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            // ProxyConfig names the key in its message (e.g. "backend_conn_num must be at least 1")
            throw new ConfigException("invalid configuration: " + e.getMessage());
        }
    }

    /** {@code UNDERMOON_SLOWLOG_LEN} for {@code slowlog_max_len}: undermoon's variable, where undermoon names the option otherwise. */
    private static String undermoonAliasEnvName(String key) {
        for (Map.Entry<String, String> alias : ConfigOptions.UNDERMOON_ALIASES.entrySet()) {
            if (alias.getValue().equals(key)) {
                return "UNDERMOON_" + alias.getKey().toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static boolean isSet(String envValue) {
        return envValue != null && !envValue.isEmpty();
    }

    /**
     * Checks keys and TOML types; returns the known options' values as text, by key. A table given to a
     * {@link ConfigOption.Kind#USERS} option goes to {@code tables} instead, as its string entries.
     */
    private static Map<String, String> checkFile(Map<String, JsonNode> entries, Path file,
                                                 ServerSettings.Builder settings,
                                                 Map<String, Map<String, String>> tables) {
        Map<String, String> texts = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : entries.entrySet()) {
            String key = entry.getKey();
            JsonNode node = entry.getValue();
            // undermoon's name of an option (slowlog_len) sets Moonshard's (slowlog_max_len)
            String optionKey = ConfigOptions.UNDERMOON_ALIASES.getOrDefault(key, key);
            if (!optionKey.equals(key) && entries.containsKey(optionKey)) {
                throw new ConfigException(key + " and " + optionKey + " are both set in " + file + " (" + key
                        + " is undermoon's name for " + optionKey + "); keep one");
            }
            ConfigOption option = ConfigOptions.byKey(optionKey).orElse(null);
            if (option == null) {
                if (!ConfigOptions.IGNORED_UNDERMOON_KEYS.contains(key)) {
                    throw new ConfigException("unknown key '" + key + "' in " + file + suggestion(key));
                }
                Object plain = node.isBoolean() ? node.booleanValue() : node.asText();
                String refusal = ConfigOptions.unsupportedValue(key, plain);
                if (refusal != null) {
                    throw new ConfigException(key + " (in " + file + "): " + refusal);
                }
                settings.warnings.add("config key " + key + " in " + file
                        + " is an undermoon option Moonshard does not implement yet; ignored");
                continue;
            }
            if (option.kind() == ConfigOption.Kind.USERS && node.isObject()) {
                Map<String, String> table = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> user : node.properties()) {
                    if (!user.getValue().isTextual()) {
                        // the user name only: the value may be a password
                        throw new ConfigException(key + ": expected a string password for user '" + user.getKey()
                                + "' in " + file + ", got " + tomlType(user.getValue()));
                    }
                    table.put(user.getKey(), user.getValue().asText());
                }
                tables.put(optionKey, table);
                continue;
            }
            boolean bool = option.kind() == ConfigOption.Kind.BOOLEAN;
            boolean typeOk = option.kind().numeric() ? node.isIntegralNumber()
                    : bool ? node.isBoolean() : node.isTextual();
            if (!typeOk) {
                throw new ConfigException(key + ": expected "
                        + (option.kind().numeric() ? "an integer" : bool ? "a boolean"
                                : option.kind() == ConfigOption.Kind.USERS ? "a table or a string" : "a string")
                        + " in " + file + ", got " + tomlType(node));
            }
            texts.put(optionKey, node.asText());
        }
        return texts;
    }

    private static String tomlType(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        } else if (node.isIntegralNumber()) {
            return "an integer";
        } else if (node.isNumber()) {
            return "a float";
        } else if (node.isBoolean()) {
            return "a boolean";
        } else if (node.isArray()) {
            return "an array";
        } else if (node.isObject()) {
            return "a table";
        }
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** {@code " (did you mean 'address'?)"} for a near miss, else empty. */
    static String suggestion(String key) {
        String best = null;
        int bestDistance = 3; // only suggest for typos: at most two edits
        Stream<String> known = Stream.concat(ConfigOptions.ALL.stream().map(ConfigOption::key),
                ConfigOptions.IGNORED_UNDERMOON_KEYS.stream().sorted());
        for (String candidate : (Iterable<String>) known::iterator) {
            int d = editDistance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
