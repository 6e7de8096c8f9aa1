package io.moonshard.server;

/**
 * A start-up error in the command line, the environment or the config file. The message is one line
 * that names the key (or flag) at fault; the process prints it to standard error and exits with 2.
 */
final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ConfigException(String message) {
        super(message.replace('\n', ' ').replace('\r', ' '), null, false, false);
    }
}
