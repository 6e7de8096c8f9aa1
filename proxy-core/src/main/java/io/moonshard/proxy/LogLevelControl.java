package io.moonshard.proxy;

import java.util.List;

/**
 * Lets {@code CONFIG SET moonshard-loglevel} change the log level of the process the proxy runs in.
 * proxy-core logs through SLF4J only and cannot set a level itself, so the application that owns the
 * logging backend registers one with {@link ProxyServer.Builder#logLevelControl}; without one the
 * {@code moonshard-loglevel} setting does not exist.
 *
 * <p>Called from the proxy's event loops: both methods must be thread-safe and quick.
 */
public interface LogLevelControl {

    /** The levels {@link #setLevel} accepts, lower case, from most to least verbose. */
    List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");

    /** The current level, one of {@link #LEVELS}. */
    String level();

    /** Sets the level; {@code level} is one of {@link #LEVELS} (lower case), already checked. */
    void setLevel(String level);
}
