package io.moonshard.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The command line: {@code moonshard-proxy [--config FILE] [--<option> VALUE]... }. The flags are
 * built from {@link ConfigOptions#ALL} with picocli's programmatic API, so a new option shows up in
 * the file, the flags, the environment and {@code --help} at once.
 */
final class Cli {

    static final String NAME = "moonshard-proxy";
    static final String CONFIG_ENV = "MOONSHARD_CONFIG";

    /**
     * What the command line asked for.
     *
     * @param help       {@code --help} was given
     * @param version    {@code --version} was given
     * @param configFile {@code --config}, else {@code $MOONSHARD_CONFIG}, else null
     * @param flags      option values by config key
     */
    record Parsed(boolean help, boolean version, Path configFile, Map<String, String> flags) {
    }

    private Cli() {
    }

    /** @throws ConfigException for an unknown flag, a missing value, a repeated flag, ... */
    static Parsed parse(String[] args, Map<String, String> env) {
        CommandLine commandLine = commandLine();
        ParseResult result;
        try {
            result = commandLine.parseArgs(args);
        } catch (ParameterException e) {
            throw new ConfigException(e.getMessage() + " (see --help)");
        }
        Map<String, String> flags = new LinkedHashMap<>();
        for (ConfigOption option : ConfigOptions.ALL) {
            if (result.hasMatchedOption(option.flag())) {
                flags.put(option.key(), result.matchedOptionValue(option.flag(), ""));
            }
        }
        String config = result.matchedOptionValue("--config", null);
        if (config == null && env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isEmpty()) {
            config = env.get(CONFIG_ENV);
        }
        return new Parsed(commandLine.isUsageHelpRequested(), commandLine.isVersionHelpRequested(),
                config == null ? null : Path.of(config), Map.copyOf(flags));
    }

    /** The {@code --help} text. */
    static String usage() {
        return commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    static String versionLine() {
        return NAME + " " + Version.current();
    }

    private static CommandLine commandLine() {
        CommandSpec spec = CommandSpec.create()
                .name(NAME)
                .version(versionLine())
                .mixinStandardHelpOptions(true);
        spec.usageMessage()
                .description("A server-side Redis Cluster proxy: plain redis-server instances behind Moonshard "
                        + "proxies look like one Redis Cluster. Control it with UMCTL SETCLUSTER.")
                .width(100)
                .footerHeading("%n")
                .footer("Every option is also a config-file key and an environment variable: --backend-timeout "
                                + "is the key backend_timeout and MOONSHARD_BACKEND_TIMEOUT (undermoon's "
                                + "UNDERMOON_BACKEND_TIMEOUT is read too).",
                        "Precedence: flag > MOONSHARD_* > UNDERMOON_* > config file > default.",
                        "Unknown keys and bad values stop the start with exit code 2.",
                        "SIGTERM/SIGINT: stop accepting, finish in-flight commands (at most shutdown_timeout), "
                                + "exit 143/130; UMCTL SHUTDOWN: exit 0.");
        spec.addOption(OptionSpec.builder("-c", "--config")
                .paramLabel("FILE")
                .type(String.class)
                .description("TOML config file (undermoon's key names). Default: $" + CONFIG_ENV + ", else none.")
                .build());
        for (ConfigOption option : ConfigOptions.ALL) {
            spec.addOption(OptionSpec.builder(option.flag())
                    .paramLabel(option.paramLabel())
                    .type(String.class)
                    .arity("1")
                    .description(option.description() + " Default: " + option.defaultText() + ".")
                    .build());
        }
        return new CommandLine(spec);
    }
}
