package io.moonshard.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.moonshard.proxy.LogLevelControl;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CONFIG SET moonshard-loglevel} for the server: sets logback's root level, as {@code log_level}
 * does at start ({@link ProxyLauncher#applyLogLevel}). Logback's levels are safe to change from any
 * thread. Without logback as the SLF4J backend (not the case in the jar) the level reads as info and
 * changes are ignored.
 */
final class LogbackLevelControl implements LogLevelControl {

    @Override
    public String level() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return ServerSettings.DEFAULT_LOG_LEVEL;
        }
        Level level = context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
        if (level == null) {
            return ServerSettings.DEFAULT_LOG_LEVEL;
        }
        return level == Level.ALL ? "trace" : level.toString().toLowerCase(Locale.ROOT);
    }

    @Override
    public void setLevel(String level) {
        ProxyLauncher.applyLogLevel(level);
    }
}
