package io.moonshard.server;

import io.moonshard.proxy.ProxyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything the launcher needs: the engine's {@link ProxyConfig} plus what only the process cares
 * about (log level, how long a stop may take), and warnings to log once logging is set up.
 *
 * @param proxy           the engine's configuration
 * @param logLevel        {@code log_level}: trace, debug, info, warn, error or off
 * @param shutdownTimeout {@code shutdown_timeout}: how long SIGTERM waits for in-flight commands
 * @param configFile      the file that was read, or null
 * @param warnings        lines to log at WARN after start-up (ignored undermoon keys, ...)
 */
record ServerSettings(
        ProxyConfig proxy,
        String logLevel,
        Duration shutdownTimeout,
        Path configFile,
        List<String> warnings) {

    static final String DEFAULT_LOG_LEVEL = "info";
    static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    ServerSettings {
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(logLevel, "log_level");
        Objects.requireNonNull(shutdownTimeout, "shutdown_timeout");
        warnings = List.copyOf(warnings);
    }

    static Builder builder() {
        return new Builder();
    }

    /** Collects values while sources are read; {@link #build()} validates the whole. */
    static final class Builder {
        final ProxyConfig.Builder proxy = ProxyConfig.builder();
        String logLevel = DEFAULT_LOG_LEVEL;
        Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        Path configFile;
        final List<String> warnings = new ArrayList<>();

        private Builder() {
        }

        /**
         * @throws IllegalArgumentException when {@link ProxyConfig} rejects the combination
         */
        ServerSettings build() {
            return new ServerSettings(proxy.build(), logLevel, shutdownTimeout, configFile, warnings);
        }
    }
}
