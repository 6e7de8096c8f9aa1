package io.moonshard.controller;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The measurements of repeated chaos trials, by what was measured: percentiles for the assertions, and
 * the summary file {@code scripts/controller-chaos.sh} prints (one line per measure: n, p50, p99, max, all).
 */
final class TrialTimes {

    private final String prefix;
    private final Map<String, List<Long>> results = new TreeMap<>();

    /** @param prefix what each recorded value's output line starts with, e.g. {@code controller-chaos} */
    TrialTimes(String prefix) {
        this.prefix = prefix;
    }

    void record(String what, long value) {
        results.computeIfAbsent(what, k -> new ArrayList<>()).add(value);
        System.out.println(prefix + ": " + what + ": " + value);
    }

    /** The values recorded for {@code what}, smallest first. */
    List<Long> sorted(String what) {
        List<Long> v = new ArrayList<>(results.getOrDefault(what, List.of()));
        v.sort(null);
        return v;
    }

    /** The {@code p}th percentile of sorted values, nearest rank. */
    static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Writes {@code out}/summary.txt under {@code title} and prints it. */
    void writeSummary(String title, Path out) throws IOException {
        StringBuilder sb = new StringBuilder(title).append('\n');
        for (Map.Entry<String, List<Long>> e : results.entrySet()) {
            List<Long> v = sorted(e.getKey());
            sb.append(String.format("%-44s n=%-3d p50=%-6d p99=%-6d max=%-6d all=%s%n", e.getKey(), v.size(),
                    pct(v, 50), pct(v, 99), v.get(v.size() - 1), e.getValue()));
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("summary.txt"), sb.toString());
        System.out.println(sb);
    }
}
