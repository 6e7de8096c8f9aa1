package io.moonshard.server;

import io.moonshard.proxy.HostPort;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One configuration option. The config-file key is the canonical name; the command-line flag and the
 * environment variables are derived from it ({@code backend_timeout} -> {@code --backend-timeout},
 * {@code MOONSHARD_BACKEND_TIMEOUT}, {@code UNDERMOON_BACKEND_TIMEOUT}).
 *
 * @param key          the config-file key (undermoon's name where undermoon has the option)
 * @param kind         how values are parsed and checked
 * @param min          smallest accepted number (numeric kinds only)
 * @param choices      accepted words (for {@link Kind#CHOICE} only), lower case
 * @param paramLabel   placeholder shown in {@code --help}
 * @param defaultText  the default as shown in {@code --help} and docs/operations.md
 * @param description  one sentence for {@code --help}
 * @param apply        stores a parsed value into the settings being built
 */
record ConfigOption(
        String key,
        Kind kind,
        long min,
        List<String> choices,
        String paramLabel,
        String defaultText,
        String description,
        BiConsumer<ServerSettings.Builder, Object> apply) {

    /** Value types; each knows how to read text and which TOML type a file must use. */
    enum Kind {
        /** {@code host:port}, parsed by {@link HostPort#parse}; the port must be at least {@code min}. */
        ADDRESS,
        /** Free text; empty means "not set". */
        TEXT,
        /** Like {@link #TEXT}, but never echoed in error messages or logs. */
        SECRET,
        /** A whole number of at least {@code min} (an {@code int}). */
        INT,
        /** A whole number of at least {@code min} (a {@code long}), e.g. bytes. */
        LONG,
        /** Milliseconds as a whole number of at least {@code min}, stored as a {@link Duration}. */
        MILLIS,
        /** One of {@code choices}, case-insensitive. */
        CHOICE,
        /** A TCP port: a whole number from {@code min} to 65535. */
        PORT,
        /** A host name or IP address without a port, e.g. {@code 127.0.0.1}, {@code 0.0.0.0}, {@code ::1}. */
        HOST,
        /** {@code true} or {@code false} (a TOML boolean in the file; {@code yes}/{@code no} also in flags and variables). */
        BOOLEAN,
        /**
         * Named users and their passwords, stored as a {@code Map<String, String>}: in flags and variables
         * {@code user:password[,user:password]...} (a password may hold {@code :} but not {@code ,}); in
         * the file that string or a TOML table {@code user = "password"} (any password). Never echoed,
         * like {@link #SECRET}.
         */
        USERS;

        boolean numeric() {
            return this == INT || this == LONG || this == MILLIS || this == PORT;
        }
    }

    ConfigOption {
        choices = List.copyOf(choices);
    }

    /** The command-line flag, e.g. {@code --announce-address}. */
    String flag() {
        return "--" + key.replace('_', '-');
    }

    /** Our environment variable, e.g. {@code MOONSHARD_ANNOUNCE_ADDRESS}. */
    String envName() {
        return "MOONSHARD_" + key.toUpperCase(Locale.ROOT);
    }

    /** undermoon's environment variable, e.g. {@code UNDERMOON_ANNOUNCE_ADDRESS}; ours wins over it. */
    String undermoonEnvName() {
        return "UNDERMOON_" + key.toUpperCase(Locale.ROOT);
    }

    /**
     * Parses {@code text} into the value {@link #apply} expects.
     *
     * @throws IllegalArgumentException with a message that says what was expected (without the key;
     *                                  the caller adds key and source)
     */
    Object parse(String text) {
        String t = text.strip();
        switch (kind) {
            case ADDRESS: {
                HostPort hp;
                try {
                    hp = HostPort.parse(t);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("expected host:port");
                }
                if (hp.port() < min) {
                    throw new IllegalArgumentException("expected host:port with a port of at least " + min);
                }
                return hp.toString();
            }
            case TEXT:
            case SECRET:
                return text.isEmpty() ? null : text;
            case INT:
                return (int) parseWhole(t, Integer.MAX_VALUE, "a whole number");
            case LONG:
                return parseWhole(t, Long.MAX_VALUE, "a whole number");
            case MILLIS:
                return Duration.ofMillis(parseWhole(t, Long.MAX_VALUE, "a whole number of milliseconds"));
            case PORT:
                return (int) parseWhole(t, 65535, "a port number");
            case HOST: {
                // a bracketed IPv6 literal ([::1]) loses its brackets: the value is a bind host
                String host = t.startsWith("[") && t.endsWith("]") ? t.substring(1, t.length() - 1) : t;
                if (!isHost(host)) {
                    throw new IllegalArgumentException("expected a host name or IP address, without a port");
                }
                return host;
            }
            case BOOLEAN: {
                switch (t.toLowerCase(Locale.ROOT)) {
                    case "true", "yes" -> {
                        return Boolean.TRUE;
                    }
                    case "false", "no" -> {
                        return Boolean.FALSE;
                    }
                    default -> throw new IllegalArgumentException("expected true or false");
                }
            }
            case USERS:
                return parseUsers(text);
            case CHOICE: {
                String word = t.toLowerCase(Locale.ROOT);
                if (!choices.contains(word)) {
                    throw new IllegalArgumentException("expected one of " + String.join(", ", choices));
                }
                return word;
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /**
     * A name or an IP literal: printable ASCII without spaces, slashes or brackets, and not
     * {@code host:port} (exactly one colon; an IPv6 literal has at least two).
     */
    private static boolean isHost(String host) {
        if (host.isEmpty() || !host.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '/' && c != '[' && c != ']')) {
            return false;
        }
        int colon = host.indexOf(':');
        return colon < 0 || colon != host.lastIndexOf(':');
    }

    private long parseWhole(String t, long max, String what) {
        long value;
        try {
            value = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected " + what + " >= " + min);
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("expected " + what + " between " + min + " and " + max);
        }
        return value;
    }

    /** How a value of this option may appear in an error message. */
    String display(String text) {
        return kind == Kind.SECRET || kind == Kind.USERS ? "(hidden)" : "'" + text + "'";
    }

    /**
     * {@code alice:pw1,bob:pw2} into an ordered map; empty text means no users. Messages never quote
     * the text (it holds passwords), only user names once a pair is well-formed.
     */
    private static Map<String, String> parseUsers(String text) {
        Map<String, String> users = new LinkedHashMap<>();
        if (text.isBlank()) {
            return users;
        }
        for (String pair : text.split(",", -1)) {
            int colon = pair.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(USERS_FORMAT);
            }
            checkUser(users, pair.substring(0, colon).strip(), pair.substring(colon + 1));
        }
        return users;
    }

    /**
     * A TOML table {@code user = "password"} of the config file into an ordered map, with the checks of
     * the text form.
     */
    static Map<String, String> usersFromTable(Map<String, String> table) {
        Map<String, String> users = new LinkedHashMap<>();
        table.forEach((user, password) -> checkUser(users, user, password));
        return users;
    }

    private static final String USERS_FORMAT =
            "expected user:password pairs separated by commas (e.g. alice:pw1,bob:pw2)";

    private static void checkUser(Map<String, String> users, String user, String password) {
        if (user.isEmpty() || password.isEmpty()) {
            throw new IllegalArgumentException(USERS_FORMAT + ", with a non-empty user and password");
        }
        if (!user.chars().allMatch(c -> c > ' ' && c != 0x7f)) {
            throw new IllegalArgumentException("a user name must not contain spaces or control characters");
        }
        if (user.equals("default")) {
            throw new IllegalArgumentException("the default user's password is the password option, not a users entry");
        }
        if (users.put(user, password) != null) {
            throw new IllegalArgumentException("user '" + user + "' is given twice");
        }
    }
}
