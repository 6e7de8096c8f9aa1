package io.moonshard.proxy.acl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A user. Connections authenticated as it keep this object, so {@code ACL SETUSER} changes what they
 * may do at once, as in Redis; its rules are replaced whole ({@link Rules} is never changed once published).
 */
public final class AclUser {

    private final String name;
    private volatile Rules rules;
    private volatile boolean deleted;

    AclUser(String name, Rules rules) {
        this.name = name;
        this.rules = rules;
    }

    public String name() {
        return name;
    }

    Rules rules() {
        return rules;
    }

    void rules(Rules next) {
        rules = next;
    }

    /** Whether {@code ACL DELUSER} (or {@code ACL LOAD}) removed this user; its connections are closed. */
    public boolean deleted() {
        return deleted;
    }

    void markDeleted() {
        deleted = true;
    }

    /** Whether {@code password} logs in as this user ({@code ACLCheckUserCredentials}), enabled or not aside. */
    boolean passwordMatches(byte[] password) {
        Rules r = rules;
        if (r.nopass) {
            return true;
        }
        byte[] hashed = Rules.hash(password).getBytes(StandardCharsets.US_ASCII);
        boolean match = false;
        for (String p : r.passwords) {
            match |= MessageDigest.isEqual(hashed, p.getBytes(StandardCharsets.US_ASCII));
        }
        return match;
    }

    public boolean enabled() {
        return rules.enabled;
    }

    /** Whether this user needs no password ({@code nopass}). */
    public boolean nopass() {
        return rules.nopass;
    }

    /** Whether every command, key and channel is allowed ({@code +@all ~* &*}): nothing to check. */
    public boolean unrestricted() {
        return rules.root().unrestricted();
    }

    /**
     * The name and rules of the user the proxy creates on a backend to run this user's scripts, so that
     * the commands a script calls obey the same rules ({@code redis.call}, {@code redis.acl_check_cmd}).
     * Fixed for as long as the rules are; the name ends in a digest of the rules, so a name always
     * stands for one set of rules and connections that install it cannot undo each other's change.
     */
    public BackendMirror backendMirror() {
        Rules r = rules;
        BackendMirror m = r.mirror;
        if (m == null) {
            m = BackendMirror.of(name, r);
            r.mirror = m; // benign race: every thread computes the same value
        }
        return m;
    }

    /**
     * See {@link #backendMirror}. {@code rules} are ACL SETUSER arguments without flags or passwords:
     * selectors (root first) and {@code skip-sanitize-payload} when set.
     */
    public record BackendMirror(String name, List<String> rules) {
        static BackendMirror of(String user, Rules r) {
            List<String> rules = new ArrayList<>();
            if (r.sanitize == 2) {
                rules.add("skip-sanitize-payload");
            }
            for (String part : r.root().describe().split(" ")) {
                rules.add(part);
            }
            for (int i = 1; i < r.selectors.size(); i++) {
                rules.add("(" + r.selectors.get(i).describe() + ")");
            }
            String digest = Rules.hash(String.join(" ", rules).getBytes(StandardCharsets.UTF_8)).substring(0, 16);
            // Redis allows any name without spaces; the digest after the last '~' keeps two users'
            // mirrors apart even when a proxy user's name contains '~'
            return new BackendMirror("moonshard~" + user + "~" + digest, List.copyOf(rules));
        }
    }

    /** {@code ACLCheckAllUserCommandPerm} over all selectors. */
    public AclCheck check(AclRequest request) {
        Rules r = rules;
        int relevant = AclCheck.DENIED_CMD;
        int lastIdx = 0;
        int[] pos = new int[1];
        for (AclSelector s : r.selectors) {
            pos[0] = 0;
            int result = s.check(request, pos);
            if (result == AclCheck.OK) {
                return AclCheck.ALLOWED;
            }
            if (result > relevant || (result == relevant && pos[0] > lastIdx)) {
                relevant = result;
                lastIdx = pos[0];
            }
        }
        return new AclCheck(relevant, lastIdx);
    }

    /** A user's flags, passwords and selectors (root first), as Redis's {@code user} struct. */
    static final class Rules {
        boolean enabled;
        boolean nopass;
        /** 0: neither flag, 1: sanitize-payload, 2: skip-sanitize-payload. */
        int sanitize;
        final List<String> passwords = new ArrayList<>();
        final List<AclSelector> selectors = new ArrayList<>();
        /** {@link AclUser#backendMirror}, computed on first use once these rules are published. */
        volatile BackendMirror mirror;

        Rules() {
            selectors.add(new AclSelector());
        }

        Rules copy() {
            Rules c = new Rules();
            c.enabled = enabled;
            c.nopass = nopass;
            c.sanitize = sanitize;
            c.passwords.addAll(passwords);
            c.selectors.clear();
            for (AclSelector s : selectors) {
                c.selectors.add(s.copy());
            }
            return c;
        }

        AclSelector root() {
            return selectors.get(0);
        }

        /** {@code ACLSetUser}: one rule; selectors in parentheses arrive merged into one argument. */
        void apply(String op) throws AclException {
            if (op.isEmpty()) {
                return;
            }
            if (op.equalsIgnoreCase("on")) {
                enabled = true;
            } else if (op.equalsIgnoreCase("off")) {
                enabled = false;
            } else if (op.equalsIgnoreCase("skip-sanitize-payload")) {
                sanitize = 2;
            } else if (op.equalsIgnoreCase("sanitize-payload")) {
                sanitize = 1;
            } else if (op.equalsIgnoreCase("nopass")) {
                nopass = true;
                passwords.clear();
            } else if (op.equalsIgnoreCase("resetpass")) {
                nopass = false;
                passwords.clear();
            } else if (op.charAt(0) == '>' || op.charAt(0) == '#') {
                String hash = op.charAt(0) == '>' ? hash(op.substring(1).getBytes(StandardCharsets.ISO_8859_1))
                        : checkedHash(op.substring(1));
                if (!passwords.contains(hash)) {
                    passwords.add(hash);
                }
                nopass = false;
            } else if (op.charAt(0) == '<' || op.charAt(0) == '!') {
                String hash = op.charAt(0) == '<' ? hash(op.substring(1).getBytes(StandardCharsets.ISO_8859_1))
                        : checkedHash(op.substring(1));
                if (!passwords.remove(hash)) {
                    throw new AclException("The password you are trying to remove from the user does not exist");
                }
            } else if (op.charAt(0) == '(' && op.charAt(op.length() - 1) == ')') {
                AclSelector s = new AclSelector();
                for (String part : op.substring(1, op.length() - 1).split(" ")) {
                    if (!part.isEmpty()) {
                        s.apply(part);
                    }
                }
                selectors.add(s);
            } else if (op.equalsIgnoreCase("clearselectors")) {
                selectors.subList(1, selectors.size()).clear();
            } else if (op.equalsIgnoreCase("reset")) {
                apply("resetpass");
                apply("resetkeys");
                apply("resetchannels");
                apply("off");
                apply("sanitize-payload");
                apply("clearselectors");
                apply("-@all");
            } else {
                root().apply(op);
            }
        }

        private static String checkedHash(String hash) throws AclException {
            boolean ok = hash.length() == 64;
            for (int i = 0; ok && i < hash.length(); i++) {
                char c = hash.charAt(i);
                ok = (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
            }
            if (!ok) {
                throw new AclException("The password hash must be exactly 64 characters and contain only "
                        + "lowercase hexadecimal characters");
            }
            return hash;
        }

        static String hash(byte[] password) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(password));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The user's flags in {@code ACLUserFlags} order. */
        List<String> flags() {
            List<String> flags = new ArrayList<>(4);
            flags.add(enabled ? "on" : "off");
            if (nopass) {
                flags.add("nopass");
            }
            if (sanitize == 2) {
                flags.add("skip-sanitize-payload");
            } else if (sanitize == 1) {
                flags.add("sanitize-payload");
            }
            return flags;
        }

        /** {@code ACLDescribeUser}: the rules as ACL LIST and the ACL file show them. */
        String describe() {
            StringBuilder out = new StringBuilder();
            for (String f : flags()) {
                out.append(f).append(' ');
            }
            for (String p : passwords) {
                out.append('#').append(p).append(' ');
            }
            out.append(root().describe());
            for (int i = 1; i < selectors.size(); i++) {
                out.append(" (").append(selectors.get(i).describe()).append(')');
            }
            return out.toString();
        }
    }
}
