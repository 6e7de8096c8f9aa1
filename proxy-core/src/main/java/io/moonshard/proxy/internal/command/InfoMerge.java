package io.moonshard.proxy.internal.command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the {@code INFO} texts of several Redis backends into the text one node holding all their
 * data would give: per section and field, integers add up ({@code keyspace_hits}, {@code used_memory},
 * {@code db0:keys=..,expires=..}, {@code cmdstat_get:calls=..}); anything else (versions, ratios,
 * averages) is taken from the first backend. Pure: text in, text out.
 */
final class InfoMerge {

    private InfoMerge() {
    }

    /** Section title (as after {@code # }) -> its field lines, in order. */
    static Map<String, List<String>> parse(String info) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : info.split("\r\n")) {
            if (line.startsWith("# ")) {
                current = sections.computeIfAbsent(line.substring(2), k -> new ArrayList<>());
            } else if (!line.isEmpty() && current != null) {
                current.add(line);
            }
        }
        return sections;
    }

    /** The sections of every backend merged, in the first backend's order (sections only some have come after). */
    static Map<String, List<String>> merge(List<Map<String, List<String>>> backends) {
        Map<String, List<String>> merged = new LinkedHashMap<>();
        for (Map<String, List<String>> backend : backends) {
            for (Map.Entry<String, List<String>> section : backend.entrySet()) {
                List<String> lines = merged.get(section.getKey());
                merged.put(section.getKey(), lines == null ? new ArrayList<>(section.getValue())
                        : mergeLines(lines, section.getValue()));
            }
        }
        return merged;
    }

    private static List<String> mergeLines(List<String> into, List<String> more) {
        Map<String, String> values = fields(into); // a null value: a line without ':'
        fields(more).forEach((key, value) -> {
            String existing = values.get(key);
            values.put(key, existing == null || value == null ? (existing == null ? value : existing)
                    : mergeValue(existing, value));
        });
        return lines(values);
    }

    /** Field lines as name -> value (null for a line without {@code ':'}), in order. */
    static Map<String, String> fields(List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            values.put(colon < 0 ? line : line.substring(0, colon), colon < 0 ? null : line.substring(colon + 1));
        }
        return values;
    }

    static List<String> lines(Map<String, String> fields) {
        List<String> out = new ArrayList<>(fields.size());
        fields.forEach((k, v) -> out.add(v == null ? k : k + ":" + v));
        return out;
    }

    /** {@code 3} + {@code 4} = {@code 7}; {@code keys=1,expires=0} + {@code keys=2,expires=1} = {@code keys=3,expires=1}. */
    static String mergeValue(String a, String b) {
        Long x = integer(a);
        Long y = integer(b);
        if (x != null && y != null) {
            return Long.toString(x + y);
        }
        if (!a.contains("=") || !b.contains("=")) {
            return a;
        }
        Map<String, String> bFields = new LinkedHashMap<>();
        for (String field : b.split(",")) {
            int eq = field.indexOf('=');
            if (eq > 0) {
                bFields.put(field.substring(0, eq), field.substring(eq + 1));
            }
        }
        StringBuilder out = new StringBuilder(a.length());
        for (String field : a.split(",")) {
            int eq = field.indexOf('=');
            if (out.length() > 0) {
                out.append(',');
            }
            if (eq < 0) {
                out.append(field);
                continue;
            }
            String name = field.substring(0, eq);
            Long p = integer(field.substring(eq + 1));
            Long q = integer(bFields.get(name));
            // avg_ttl and the like are not additive: keep the first backend's
            boolean additive = p != null && q != null && !name.startsWith("avg");
            out.append(name).append('=').append(additive ? Long.toString(p + q) : field.substring(eq + 1));
        }
        return out.toString();
    }

    private static Long integer(String s) {
        if (s == null || s.isEmpty() || s.length() > 18) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && !(i == 0 && c == '-' && s.length() > 1)) {
                return null;
            }
        }
        return Long.parseLong(s);
    }

    /** Renders sections back to INFO text ({@code # Title} blocks separated by an empty line). */
    static String render(Map<String, List<String>> sections) {
        StringBuilder sb = new StringBuilder(1024);
        for (Map.Entry<String, List<String>> section : sections.entrySet()) {
            if (!sb.isEmpty()) {
                sb.append("\r\n");
            }
            sb.append("# ").append(section.getKey()).append("\r\n");
            for (String line : section.getValue()) {
                sb.append(line).append("\r\n");
            }
        }
        return sb.toString();
    }
}
