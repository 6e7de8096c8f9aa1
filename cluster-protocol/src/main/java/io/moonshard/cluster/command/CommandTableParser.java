package io.moonshard.cluster.command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the command table text format written by the generator (see {@link CommandTable#RESOURCE}):
 * <pre>
 * name arity=N flags=F,.. acl=C,.. legacy=FIRST,LAST,STEP group=G tips=T,.. [key=FLAGS/BEGIN/FIND]...
 * </pre>
 * with {@code BEGIN = index:POS | keyword:WORD:STARTFROM | unknown},
 * {@code FIND = range:LASTKEY:KEYSTEP:LIMIT | keynum:KEYNUMIDX:FIRSTKEY:KEYSTEP | unknown}, {@code -} for an
 * empty list, {@code #} comments and one {@code @redis_version=V} line. Subcommand lines
 * ({@code container|sub}) follow their container.
 */
final class CommandTableParser {

    /** One parsed line before subcommands are attached. */
    private record Line(String name, int arity, Set<CommandFlag> flags, Set<String> acl, int[] legacy,
                        String group, List<String> tips, List<KeySpec> keySpecs) {
    }

    private final List<CommandSpec> commands = new ArrayList<>();
    private String redisVersion = "unknown";
    private Line pendingContainer;
    private final List<CommandSpec> pendingSubs = new ArrayList<>();

    static CommandTable parse(String text) {
        CommandTableParser parser = new CommandTableParser();
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                parser.accept(line);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("command table line " + lineNo + ": " + e.getMessage()
                        + " in: " + line, e);
            }
        }
        parser.flush();
        return new CommandTable(parser.redisVersion, parser.commands);
    }

    private void accept(String line) {
        if (line.startsWith("@redis_version=")) {
            redisVersion = line.substring("@redis_version=".length());
            return;
        }
        Line parsed = parseLine(line);
        int bar = parsed.name.indexOf('|');
        if (bar >= 0) {
            if (pendingContainer == null || !pendingContainer.name.equals(parsed.name.substring(0, bar))) {
                throw new IllegalArgumentException("subcommand before its container");
            }
            pendingSubs.add(build(parsed, List.of()));
        } else {
            flush();
            pendingContainer = parsed;
        }
    }

    private void flush() {
        if (pendingContainer != null) {
            commands.add(build(pendingContainer, pendingSubs));
            pendingContainer = null;
            pendingSubs.clear();
        }
    }

    private static CommandSpec build(Line l, List<CommandSpec> subs) {
        return new CommandSpec(l.name, l.arity, l.flags, l.acl, l.legacy, l.group, l.tips, l.keySpecs, subs);
    }

    private static Line parseLine(String line) {
        String[] fields = line.split(" +");
        String name = fields[0];
        if (!name.equals(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("name must be lower case");
        }
        Integer arity = null;
        Set<CommandFlag> flags = EnumSet.noneOf(CommandFlag.class);
        Set<String> acl = new LinkedHashSet<>();
        int[] legacy = {0, 0, 0};
        String group = "unknown";
        List<String> tips = new ArrayList<>();
        List<KeySpec> keySpecs = new ArrayList<>();
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i];
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected name=value, got " + field);
            }
            String value = field.substring(eq + 1);
            switch (field.substring(0, eq)) {
                case "arity" -> arity = Integer.parseInt(value);
                case "flags" -> {
                    for (String f : list(value)) {
                        CommandFlag flag = CommandFlag.fromRedisName(f);
                        if (flag == null) {
                            throw new IllegalArgumentException("unknown command flag " + f);
                        }
                        flags.add(flag);
                    }
                }
                case "acl" -> acl.addAll(list(value));
                case "legacy" -> {
                    String[] parts = value.split(",");
                    if (parts.length != 3) {
                        throw new IllegalArgumentException("legacy needs first,last,step");
                    }
                    legacy = new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
                }
                case "group" -> group = value;
                case "tips" -> tips.addAll(list(value));
                case "key" -> keySpecs.add(keySpec(value));
                default -> throw new IllegalArgumentException("unknown field " + field.substring(0, eq));
            }
        }
        if (arity == null || arity == 0) {
            throw new IllegalArgumentException("missing or zero arity");
        }
        return new Line(name, arity, flags, acl, legacy, group, tips, keySpecs);
    }

    private static KeySpec keySpec(String value) {
        String[] parts = value.split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("key spec needs FLAGS/BEGIN/FIND, got " + value);
        }
        Set<KeyFlag> flags = EnumSet.noneOf(KeyFlag.class);
        for (String f : list(parts[0])) {
            KeyFlag flag = KeyFlag.fromRedisName(f);
            if (flag == null) {
                throw new IllegalArgumentException("unknown key flag " + f);
            }
            flags.add(flag);
        }
        String[] begin = parts[1].split(":", -1);
        KeySpec.BeginSearch beginSearch = switch (begin[0]) {
            case "index" -> new KeySpec.Index(ints(begin, 1)[0]);
            case "keyword" -> {
                if (begin.length != 3 || begin[1].isEmpty()) {
                    throw new IllegalArgumentException("keyword needs WORD:STARTFROM");
                }
                yield new KeySpec.Keyword(begin[1], Integer.parseInt(begin[2]));
            }
            case "unknown" -> new KeySpec.Unknown();
            default -> throw new IllegalArgumentException("unknown begin search " + parts[1]);
        };
        String[] find = parts[2].split(":", -1);
        KeySpec.FindKeys findKeys = switch (find[0]) {
            case "range" -> {
                int[] v = ints(find, 3);
                yield new KeySpec.Range(v[0], v[1], v[2]);
            }
            case "keynum" -> {
                int[] v = ints(find, 3);
                yield new KeySpec.KeyNum(v[0], v[1], v[2]);
            }
            case "unknown" -> new KeySpec.Unknown();
            default -> throw new IllegalArgumentException("unknown find keys " + parts[2]);
        };
        return new KeySpec(flags, beginSearch, findKeys);
    }

    private static int[] ints(String[] parts, int n) {
        if (parts.length != n + 1) {
            throw new IllegalArgumentException("expected " + n + " numbers after " + parts[0]);
        }
        return Arrays.stream(parts, 1, parts.length).mapToInt(Integer::parseInt).toArray();
    }

    private static List<String> list(String value) {
        return value.equals("-") ? List.of() : List.of(value.split(","));
    }
}
