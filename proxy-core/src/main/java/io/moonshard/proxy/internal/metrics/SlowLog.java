package io.moonshard.proxy.internal.metrics;

import io.moonshard.proxy.internal.config.Credentials;
import io.moonshard.resp.RespCommand;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The proxy's slow log: Redis's SLOWLOG for commands as the proxy sees them, from the moment a request
 * is decoded to the moment its reply is complete (see {@code ClientSession}), with the part of that
 * spent waiting for a backend kept apart.
 *
 * <p>A bounded ring, newest entry first, ids increasing from 0 and never reused (RESET keeps the
 * counter, as Redis does). Sessions of every event loop add to it, so it is guarded by one lock; only
 * slow commands take it, and their arguments are copied before, outside the lock.
 */
public final class SlowLog {

    /** Redis's {@code SLOWLOG_ENTRY_MAX_ARGC}: more arguments and the last one shown says how many are left out. */
    static final int MAX_ARGC = 32;
    /** Redis's {@code SLOWLOG_ENTRY_MAX_STRING}: a longer argument is cut here and says how many bytes are left out. */
    static final int MAX_STRING = 128;

    private static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);
    private static final AsciiString AUTH = AsciiString.cached("AUTH");
    private static final AsciiString AUTH2 = AsciiString.cached("AUTH2");
    private static final AsciiString HELLO = AsciiString.cached("HELLO");
    private static final AsciiString SETNAME = AsciiString.cached("SETNAME");
    private static final AsciiString MIGRATE = AsciiString.cached("MIGRATE");
    private static final AsciiString KEYS = AsciiString.cached("KEYS");
    private static final AsciiString ACL = AsciiString.cached("ACL");
    private static final AsciiString SETUSER = AsciiString.cached("SETUSER");
    private static final AsciiString CONFIG = AsciiString.cached("CONFIG");
    private static final AsciiString SET = AsciiString.cached("SET");
    private static final AsciiString UMCTL = AsciiString.cached("UMCTL");
    private static final AsciiString SHUTDOWN = AsciiString.cached("SHUTDOWN");
    private static final AsciiString PEERAUTH = AsciiString.cached("PEERAUTH");
    /**
     * Redis 7.0's {@code SENSITIVE_CONFIG} parameters, and the proxy's own password setting
     * ({@link Credentials#PASSWORD_SETTING}): CONFIG SET hides their values.
     */
    private static final Set<String> SENSITIVE_CONFIGS = Set.of("masteruser", "masterauth", "requirepass",
            Credentials.PASSWORD_SETTING);

    /**
     * One slow command.
     *
     * @param id             increasing from 0
     * @param loggedAtMillis wall-clock time the entry was made (the reply was complete), ms since the epoch
     * @param durationMicros decoded to reply complete
     * @param backendMicros  of that, from the request's write to a backend to the backend's reply (for a
     *                       command split over several backends: from the first part out to the last reply
     *                       in); 0 when the proxy answered by itself
     * @param args           the arguments as Redis's SLOWLOG shows them (at most {@link #MAX_ARGC}, each cut
     *                       to {@link #MAX_STRING} bytes, secrets redacted)
     * @param client         the client's ip:port
     * @param clientName     its CLIENT SETNAME, or empty
     * @param clientId       its CLIENT ID
     */
    public record Entry(long id, long loggedAtMillis, long durationMicros, long backendMicros, byte[][] args,
                 String client, String clientName, long clientId) {

        /** Redis's timestamp: seconds since the epoch when the entry was made. */
        public long unixTimeSeconds() {
            return loggedAtMillis / 1000;
        }

        /** Time in the proxy: the duration less the backend's part. */
        public long proxyMicros() {
            return durationMicros - backendMicros;
        }
    }

    // both changeable at run time (CONFIG SET moonshard-slowlog-*): volatile, read once per use
    private volatile long logSlowerThanMicros;
    private volatile int maxLen;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>(); // newest first; guarded by this
    private long nextId; // guarded by this

    /**
     * @param logSlowerThanMicros log commands that take at least this long; 0 logs all, negative none
     * @param maxLen              entries kept
     */
    public SlowLog(long logSlowerThanMicros, int maxLen) {
        this.logSlowerThanMicros = logSlowerThanMicros;
        this.maxLen = maxLen;
    }

    public long logSlowerThanMicros() {
        return logSlowerThanMicros;
    }

    /**
     * Changes the threshold at run time. Commands decoded while the log was off (negative) are not
     * measured, so the first ones logged after turning it on are those read after this call.
     */
    public void logSlowerThanMicros(long micros) {
        logSlowerThanMicros = micros;
    }

    public int maxLen() {
        return maxLen;
    }

    /**
     * Changes the number of entries kept at run time. As in Redis, a shorter length takes effect with the
     * next entry logged, which drops the oldest ones down to it.
     */
    public void maxLen(int len) {
        maxLen = len;
    }

    /** Whether commands are measured at all ({@code slowlog_log_slower_than} is not negative). */
    public boolean enabled() {
        return logSlowerThanMicros >= 0;
    }

    /** Whether a command that took {@code durationMicros} belongs in the log. */
    public boolean isSlow(long durationMicros) {
        long threshold = logSlowerThanMicros;
        return threshold >= 0 && durationMicros >= threshold;
    }

    /** Logs {@code command}; its arguments are copied here, so the caller may release it after. */
    public void add(RespCommand command, long durationMicros, long backendMicros, String client, String clientName,
             long clientId) {
        byte[][] args = captureArgs(command);
        long now = System.currentTimeMillis();
        synchronized (this) {
            // as Redis: the id is taken even when max_len is 0 and the entry is dropped at once
            entries.addFirst(new Entry(nextId++, now, durationMicros, Math.min(backendMicros, durationMicros),
                    args, client, clientName == null ? "" : clientName, clientId));
            while (entries.size() > maxLen) {
                entries.removeLast();
            }
        }
    }

    /** The newest {@code count} entries (all of them when {@code count} is negative), newest first. */
    public synchronized List<Entry> newest(long count) {
        int n = count < 0 ? entries.size() : (int) Math.min(count, entries.size());
        List<Entry> out = new ArrayList<>(n);
        Iterator<Entry> it = entries.iterator();
        while (out.size() < n) {
            out.add(it.next());
        }
        return out;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** SLOWLOG RESET: drops every entry; ids go on from where they were. */
    public synchronized void reset() {
        entries.clear();
    }

    /**
     * The arguments as Redis's {@code slowlogCreateEntry} keeps them: over {@link #MAX_ARGC} arguments,
     * the first 31 and then {@code "... (N more arguments)"}; an argument over {@link #MAX_STRING} bytes
     * cut there and followed by {@code "... (N more bytes)"}; passwords as {@code "(redacted)"}, where
     * Redis's commands redact them (AUTH, HELLO ... AUTH, MIGRATE ... AUTH/AUTH2, ACL SETUSER, CONFIG SET
     * of a sensitive parameter) and for the admin password of UMCTL SHUTDOWN and UMCTL AUTH and the cluster
     * secret of UMCTL PEERAUTH.
     */
    static byte[][] captureArgs(RespCommand cmd) {
        int argc = cmd.argCount();
        int n = Math.min(argc, MAX_ARGC);
        BitSet redacted = redactions(cmd);
        byte[][] out = new byte[n][];
        for (int j = 0; j < n; j++) {
            if (n != argc && j == n - 1) {
                out[j] = ascii("... (" + (argc - n + 1) + " more arguments)");
            } else if (redacted.get(j)) {
                out[j] = REDACTED;
            } else if (cmd.argLength(j) > MAX_STRING) {
                byte[] suffix = ascii("... (" + (cmd.argLength(j) - MAX_STRING) + " more bytes)");
                byte[] arg = new byte[MAX_STRING + suffix.length];
                cmd.frame().getBytes(cmd.argOffset(j), arg, 0, MAX_STRING);
                System.arraycopy(suffix, 0, arg, MAX_STRING, suffix.length);
                out[j] = arg;
            } else {
                out[j] = cmd.argBytes(j);
            }
        }
        return out;
    }

    /** Which arguments hold secrets; Redis's {@code redactClientCommandArgument} calls, in one place. */
    static BitSet redactions(RespCommand cmd) {
        BitSet r = new BitSet();
        int argc = cmd.argCount();
        if (cmd.argEqualsIgnoreCase(0, AUTH)) {
            r.set(1, Math.max(1, argc)); // the password, and the user name: as Redis for 2 and 3 arguments
        } else if (cmd.argEqualsIgnoreCase(0, HELLO)) {
            for (int j = 2; j < argc; ) { // HELLO [protover [AUTH user pass] [SETNAME name]]
                int more = argc - 1 - j;
                if (cmd.argEqualsIgnoreCase(j, AUTH) && more >= 2) {
                    r.set(j + 1, j + 3);
                    j += 3;
                } else if (cmd.argEqualsIgnoreCase(j, SETNAME) && more >= 1) {
                    j += 2;
                } else {
                    break;
                }
            }
        } else if (cmd.argEqualsIgnoreCase(0, MIGRATE)) {
            for (int j = 6; j < argc; j++) { // MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH ...] [KEYS ...]
                if (cmd.argEqualsIgnoreCase(j, AUTH) && j + 1 < argc) {
                    r.set(++j);
                } else if (cmd.argEqualsIgnoreCase(j, AUTH2) && j + 2 < argc) {
                    r.set(j + 1, j + 3);
                    j += 2;
                } else if (cmd.argEqualsIgnoreCase(j, KEYS)) {
                    break;
                }
            }
        } else if (argc >= 3 && cmd.argEqualsIgnoreCase(0, ACL) && cmd.argEqualsIgnoreCase(1, SETUSER)) {
            r.set(2, argc);
        } else if (argc >= 2 && cmd.argEqualsIgnoreCase(0, CONFIG) && cmd.argEqualsIgnoreCase(1, SET)) {
            for (int j = 2; j + 1 < argc; j += 2) {
                if (SENSITIVE_CONFIGS.contains(cmd.argString(j).toLowerCase(Locale.ROOT))) {
                    r.set(j + 1);
                }
            }
        } else if (argc >= 3 && cmd.argEqualsIgnoreCase(0, UMCTL)
                && (cmd.argEqualsIgnoreCase(1, SHUTDOWN) || cmd.argEqualsIgnoreCase(1, AUTH)
                    || cmd.argEqualsIgnoreCase(1, PEERAUTH))) {
            r.set(2, argc); // the admin password, the cluster secret
        }
        return r;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
