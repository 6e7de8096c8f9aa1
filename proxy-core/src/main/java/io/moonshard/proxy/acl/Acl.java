package io.moonshard.proxy.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The proxy's users and its security log ({@code ACL LOG}), as Redis 7.0's {@code Users} and
 * {@code ACLLog}. Changes are serialised on this object; a connection checks its commands against the
 * {@link AclUser} it holds, without locking.
 */
public final class Acl {

    /** Redis's {@code acllog-max-len} default. */
    static final int LOG_MAX_LEN = 128;
    /** {@code ACL_LOG_GROUPING_MAX_TIME_DELTA}: similar denials within this time share one entry. */
    static final long LOG_GROUPING_MS = 60_000;

    private final TreeMap<String, AclUser> users = new TreeMap<>();
    private final Deque<LogEntry> log = new ArrayDeque<>();
    private final Path aclFile;

    /**
     * The users of a proxy's configuration: {@code default} with {@code password} (or {@code nopass}),
     * each named user with full permissions and its password, then the users of {@code aclFile} when one
     * is set (which may redefine any of them).
     *
     * @throws IllegalArgumentException the ACL file cannot be read or has an error
     */
    public Acl(String password, Map<String, String> namedUsers, Path aclFile) {
        this.aclFile = aclFile;
        users.put("default", new AclUser("default", defaultRules(password)));
        for (Map.Entry<String, String> e : namedUsers.entrySet()) {
            AclUser.Rules rules = defaultRules(e.getValue());
            users.put(e.getKey(), new AclUser(e.getKey(), rules));
        }
        if (aclFile != null && Files.exists(aclFile)) {
            String errors = load();
            if (errors != null) {
                throw new IllegalArgumentException("aclfile: " + errors);
            }
        }
    }

    private static AclUser.Rules defaultRules(String password) {
        AclUser.Rules rules = new AclUser.Rules();
        try {
            for (String op : List.of("+@all", "~*", "&*", "on")) {
                rules.apply(op);
            }
            rules.apply(password == null ? "nopass" : ">" + password);
        } catch (AclException e) {
            throw new IllegalStateException(e);
        }
        return rules;
    }

    public synchronized AclUser user(String name) {
        return users.get(name);
    }

    public AclUser defaultUser() {
        return user("default");
    }

    /** Usernames in Redis's order (its radix tree: byte order). */
    public synchronized List<String> userNames() {
        return new ArrayList<>(users.keySet());
    }

    /** {@code requirepass} at run time: the default user's passwords become {@code password}, or nopass. */
    public synchronized void defaultPassword(String password) {
        AclUser user = users.get("default");
        AclUser.Rules next = user.rules().copy();
        try {
            next.apply("resetpass");
            next.apply(password == null ? "nopass" : ">" + password);
        } catch (AclException e) {
            throw new IllegalStateException(e);
        }
        user.rules(next);
    }

    /**
     * {@code ACLAuthenticateUser}: the user when {@code name}/{@code password} log in, else null
     * (no such user, disabled, or no password matched).
     */
    public AclUser authenticate(String name, byte[] password) {
        AclUser user = user(name);
        if (user == null || !user.enabled() || !user.passwordMatches(password)) {
            return null;
        }
        return user;
    }

    /** {@code ACL SETUSER name args...}: null when done, else Redis's error reply. */
    public synchronized String setUser(String name, List<String> args) {
        if (AclSelector.hasSpaces(name)) {
            return "ERR Usernames can't contain spaces or null characters";
        }
        List<String> merged = mergeSelectors(args);
        if (merged == null) {
            String openedAt = null;
            for (String op : args) {
                if (op.startsWith("(") && !op.endsWith(")")) {
                    openedAt = op; // the last one opened is the one left unmatched
                } else if (op.endsWith(")")) {
                    openedAt = null;
                }
            }
            return "ERR Unmatched parenthesis in acl selector starting at '" + openedAt + "'.";
        }
        AclUser existing = users.get(name);
        AclUser.Rules next = existing == null ? new AclUser.Rules() : existing.rules().copy();
        for (String op : merged) {
            try {
                next.apply(op);
            } catch (AclException e) {
                return "ERR Error in ACL SETUSER modifier '" + op + "': " + e.getMessage();
            }
        }
        if (existing == null) {
            users.put(name, new AclUser(name, next));
        } else {
            existing.rules(next);
        }
        return null;
    }

    /** {@code ACL DELUSER}: how many were deleted, or -1 when {@code default} is among them. */
    public synchronized int delUsers(List<String> names) {
        if (names.contains("default")) {
            return -1;
        }
        int deleted = 0;
        for (String name : names) {
            AclUser user = users.remove(name);
            if (user != null) {
                user.markDeleted();
                deleted++;
            }
        }
        return deleted;
    }

    /** {@code ACL LIST}: one line per user, in the ACL file's format. */
    public synchronized List<String> list() {
        List<String> lines = new ArrayList<>(users.size());
        for (AclUser u : users.values()) {
            lines.add("user " + u.name() + " " + u.rules().describe());
        }
        return lines;
    }

    /** Whether an ACL file is configured (ACL LOAD and SAVE need one). */
    public boolean hasFile() {
        return aclFile != null;
    }

    /**
     * {@code ACL LOAD}: replaces all users by the file's, or changes nothing and returns the errors in
     * {@code ACLLoadFromFile}'s words; users not in the file are deleted, and {@code default} gets its
     * built-in rules unless the file defines it.
     */
    public synchronized String load() {
        String text;
        try {
            text = Files.readString(aclFile, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "Error loading ACLs, opening file '" + aclFile + "': " + e.getMessage();
        }
        String[] lines = text.split("\n", -1);
        TreeMap<String, AclUser.Rules> loaded = new TreeMap<>();
        // as Redis, a user counts as defined from its line on, even when its rules fail
        Set<String> seen = new HashSet<>();
        StringBuilder errors = new StringBuilder();
        for (int n = 0; n < lines.length; n++) {
            String line = trim(lines[n], " \t\r\n");
            if (line.isEmpty()) {
                continue;
            }
            int lineNumber = n + 1;
            String[] words = line.split(" ", -1);
            if (!words[0].equals("user") || words.length < 2) {
                errors.append(aclFile).append(':').append(lineNumber)
                        .append(" should start with user keyword followed by the username. ");
                continue;
            }
            if (AclSelector.hasSpaces(words[1])) {
                errors.append('\'').append(aclFile).append(':').append(lineNumber).append(": username '")
                        .append(words[1]).append("' contains invalid characters. ");
                continue;
            }
            if (!seen.add(words[1])) {
                errors.append("WARNING: Duplicate user '").append(words[1]).append("' found on line ")
                        .append(lineNumber).append(". ");
                continue;
            }
            List<String> ops = mergeSelectors(List.of(words).subList(2, words.length));
            if (ops == null) {
                errors.append(aclFile).append(':').append(lineNumber)
                        .append(": Unmatched parenthesis in selector definition.");
                continue;
            }
            AclUser.Rules rules = new AclUser.Rules();
            boolean syntaxError = false;
            for (String op : ops) {
                String rule = trim(op, "\t\r\n");
                try {
                    rules.apply(rule);
                } catch (AclException e) {
                    if (e.getMessage().equals(AclException.UNKNOWN)) {
                        errors.append(aclFile).append(':').append(lineNumber).append(": Error in applying operation '")
                                .append(rule).append("': ").append(e.getMessage()).append(". ");
                    } else if (!syntaxError) {
                        errors.append(aclFile).append(':').append(lineNumber).append(": ").append(e.getMessage())
                                .append(". ");
                        syntaxError = true;
                    }
                }
            }
            if (errors.length() == 0) {
                loaded.put(words[1], rules);
            }
        }
        if (errors.length() > 0) {
            return errors.append("WARNING: ACL errors detected, no change to the previously active ACL rules "
                    + "was performed").toString();
        }
        if (!loaded.containsKey("default")) {
            loaded.put("default", defaultRules(null));
        }
        for (Map.Entry<String, AclUser> e : new ArrayList<>(users.entrySet())) {
            AclUser.Rules next = loaded.get(e.getKey());
            if (next == null) {
                users.remove(e.getKey()).markDeleted();
            } else {
                e.getValue().rules(next);
            }
        }
        loaded.forEach((name, rules) -> users.computeIfAbsent(name, k -> new AclUser(name, rules)));
        return null;
    }

    /** {@code ACLMergeSelectorArguments}: a selector split over arguments becomes one; null when unmatched. */
    private static List<String> mergeSelectors(List<String> args) {
        List<String> merged = new ArrayList<>();
        StringBuilder selector = null;
        for (String op : args) {
            if (op.startsWith("(") && !op.endsWith(")")) {
                selector = new StringBuilder(op); // as Redis: a new opening drops an unclosed one
            } else if (selector != null) {
                selector.append(' ').append(op);
                if (op.endsWith(")")) {
                    merged.add(selector.toString());
                    selector = null;
                }
            } else {
                merged.add(op);
            }
        }
        return selector == null ? merged : null;
    }

    /** {@code sdstrim}: drops the characters of {@code set} from both ends. */
    private static String trim(String s, String set) {
        int start = 0;
        int end = s.length();
        while (start < end && set.indexOf(s.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && set.indexOf(s.charAt(end - 1)) >= 0) {
            end--;
        }
        return s.substring(start, end);
    }

    /** {@code ACL SAVE}: writes every user to the ACL file (through a temporary file, then renamed). */
    public synchronized void save() throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : list()) {
            out.append(line).append('\n');
        }
        Path tmp = aclFile.resolveSibling(aclFile.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, out, StandardCharsets.ISO_8859_1);
        Files.move(tmp, aclFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** {@code addACLLogEntry}: a denial, grouped with a similar one of the last 60 s among the newest 10. */
    public synchronized void log(int reason, String context, String object, String username, String clientInfo) {
        long now = System.currentTimeMillis();
        int scanned = 0;
        for (var it = log.iterator(); it.hasNext() && scanned < 10; scanned++) {
            LogEntry e = it.next();
            if (e.reason == reason && e.context.equals(context) && Math.abs(now - e.millis) <= LOG_GROUPING_MS
                    && e.object.equals(object) && e.username.equals(username)) {
                it.remove();
                log.addFirst(new LogEntry(e.count + 1, reason, context, object, username, now, clientInfo));
                return;
            }
        }
        log.addFirst(new LogEntry(1, reason, context, object, username, now, clientInfo));
        while (log.size() > LOG_MAX_LEN) {
            log.removeLast();
        }
    }

    /** The newest {@code count} log entries, newest first. */
    public synchronized List<LogEntry> logEntries(long count) {
        List<LogEntry> out = new ArrayList<>();
        for (LogEntry e : log) {
            if (out.size() >= count) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    public synchronized void resetLog() {
        log.clear();
    }

    /** One ACL LOG entry. */
    public record LogEntry(long count, int reason, String context, String object, String username, long millis,
                           String clientInfo) {

        public String reasonName() {
            return switch (reason) {
                case AclCheck.DENIED_CMD -> "command";
                case AclCheck.DENIED_KEY -> "key";
                case AclCheck.DENIED_CHANNEL -> "channel";
                case AclCheck.DENIED_AUTH -> "auth";
                default -> "unknown";
            };
        }
    }

    /** {@code ACL GETUSER}'s fields of one selector: commands, keys, channels. */
    public static List<String> describeSelector(AclUser user, int selector) {
        AclSelector s = user.rules().selectors.get(selector);
        return List.of(s.describeCommands(), s.describeKeys(), s.describeChannels());
    }

    public static int selectorCount(AclUser user) {
        return user.rules().selectors.size();
    }

    public static List<String> flags(AclUser user) {
        return user.rules().flags();
    }

    public static List<String> passwordHashes(AclUser user) {
        return List.copyOf(user.rules().passwords);
    }

    /** ACL CAT: the categories. */
    public static List<String> categories() {
        return Categories.NAMES;
    }

    /** ACL CAT category: its commands and subcommands; null for an unknown category. */
    public static List<String> commandsIn(String category) {
        String name = Categories.find(category);
        if (name == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (var cmd : CommandIds.TABLE.allCommands()) {
            if (cmd.aclCategories().contains(name)) {
                out.add(cmd.name());
            }
        }
        return out;
    }
}
