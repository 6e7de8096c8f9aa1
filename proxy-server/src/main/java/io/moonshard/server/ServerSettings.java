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
 * @param adminAddress    {@code admin_address}: the host the admin HTTP endpoint binds
 * @param adminPort       {@code admin_port}: the admin HTTP endpoint's port; 0 means no endpoint
 * @param configFile      the file that was read, or null
 * @param warnings        lines to log at WARN after start-up (ignored undermoon keys, ...)
 */
record ServerSettings(
        ProxyConfig proxy,
        String logLevel,
        Duration shutdownTimeout,
        String adminAddress,
        int adminPort,
        Path configFile,
        List<String> warnings) {

    static final String DEFAULT_LOG_LEVEL = "info";
    static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    static final String DEFAULT_ADMIN_ADDRESS = "127.0.0.1";

    ServerSettings {
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(logLevel, "log_level");
        Objects.requireNonNull(shutdownTimeout, "shutdown_timeout");
        Objects.requireNonNull(adminAddress, "admin_address");
        if (adminPort < 0 || adminPort > 65535) {
            throw new IllegalArgumentException("admin_port must be between 0 and 65535");
        }
        warnings = List.copyOf(warnings);
    }

    static Builder builder() {
        return new Builder();
    }

    /** Whether the admin HTTP endpoint is on ({@code admin_port} set). */
    boolean adminEnabled() {
        return adminPort > 0;
    }

    /** Collects values while sources are read; {@link #build()} validates the whole. */
    static final class Builder {
        final ProxyConfig.Builder proxy = ProxyConfig.builder();
        String logLevel = DEFAULT_LOG_LEVEL;
        Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        String adminAddress = DEFAULT_ADMIN_ADDRESS;
        int adminPort;
        Path configFile;
        final List<String> warnings = new ArrayList<>();

        private Builder() {
        }

        /**
         * @throws IllegalArgumentException when {@link ProxyConfig} rejects the combination
         */
        ServerSettings build() {
            return new ServerSettings(proxy.build(), logLevel, shutdownTimeout, adminAddress, adminPort, configFile,
                    warnings);
        }
    }
}
