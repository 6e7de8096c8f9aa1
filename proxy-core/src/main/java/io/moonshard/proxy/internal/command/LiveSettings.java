package io.moonshard.proxy.internal.command;

import io.moonshard.proxy.ClientOutputBufferLimits;
import io.moonshard.proxy.LogLevelControl;
import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.RedisMemoryUnits;
import io.moonshard.proxy.internal.config.Credentials;
import io.moonshard.proxy.internal.config.LiveLimits;
import io.moonshard.proxy.internal.config.WriteAckPolicy;
import io.moonshard.proxy.internal.metrics.SlowLog;
import io.moonshard.proxy.internal.session.ClientRegistry;
import io.moonshard.proxy.internal.session.QueryBuffers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The proxy's own settings that {@code CONFIG SET} changes at run time, under names of their own with a
 * {@code moonshard-} prefix so that they never clash with a Redis parameter ({@link ConfigCommands}):
 *
 * <table>
 *   <caption>settings</caption>
 *   <tr><th>name</th><th>start option</th><th>lives in</th></tr>
 *   <tr><td>{@code moonshard-password}</td><td>{@code password}</td><td>{@link ProxyContext#credentials()}</td></tr>
 *   <tr><td>{@code moonshard-slowlog-log-slower-than}</td><td>{@code slowlog_log_slower_than}</td><td>{@link SlowLog}</td></tr>
 *   <tr><td>{@code moonshard-slowlog-max-len}</td><td>{@code slowlog_max_len}</td><td>{@link SlowLog}</td></tr>
 *   <tr><td>{@code moonshard-max-clients}</td><td>{@code max_clients}</td><td>{@link ClientRegistry}</td></tr>
 *   <tr><td>{@code moonshard-backend-timeout}</td><td>{@code backend_timeout} (ms)</td><td>here</td></tr>
 *   <tr><td>{@code moonshard-max-dedicated-connections}</td><td>{@code max_dedicated_connections}</td><td>here</td></tr>
 *   <tr><td>{@code moonshard-write-ack}</td><td>{@code write_ack}</td><td>here ({@link WriteAckPolicy})</td></tr>
 *   <tr><td>{@code moonshard-write-ack-timeout-ms}</td><td>{@code write_ack_timeout_ms}</td><td>here ({@link WriteAckPolicy})</td></tr>
 *   <tr><td>{@code client-output-buffer-limit}</td><td>{@code client_output_buffer_limit}</td><td>here</td></tr>
 *   <tr><td>{@code moonshard-client-query-buffer-limit}</td><td>{@code client_query_buffer_limit}</td><td>{@link QueryBuffers}</td></tr>
 *   <tr><td>{@code moonshard-max-total-query-buffer-bytes}</td><td>{@code max_total_query_buffer_bytes}</td><td>{@link QueryBuffers}</td></tr>
 *   <tr><td>{@code moonshard-migration-keys-per-second}</td><td>-</td><td>{@code MigrationSettings}: the copy
 *       budget of every running and future migration task, 0 for none</td></tr>
 *   <tr><td>{@code moonshard-migration-fence-timeout}</td><td>-</td><td>{@code MigrationSettings}: ms a fence
 *       may hold the moving slots before the attempt is refused</td></tr>
 *   <tr><td>{@code moonshard-show-replicas}</td><td>{@code show_replicas}</td><td>{@code ClusterState}: yes shows
 *       the replicas in CLUSTER NODES/SLOTS/SHARDS and serves READONLY reads from a local replica; no shows
 *       every proxy as a lone master</td></tr>
 *   <tr><td>{@code moonshard-migration-seed-by-replication}</td><td>-</td><td>{@code MigrationSettings}: yes
 *       (default) lets a task that chooses from now on seed an empty destination by replication</td></tr>
 *   <tr><td>{@code moonshard-loglevel}</td><td>{@code log_level}</td><td>the {@link LogLevelControl} hook, when
 *       the embedding application registered one; otherwise the setting does not exist</td></tr>
 * </table>
 *
 * <p>{@code client-output-buffer-limit} keeps Redis's name: the proxy applies it to its own clients, as a
 * Redis node does, instead of passing it to the backends (where it would limit the proxy's shared
 * connections, and one slow client would get every client's connection cut). It is found by its exact
 * name only; a glob in CONFIG GET matches the backends' parameters, not it.
 *
 * <p>Each value has one owner and is read where it is used, through a volatile field (a plain load on
 * the usual hardware), so a change is seen by every event loop from its next use on; nothing is copied
 * into connections. Nothing here is written back to a file ({@code CONFIG REWRITE} is Redis's).
 *
 * <p>Its length is the catalogue and Redis's CONFIG GET and SET rules (globs, integers, memory units):
 * one table, read top to bottom.
 */
public final class LiveSettings {

    static final String PREFIX = "moonshard-";
    public static final String PASSWORD = Credentials.PASSWORD_SETTING;
    static final String SLOWLOG_LOG_SLOWER_THAN = "moonshard-slowlog-log-slower-than";
    static final String SLOWLOG_MAX_LEN = "moonshard-slowlog-max-len";
    static final String MAX_CLIENTS = "moonshard-max-clients";
    static final String BACKEND_TIMEOUT = "moonshard-backend-timeout";
    static final String MAX_DEDICATED_CONNECTIONS = "moonshard-max-dedicated-connections";
    static final String WRITE_ACK = "moonshard-write-ack";
    static final String WRITE_ACK_TIMEOUT = "moonshard-write-ack-timeout-ms";
    /** The values of {@code moonshard-write-ack}, as Redis's enum configs list them in their error. */
    private static final List<String> WRITE_ACK_MODES = List.of("async", "replica");
    static final String LOGLEVEL = "moonshard-loglevel";
    static final String MIGRATION_KEYS_PER_SECOND = "moonshard-migration-keys-per-second";
    static final String MIGRATION_FENCE_TIMEOUT = "moonshard-migration-fence-timeout";
    static final String MIGRATION_SEED_BY_REPLICATION = "moonshard-migration-seed-by-replication";
    static final String CLIENT_OUTPUT_BUFFER_LIMIT = "client-output-buffer-limit";
    static final String CLIENT_QUERY_BUFFER_LIMIT = "moonshard-client-query-buffer-limit";
    static final String MAX_TOTAL_QUERY_BUFFER_BYTES = "moonshard-max-total-query-buffer-bytes";
    static final String SHOW_REPLICAS = "moonshard-show-replicas";

    /** Redis's {@code string2ll}: an optional minus, no plus, no spaces, no leading zeros. */
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    /**
     * One setting: how to show it (CONFIG GET), check a new value (returns it parsed, or throws with
     * Redis's reason) and apply a checked value.
     */
    private record Setting(String name, boolean sensitive, Supplier<String> get, Function<String, Object> parse,
                           Consumer<Object> apply) {
    }

    private final List<Setting> settings = new ArrayList<>();
    private final Map<String, Setting> byName = new LinkedHashMap<>();
    /** Where the limits below the command layer read live: the backend timeout, dedicated connections, output limits. */
    private final LiveLimits limits;

    /**
     * @param proxy    the owner of the other settings; only stored here (it is still being built)
     * @param limits   where the backend timeout, the dedicated connection limit and the output limits live
     * @param logLevel the log level hook, or null: no {@code moonshard-loglevel}
     */
    LiveSettings(ProxyContext proxy, LiveLimits limits, LogLevelControl logLevel) {
        this.limits = limits;
        add(new Setting(PASSWORD, true,
                () -> nullToEmpty(proxy.credentials().password()),
                text -> text,
                // replaced whole: connections that already authenticated stay so, new ones need the new password
                v -> proxy.credentials(new Credentials(((String) v).isEmpty() ? null : (String) v,
                        proxy.credentials().users()))));
        add(new Setting(SLOWLOG_LOG_SLOWER_THAN, false,
                () -> Long.toString(proxy.slowlog().logSlowerThanMicros()),
                text -> integer(text, -1, Long.MAX_VALUE),
                v -> proxy.slowlog().logSlowerThanMicros((Long) v)));
        add(new Setting(SLOWLOG_MAX_LEN, false,
                () -> Integer.toString(proxy.slowlog().maxLen()),
                text -> (int) integer(text, 0, Integer.MAX_VALUE),
                v -> proxy.slowlog().maxLen((Integer) v)));
        add(new Setting(MAX_CLIENTS, false,
                () -> Integer.toString(proxy.clients().maxClients()),
                text -> (int) integer(text, 1, Integer.MAX_VALUE),
                v -> proxy.clients().maxClients((Integer) v)));
        add(new Setting(BACKEND_TIMEOUT, false,
                () -> Long.toString(limits.backendTimeoutNanos() / 1_000_000),
                text -> integer(text, 1, Integer.MAX_VALUE),
                v -> limits.backendTimeoutNanos((Long) v * 1_000_000)));
        add(new Setting(MAX_DEDICATED_CONNECTIONS, false,
                () -> Integer.toString(limits.maxDedicatedConnections()),
                text -> (int) integer(text, 0, Integer.MAX_VALUE),
                v -> limits.maxDedicatedConnections((Integer) v)));
        add(new Setting(WRITE_ACK, false,
                () -> limits.writeAck().modeName(),
                text -> ProxyConfig.WriteAck.valueOf(oneOf(text, WRITE_ACK_MODES).toUpperCase(Locale.ROOT)),
                v -> limits.updateWriteAck(p -> p.withMode((ProxyConfig.WriteAck) v))));
        add(new Setting(WRITE_ACK_TIMEOUT, false,
                () -> Long.toString(limits.writeAck().timeoutMillis()),
                text -> integer(text, 1, ProxyConfig.MAX_WRITE_ACK_TIMEOUT_MILLIS),
                v -> limits.updateWriteAck(p -> p.withTimeoutMillis((Long) v))));
        add(new Setting(CLIENT_OUTPUT_BUFFER_LIMIT, false,
                () -> limits.outputLimits().format(),
                text -> limits.outputLimits().with(text),
                v -> limits.outputLimits((ClientOutputBufferLimits) v)));
        add(new Setting(CLIENT_QUERY_BUFFER_LIMIT, false,
                () -> Long.toString(proxy.queryBuffers().clientLimit()),
                text -> memory(text, ProxyConfig.MIN_CLIENT_QUERY_BUFFER_LIMIT, Long.MAX_VALUE),
                v -> proxy.queryBuffers().clientLimit((Long) v)));
        add(new Setting(MAX_TOTAL_QUERY_BUFFER_BYTES, false,
                () -> Long.toString(proxy.queryBuffers().totalLimitSetting()),
                text -> memory(text, 0, Long.MAX_VALUE),
                v -> proxy.queryBuffers().totalLimit((Long) v)));
        add(new Setting(MIGRATION_KEYS_PER_SECOND, false,
                () -> Long.toString(proxy.migration().settings().keysPerSecond()),
                text -> integer(text, 0, Long.MAX_VALUE),
                v -> proxy.migration().settings().keysPerSecond((Long) v)));
        add(new Setting(MIGRATION_FENCE_TIMEOUT, false,
                () -> Long.toString(proxy.migration().settings().fenceTimeoutMillis()),
                text -> integer(text, 1, 60_000),
                v -> proxy.migration().settings().fenceTimeoutMillis((Long) v)));
        add(new Setting(SHOW_REPLICAS, false,
                () -> proxy.cluster().replicas().shown() ? "yes" : "no",
                LiveSettings::yesNo,
                v -> proxy.cluster().showReplicas((Boolean) v)));
        add(new Setting(MIGRATION_SEED_BY_REPLICATION, false,
                () -> proxy.migration().settings().seedByReplication() ? "yes" : "no",
                LiveSettings::yesNo,
                v -> proxy.migration().settings().seedByReplication((Boolean) v)));
        if (logLevel != null) {
            add(new Setting(LOGLEVEL, false,
                    logLevel::level,
                    LiveSettings::level,
                    v -> logLevel.setLevel((String) v)));
        }
    }

    private void add(Setting setting) {
        settings.add(setting);
        byName.put(setting.name(), setting);
    }

    /** The backend timeout now; the value lives in {@link LiveLimits}, where the layers below read it. */
    public long backendTimeoutNanos() {
        return limits.backendTimeoutNanos();
    }

    /** The dedicated connection limit now; the value lives in {@link LiveLimits}. */
    public int maxDedicatedConnections() {
        return limits.maxDedicatedConnections();
    }

    /** Every setting's name, in catalogue order. */
    List<String> names() {
        return settings.stream().map(Setting::name).toList();
    }

    /**
     * Whether {@code name} (a CONFIG SET parameter) is the proxy's, known or not: it has the prefix, or it
     * is a Redis parameter the proxy keeps for itself ({@code client-output-buffer-limit}).
     */
    static boolean isProxyName(String name) {
        return name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
                || name.equalsIgnoreCase(CLIENT_OUTPUT_BUFFER_LIMIT);
    }

    /** Whether {@code name} starts with the proxy's prefix, ignoring case: no Redis parameter does. */
    static boolean isPrefixedName(String name) {
        return name.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
    }

    /**
     * Whether a CONFIG GET pattern can match the proxy's settings only, so that the backends need not be
     * asked: it starts with the prefix literally (Redis has no parameter starting with it), or it is the
     * name of a Redis parameter the proxy keeps for itself.
     */
    static boolean matchesProxyOnly(String pattern) {
        return isProxyName(pattern);
    }

    /**
     * CONFIG GET: the settings matching any of {@code patterns}, as name/value pairs, each once. As Redis's
     * {@code configGetCommand}: a pattern without {@code * ? [} is a name, looked up ignoring case and
     * shown as given; otherwise a glob ({@link #globMatch}), ignoring case, showing the setting's name.
     */
    List<Map.Entry<String, String>> get(List<String> patterns) {
        Map<Setting, String> shown = new LinkedHashMap<>();
        for (String pattern : patterns) {
            if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0 && pattern.indexOf('[') < 0) {
                Setting s = byName.get(pattern.toLowerCase(Locale.ROOT));
                if (s != null) {
                    shown.putIfAbsent(s, pattern);
                }
                continue;
            }
            for (Setting s : settings) {
                if (!shown.containsKey(s) && isPrefixed(s.name()) && globMatch(pattern, s.name())) {
                    shown.put(s, s.name());
                }
            }
        }
        List<Map.Entry<String, String>> out = new ArrayList<>(shown.size());
        shown.forEach((s, name) -> out.add(Map.entry(name, s.get().get())));
        return out;
    }

    private static boolean isPrefixed(String name) {
        return name.startsWith(PREFIX);
    }

    /** A checked CONFIG SET of proxy settings: nothing changes until {@link #apply()}. */
    final class Change {
        private final List<Setting> targets;
        private final List<Object> values;
        private final List<String> texts;

        private Change(List<Setting> targets, List<Object> values, List<String> texts) {
            this.targets = targets;
            this.values = values;
            this.texts = texts;
        }

        /** Applies every value, in the order given; each takes effect from its next use on. */
        void apply() {
            for (int i = 0; i < targets.size(); i++) {
                targets.get(i).apply().accept(values.get(i));
            }
        }

        /** {@code name=value} per setting for the log, with passwords hidden. */
        List<String> describe() {
            List<String> out = new ArrayList<>(targets.size());
            for (int i = 0; i < targets.size(); i++) {
                Setting s = targets.get(i);
                out.add(s.name() + "=" + (s.sensitive() ? "(hidden)" : texts.get(i)));
            }
            return out;
        }
    }

    /**
     * Checks a CONFIG SET of proxy settings, {@code name value [name value ...]}, in Redis 7.0's order
     * ({@code configSetCommand}): every name is known, none is given twice, then every value is valid.
     *
     * @throws IllegalArgumentException with Redis's error line (without the leading {@code -})
     */
    Change prepare(List<String> namesAndValues) {
        if ((namesAndValues.size() & 1) != 0) {
            throw new IllegalArgumentException("ERR syntax error");
        }
        List<Setting> targets = new ArrayList<>();
        for (int i = 0; i < namesAndValues.size(); i += 2) {
            String name = namesAndValues.get(i);
            Setting s = byName.get(name.toLowerCase(Locale.ROOT));
            if (s == null) {
                throw new IllegalArgumentException("ERR Unknown option or number of arguments for CONFIG SET - '"
                        + name + "'");
            }
            targets.add(s);
        }
        for (int i = 0; i < targets.size(); i++) {
            if (targets.subList(0, i).contains(targets.get(i))) {
                throw new IllegalArgumentException(failed(namesAndValues.get(2 * i), "duplicate parameter"));
            }
        }
        List<Object> values = new ArrayList<>(targets.size());
        List<String> texts = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            String text = namesAndValues.get(2 * i + 1);
            try {
                values.add(targets.get(i).parse().apply(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(failed(targets.get(i).name(), e.getMessage()));
            }
            texts.add(text);
        }
        return new Change(targets, values, texts);
    }

    /** Redis 7.0's error for a CONFIG SET it refuses. */
    private static String failed(String name, String reason) {
        return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason;
    }

    /** A boolean as Redis's bool configs take it ({@code yesnotoi}: yes or no, any case), with its error text. */
    private static boolean yesNo(String text) {
        if (text.equalsIgnoreCase("yes")) {
            return true;
        }
        if (text.equalsIgnoreCase("no")) {
            return false;
        }
        throw new IllegalArgumentException("argument must be 'yes' or 'no'");
    }

    /** A whole number as Redis's numeric configs take it, with their error texts. */
    private static long integer(String text, long min, long max) {
        long value;
        try {
            if (!INTEGER.matcher(text).matches()) {
                throw new NumberFormatException();
            }
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument couldn't be parsed into an integer");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("argument must be between " + min + " and " + max + " inclusive");
        }
        return value;
    }

    /**
     * A size as Redis's memory configs take it ({@code memtoull}): digits, then nothing or one of
     * {@code b k kb m mb g gb} ignoring case ({@code k} is 1000, {@code kb} 1024), with their error texts.
     */
    static long memory(String text, long min, long max) {
        int digits = 0;
        while (digits < text.length() && text.charAt(digits) >= '0' && text.charAt(digits) <= '9') {
            digits++;
        }
        long unit = RedisMemoryUnits.multiplier(text.substring(digits));
        long value;
        try {
            if (unit == 0 || digits == 0) {
                throw new NumberFormatException();
            }
            value = Math.multiplyExact(Long.parseLong(text.substring(0, digits)), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("argument must be a memory value");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("argument must be between " + min + " and " + max + " inclusive");
        }
        return value;
    }

    /** A log level, ignoring case, as Redis's enum configs take it, with their error text. */
    private static String level(String text) {
        return oneOf(text, LogLevelControl.LEVELS);
    }

    /** One of {@code choices} (lower case), ignoring case, as Redis's enum configs take it, with their error text. */
    private static String oneOf(String text, List<String> choices) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (!choices.contains(lower)) {
            throw new IllegalArgumentException("argument(s) must be one of the following: "
                    + String.join(", ", choices));
        }
        return lower;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * Redis's glob ({@code stringmatchlen} with {@code nocase}): {@code *} any run, {@code ?} one character,
     * {@code [abc]}, {@code [a-z]}, {@code [^...]} a class (an unterminated class runs to the end),
     * {@code \x} the character x; letters match ignoring ASCII case (an escaped character inside a class
     * does not, as in Redis). Matched by dynamic programming, so no pattern can take more than
     * pattern length times name length steps.
     */
    static boolean globMatch(String pattern, String string) {
        List<IntPredicate> tokens = new ArrayList<>(); // null: '*'
        int p = 0;
        int n = pattern.length();
        while (p < n) {
            char c = pattern.charAt(p);
            switch (c) {
                case '*' -> {
                    tokens.add(null);
                    p++;
                }
                case '?' -> {
                    tokens.add(ch -> true);
                    p++;
                }
                case '[' -> p = classToken(pattern, p + 1, tokens);
                case '\\' -> {
                    char literal = p + 1 < n ? pattern.charAt(p + 1) : '\\';
                    tokens.add(ch -> lower(ch) == lower(literal));
                    p += p + 1 < n ? 2 : 1;
                }
                default -> {
                    tokens.add(ch -> lower(ch) == lower(c));
                    p++;
                }
            }
        }
        // next[j]: tokens i+1.. match string[j..]; computed from the last token back
        int len = string.length();
        boolean[] next = new boolean[len + 1];
        boolean[] cur = new boolean[len + 1];
        next[len] = true;
        for (int i = tokens.size() - 1; i >= 0; i--) {
            IntPredicate token = tokens.get(i);
            if (token == null) {
                cur[len] = next[len];
                for (int j = len - 1; j >= 0; j--) {
                    cur[j] = next[j] || cur[j + 1];
                }
            } else {
                cur[len] = false;
                for (int j = len - 1; j >= 0; j--) {
                    cur[j] = next[j + 1] && token.test(string.charAt(j));
                }
            }
            boolean[] t = next;
            next = cur;
            cur = t;
        }
        return next[0];
    }

    /** Parses a class from just after its {@code [}; adds its token, returns the index after its {@code ]}. */
    private static int classToken(String pattern, int p, List<IntPredicate> tokens) {
        int n = pattern.length();
        boolean not = p < n && pattern.charAt(p) == '^';
        if (not) {
            p++;
        }
        List<IntPredicate> members = new ArrayList<>();
        while (p < n && pattern.charAt(p) != ']') {
            char c = pattern.charAt(p);
            if (c == '\\' && p + 1 < n) {
                char escaped = pattern.charAt(p + 1);
                members.add(ch -> ch == escaped);
                p += 2;
            } else if (p + 2 < n && pattern.charAt(p + 1) == '-') {
                char a = pattern.charAt(p);
                char b = pattern.charAt(p + 2);
                char start = lower(a <= b ? a : b);
                char end = lower(a <= b ? b : a);
                members.add(ch -> lower(ch) >= start && lower(ch) <= end);
                p += 3;
            } else {
                members.add(ch -> lower(ch) == lower(c));
                p++;
            }
        }
        boolean negate = not;
        tokens.add(ch -> members.stream().anyMatch(m -> m.test(ch)) != negate);
        return p < n ? p + 1 : n;
    }

    private static char lower(int c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : (char) c;
    }
}
