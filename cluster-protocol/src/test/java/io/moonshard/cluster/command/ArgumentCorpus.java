package io.moonshard.cluster.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds realistic argument vectors for every command from its {@code COMMAND DOCS} argument tree:
 * keys become {@code key:N}, other values a plain token of their type, {@code numkeys} is set to the
 * number of keys that follow it. Each command gets several variants: required arguments only, then
 * every optional argument with repeated {@code multiple} arguments and different {@code oneof} choices.
 */
final class ArgumentCorpus {

    /** One documented argument. */
    record Arg(String name, String type, String token, boolean optional, boolean multiple,
               boolean multipleToken, List<Arg> children) {
    }

    /** One generated argument with the type it was generated from. */
    private record Value(String text, String type) {
    }

    private ArgumentCorpus() {
    }

    /** Argument trees by full lower-case name ({@code "get"}, {@code "config|get"}) from a COMMAND DOCS reply. */
    static Map<String, List<Arg>> parseDocs(Object docsReply) {
        Map<String, List<Arg>> out = new LinkedHashMap<>();
        collect(asList(docsReply), out);
        return out;
    }

    private static void collect(List<Object> docs, Map<String, List<Arg>> out) {
        for (int i = 0; i + 1 < docs.size(); i += 2) {
            String name = RespConnection.text(docs.get(i)).toLowerCase();
            Map<String, Object> fields = asMap(docs.get(i + 1));
            out.put(name, fields.containsKey("arguments") ? args(fields.get("arguments")) : List.of());
            if (fields.get("subcommands") instanceof List<?> subs) {
                collect(asList(subs), out);
            }
        }
    }

    private static List<Arg> args(Object reply) {
        List<Arg> args = new ArrayList<>();
        for (Object o : asList(reply)) {
            Map<String, Object> f = asMap(o);
            Set<String> flags = new LinkedHashSet<>();
            if (f.get("flags") instanceof List<?> l) {
                for (Object flag : l) {
                    flags.add(RespConnection.text(flag));
                }
            }
            args.add(new Arg(RespConnection.text(f.get("name")), RespConnection.text(f.get("type")),
                    f.containsKey("token") ? RespConnection.text(f.get("token")) : null,
                    flags.contains("optional"), flags.contains("multiple"), flags.contains("multiple_token"),
                    f.containsKey("arguments") ? args(f.get("arguments")) : List.of()));
        }
        return args;
    }

    /**
     * Argument vectors for command {@code fullName} ({@code "config|get"} gives {@code CONFIG GET ...}),
     * without duplicates.
     */
    static List<List<String>> vectors(String fullName, List<Arg> args) {
        Set<List<String>> out = new LinkedHashSet<>();
        int[][] variants = {{0, 1, 0}, {1, 1, 0}, {1, 2, 1}, {1, 3, 2}, {1, 2, 3}, {0, 2, 1}};
        for (int[] v : variants) {
            Generator g = new Generator(v[0] == 1, v[1], v[2]);
            List<Value> values = new ArrayList<>();
            for (String part : fullName.split("\\|")) {
                values.add(new Value(part.toUpperCase(), "name"));
            }
            for (Arg a : args) {
                g.emit(a, values, 0);
            }
            fixNumkeys(values);
            List<String> vector = new ArrayList<>();
            for (Value value : values) {
                vector.add(value.text);
            }
            out.add(vector);
        }
        return new ArrayList<>(out);
    }

    /** Sets every integer called numkeys to the number of key arguments right after it. */
    private static void fixNumkeys(List<Value> values) {
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).type.equals("numkeys")) {
                int n = 0;
                while (i + 1 + n < values.size() && values.get(i + 1 + n).type.equals("key")) {
                    n++;
                }
                values.set(i, new Value(Integer.toString(n), "integer"));
            }
        }
    }

    private static final class Generator {
        private final boolean optional;
        private final int repeat;
        private final int choice;
        private int keys;
        private int strings;

        Generator(boolean optional, int repeat, int choice) {
            this.optional = optional;
            this.repeat = repeat;
            this.choice = choice;
        }

        void emit(Arg a, List<Value> out, int depth) {
            if (a.optional && !optional) {
                return;
            }
            int times = a.multiple ? repeat : 1;
            for (int t = 0; t < times; t++) {
                if (a.token != null && (t == 0 || a.multipleToken)) {
                    out.add(new Value(a.token, "token"));
                }
                switch (a.type) {
                    case "pure-token" -> { }
                    case "block" -> {
                        for (Arg c : a.children) {
                            emit(c, out, depth + 1);
                        }
                    }
                    case "oneof" -> emit(a.children.get((choice + depth) % a.children.size()), out, depth + 1);
                    case "key" -> out.add(new Value("key:" + (++keys), "key"));
                    case "integer" -> out.add(a.name.equalsIgnoreCase("numkeys") ? new Value("?", "numkeys")
                            : new Value("1", "integer"));
                    case "double" -> out.add(new Value("1.5", "double"));
                    case "unix-time" -> out.add(new Value("1700000000", "unix-time"));
                    case "pattern" -> out.add(new Value("pat*", "pattern"));
                    default -> out.add(new Value("str" + (++strings), "string"));
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object reply) {
        if (reply instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalStateException("expected an array, got "
                + (reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply));
    }

    private static Map<String, Object> asMap(Object reply) {
        List<Object> flat = asList(reply);
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put(RespConnection.text(flat.get(i)), flat.get(i + 1));
        }
        return map;
    }
}
