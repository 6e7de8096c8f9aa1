package io.moonshard.proxy.acl;

import io.moonshard.cluster.command.CommandFlag;
import io.moonshard.cluster.command.CommandSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a selector allows, as Redis 7.0's {@code aclSelector}: a bit per command and subcommand, the
 * first arguments allowed of otherwise denied commands, key patterns and channel patterns. The root
 * selector of a user is written outside parentheses, the others inside {@code (...)}.
 * Mutable while rules are applied; published (inside an {@link AclUser}) only once built.
 *
 * <p>Its length is Redis's selector grammar ({@code ACLSetSelector}) and the checks of one request
 * against it, kept together so the two cannot disagree.
 */
final class AclSelector {

    private BitSet allowed = new BitSet();
    /** The reserved bit Redis sets with {@code +@all}: the user may run commands added later. */
    private boolean futureCommands;
    private boolean allCommands;
    private boolean allKeys;
    private boolean allChannels;
    /** By command id; only for commands without subcommands. */
    private Map<Integer, List<String>> firstArgs = new HashMap<>();
    private List<KeyPattern> keys = new ArrayList<>();
    private List<String> channels = new ArrayList<>();

    AclSelector copy() {
        AclSelector c = new AclSelector();
        c.allowed = (BitSet) allowed.clone();
        c.futureCommands = futureCommands;
        c.allCommands = allCommands;
        c.allKeys = allKeys;
        c.allChannels = allChannels;
        firstArgs.forEach((id, args) -> c.firstArgs.put(id, new ArrayList<>(args)));
        c.keys = new ArrayList<>(keys);
        c.channels = new ArrayList<>(channels);
        return c;
    }

    /** {@code ACLSetSelector}: applies one rule. */
    void apply(String op) throws AclException {
        if (op.equalsIgnoreCase("allkeys") || op.equalsIgnoreCase("~*")) {
            allKeys = true;
            keys.clear();
        } else if (op.equalsIgnoreCase("resetkeys")) {
            allKeys = false;
            keys.clear();
        } else if (op.equalsIgnoreCase("allchannels") || op.equalsIgnoreCase("&*")) {
            allChannels = true;
            channels.clear();
        } else if (op.equalsIgnoreCase("resetchannels")) {
            allChannels = false;
            channels.clear();
        } else if (op.equalsIgnoreCase("allcommands") || op.equalsIgnoreCase("+@all")) {
            allowed.set(0, CommandIds.TABLE.allCommands().size());
            futureCommands = true;
            allCommands = true;
            firstArgs.clear();
        } else if (op.equalsIgnoreCase("nocommands") || op.equalsIgnoreCase("-@all")) {
            allowed.clear();
            futureCommands = false;
            allCommands = false;
            firstArgs.clear();
        } else if (op.startsWith("~") || op.startsWith("%")) {
            addKeyPattern(op);
        } else if (op.startsWith("&")) {
            if (allChannels) {
                throw new AclException("Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
                        + "valid and does not have any effect. Try 'resetchannels' to start with an empty list of "
                        + "channels");
            }
            String pattern = op.substring(1);
            if (hasSpaces(pattern)) {
                throw new AclException(AclException.SYNTAX);
            }
            if (!channels.contains(pattern)) {
                channels.add(pattern);
            }
        } else if (op.startsWith("+") && !op.startsWith("+@")) {
            allowCommand(op.substring(1));
        } else if (op.startsWith("-") && !op.startsWith("-@")) {
            CommandSpec cmd = CommandIds.lookup(op.substring(1));
            if (cmd == null) {
                throw new AclException(AclException.UNKNOWN);
            }
            changePerm(cmd, false);
        } else if (op.startsWith("+@") || op.startsWith("-@")) {
            String category = Categories.find(op.substring(2));
            if (category == null) {
                throw new AclException(AclException.UNKNOWN);
            }
            setCategory(category, op.charAt(0) == '+');
        } else {
            throw new AclException(AclException.SYNTAX);
        }
    }

    private void addKeyPattern(String op) throws AclException {
        if (allKeys) {
            throw new AclException("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
                    + "does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
        }
        int access = 0;
        int offset = 1;
        if (op.charAt(0) == '%') {
            for (; offset < op.length(); offset++) {
                char c = Character.toUpperCase(op.charAt(offset));
                if (c == 'R' && (access & KeyPattern.READ) == 0) {
                    access |= KeyPattern.READ;
                } else if (c == 'W' && (access & KeyPattern.WRITE) == 0) {
                    access |= KeyPattern.WRITE;
                } else if (op.charAt(offset) == '~') {
                    offset++;
                    break;
                } else {
                    throw new AclException(AclException.SYNTAX);
                }
            }
            if (access == 0) {
                throw new AclException(AclException.SYNTAX); // redis-server 7.0.15 answers so for "%~x"
            }
        } else {
            access = KeyPattern.ALL;
        }
        String pattern = op.substring(offset);
        if (hasSpaces(pattern)) {
            throw new AclException(AclException.SYNTAX);
        }
        for (int i = 0; i < keys.size(); i++) {
            KeyPattern existing = keys.get(i);
            if (existing.pattern().equals(pattern)) {
                keys.set(i, new KeyPattern(pattern, existing.access() | access));
                return;
            }
        }
        keys.add(new KeyPattern(pattern, access));
    }

    private void allowCommand(String name) throws AclException {
        int bar = name.lastIndexOf('|');
        if (bar < 0) {
            CommandSpec cmd = CommandIds.lookup(name);
            if (cmd == null) {
                throw new AclException(AclException.UNKNOWN);
            }
            changePerm(cmd, true);
            return;
        }
        CommandSpec cmd = CommandIds.lookup(name.substring(0, bar));
        if (cmd == null) {
            throw new AclException(AclException.UNKNOWN);
        }
        if (cmd.containerName() != null) {
            throw new AclException("Allowing first-arg of a subcommand is not supported");
        }
        String sub = name.substring(bar + 1);
        if (sub.isEmpty()) {
            throw new AclException(AclException.SYNTAX);
        }
        if (cmd.isContainer()) {
            CommandSpec subcommand = CommandIds.lookup(name);
            if (subcommand == null) {
                throw new AclException(AclException.UNKNOWN);
            }
            changePerm(subcommand, true);
        } else {
            List<String> args = firstArgs.computeIfAbsent(CommandIds.id(cmd), id -> new ArrayList<>());
            for (String arg : args) {
                if (arg.equalsIgnoreCase(sub)) {
                    return;
                }
            }
            args.add(sub);
        }
    }

    private void setBit(int id, boolean value) {
        allowed.set(id, value);
        if (!value) {
            allCommands = false;
        }
    }

    /** {@code ACLChangeSelectorPerm}: a container's subcommands follow it. */
    private void changePerm(CommandSpec cmd, boolean allow) {
        int id = CommandIds.id(cmd);
        setBit(id, allow);
        firstArgs.remove(id);
        for (CommandSpec sub : cmd.subcommands()) {
            setBit(CommandIds.id(sub), allow);
        }
    }

    private void setCategory(String category, boolean allow) {
        for (CommandSpec cmd : CommandIds.TABLE.commands()) {
            if (cmd.aclCategories().contains(category)) {
                changePerm(cmd, allow);
            }
            for (CommandSpec sub : cmd.subcommands()) {
                if (sub.aclCategories().contains(category)) {
                    changePerm(sub, allow);
                }
            }
        }
    }

    private int[] countCategory(String category) {
        int on = 0;
        int off = 0;
        for (CommandSpec cmd : CommandIds.TABLE.allCommands()) {
            if (cmd.aclCategories().contains(category)) {
                if (allowed.get(CommandIds.id(cmd))) {
                    on++;
                } else {
                    off++;
                }
            }
        }
        return new int[] {on, off};
    }

    /**
     * {@code ACLDescribeSelectorCommandRules}: {@code +@all} or {@code -@all}, the categories that fit
     * best, then single commands. Redis takes the single commands in the order of its hashed command
     * dictionary, which changes with every process (its hash seed is random); here they come in name order.
     */
    String describeCommands() {
        StringBuilder rules = new StringBuilder();
        AclSelector fake = new AclSelector();
        boolean additive = !futureCommands;
        try {
            fake.apply(additive ? "-@all" : "+@all");
            rules.append(additive ? "-@all " : "+@all ");
            AclSelector temp = new AclSelector();
            temp.allowed = (BitSet) allowed.clone();
            boolean[] applied = new boolean[Categories.NAMES.size()];
            while (true) {
                int best = -1;
                long minDiff = Integer.MAX_VALUE;
                long maxSame = 0;
                for (int j = 0; j < applied.length; j++) {
                    if (applied[j]) {
                        continue;
                    }
                    int[] onOff = temp.countCategory(Categories.NAMES.get(j));
                    long diff = additive ? onOff[1] : onOff[0];
                    long same = additive ? onOff[0] : onOff[1];
                    if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame))) {
                        best = j;
                        minDiff = diff;
                        maxSame = same;
                    }
                }
                if (best == -1) {
                    break;
                }
                String name = Categories.NAMES.get(best);
                fake.apply((additive ? "+@" : "-@") + name);
                temp.apply((additive ? "-@" : "+@") + name);
                rules.append(additive ? "+@" : "-@").append(name).append(' ');
                applied[best] = true;
            }
        } catch (AclException e) {
            throw new IllegalStateException(e);
        }
        for (CommandSpec cmd : CommandIds.TABLE.commands()) {
            describeSingle(cmd, fake, rules);
            for (CommandSpec sub : cmd.subcommands()) {
                describeSingle(sub, fake, rules);
            }
            List<String> args = firstArgs.get(CommandIds.id(cmd));
            if (args != null && !allowed.get(CommandIds.id(cmd))) {
                for (String arg : args) {
                    rules.append('+').append(cmd.name()).append('|').append(arg).append(' ');
                }
            }
        }
        rules.setLength(rules.length() - 1);
        return rules.toString();
    }

    private void describeSingle(CommandSpec cmd, AclSelector fake, StringBuilder rules) {
        int id = CommandIds.id(cmd);
        boolean userBit = allowed.get(id);
        if (userBit != fake.allowed.get(id)) {
            rules.append(userBit ? '+' : '-').append(cmd.name()).append(' ');
            fake.changePerm(cmd, userBit);
        }
    }

    /** {@code ACLDescribeSelector}: keys, channels, then command rules, as ACL LIST shows them. */
    String describe() {
        StringBuilder out = new StringBuilder();
        if (allKeys) {
            out.append("~* ");
        } else {
            for (KeyPattern p : keys) {
                out.append(p.render()).append(' ');
            }
        }
        if (allChannels) {
            out.append("&* ");
        } else {
            out.append("resetchannels ");
            for (String c : channels) {
                out.append('&').append(c).append(' ');
            }
        }
        return out.append(describeCommands()).toString();
    }

    /** The {@code keys} field of ACL GETUSER. */
    String describeKeys() {
        if (allKeys) {
            return "~*";
        }
        StringBuilder out = new StringBuilder();
        for (KeyPattern p : keys) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(p.render());
        }
        return out.toString();
    }

    /** The {@code channels} field of ACL GETUSER. */
    String describeChannels() {
        if (allChannels) {
            return "&*";
        }
        StringBuilder out = new StringBuilder();
        for (String c : channels) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append('&').append(c);
        }
        return out.toString();
    }

    /**
     * {@code ACLSelectorCheckCmd}: 0 when allowed, else the reason ({@link AclCheck#DENIED_CMD},
     * {@link AclCheck#DENIED_KEY}, {@link AclCheck#DENIED_CHANNEL}) with the offending argument in
     * {@code argPos[0]}.
     */
    int check(AclRequest request, int[] argPos) {
        CommandSpec cmd = request.spec();
        if (!allCommands && !cmd.has(CommandFlag.NO_AUTH)) {
            int id = CommandIds.id(cmd);
            if (!allowed.get(id)) {
                List<String> args = firstArgs.get(id);
                if (request.argCount() < 2 || args == null) {
                    return AclCheck.DENIED_CMD;
                }
                String first = request.argString(cmd.containerName() != null ? 2 : 1);
                boolean found = false;
                for (String arg : args) {
                    if (arg.equalsIgnoreCase(first)) {
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return AclCheck.DENIED_CMD;
                }
            }
        }
        if (!allKeys && cmd.hasKeys()) {
            int n = request.keyCount();
            for (int j = 0; j < n; j++) {
                if (!keyAllowed(request.argBytes(request.keyPosition(j)), request.keyAccess(j))) {
                    argPos[0] = request.keyPosition(j);
                    return AclCheck.DENIED_KEY;
                }
            }
        }
        if (!allChannels) {
            int[] channelArgs = request.channelArgs();
            boolean pattern = request.channelsArePatterns();
            for (int pos : channelArgs) {
                if (!channelAllowed(request.argBytes(pos), pattern)) {
                    argPos[0] = pos;
                    return AclCheck.DENIED_CHANNEL;
                }
            }
        }
        return AclCheck.OK;
    }

    /** {@code ACLSelectorCheckKey}; {@code access} as {@link io.moonshard.cluster.command.KeyPositions#access}. */
    boolean keyAllowed(byte[] key, int access) {
        if (allKeys) {
            return true;
        }
        for (KeyPattern p : keys) {
            if ((p.access() & access) == access && Glob.matches(p.bytes(), key)) {
                return true;
            }
        }
        return false;
    }

    /** {@code ACLCheckChannelAgainstList}: a PSUBSCRIBE pattern must equal an ACL pattern literally. */
    boolean channelAllowed(byte[] channel, boolean isPattern) {
        if (allChannels) {
            return true;
        }
        String literal = new String(channel, StandardCharsets.ISO_8859_1);
        for (String c : channels) {
            if (isPattern ? c.equals(literal) : Glob.matches(c.getBytes(StandardCharsets.ISO_8859_1), channel)) {
                return true;
            }
        }
        return false;
    }

    boolean unrestricted() {
        return allCommands && allKeys && allChannels;
    }

    static boolean hasSpaces(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // C's isspace: space, \t, \n, \v, \f, \r; and NUL
            if (c == ' ' || (c >= '\t' && c <= '\r') || c == 0) {
                return true;
            }
        }
        return false;
    }
}
