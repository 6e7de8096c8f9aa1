package io.moonshard.benchmarks;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.Slowlog;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.clients.jedis.util.SafeEncoder;

/**
 * The clock of {@code benchmarks/migration.sh}: runs one move plan, step by step, and writes what
 * happened when, in epoch milliseconds, so the script's wall times and the chart's phase lines come
 * from one clock (the load client, {@link MigrationLoad}, uses the same).
 *
 * <pre>
 * MigrationDriver run --plan FILE --timeline FILE [--samples FILE] [--progress-log FILE] [--summary FILE]
 *                     [--sample LABEL=HOST:PORT]... [--progress LABEL=HOST:PORT]... [--first-copy LABEL]
 *                     [--sample-ms MS] [--timeout-s S]
 * MigrationDriver count-keys N PREFIX FIRST_SLOT LAST_SLOT   keys PREFIX:0..PREFIX:N-1 (DEBUG POPULATE's
 *                                                            names) whose slot is in FIRST..LAST
 * MigrationDriver slowlog HOST:PORT...                       the longest SLOWLOG entry of those servers:
 *                                                            "usec=.. server=.. command=.."
 * MigrationDriver outside HOST:PORT FIRST LAST               the keys there (SCAN) whose slot is not in
 *                                                            FIRST..LAST (at most 100), then "outside=N"
 * </pre>
 *
 * <p>Plan lines (whitespace-separated tokens; {@code #} starts a comment line):
 * <ul>
 *   <li>{@code mark NAME}: an event now;</li>
 *   <li>{@code push NAME HOST:PORT ARG...}: sends the command, needs {@code +OK} (or a reply starting
 *       with {@code WARNING}); event NAME when the reply is in;</li>
 *   <li>{@code await-infomgr NAME HOST:PORT LINE...}: polls {@code UMCTL INFOMGR} until one of its
 *       lines equals LINE (tokens compared case-insensitively); event NAME;</li>
 *   <li>{@code await-dbsize NAME HOST:PORT N}: polls {@code DBSIZE} until it is N;</li>
 *   <li>{@code exec NAME LOGFILE CMD...}: runs CMD, its output to LOGFILE; fails when it fails;</li>
 *   <li>{@code sleep MS}.</li>
 * </ul>
 * An await that does not succeed in {@code --timeout-s} writes the event {@code NAME.timeout} and the
 * driver exits with status 3 (after writing its files); any other failure exits with 1.
 *
 * <p>While the plan runs, a sampler thread polls every {@code --sample-ms} (default 100): {@code DBSIZE}
 * of each {@code --sample} server (series LABEL in the samples CSV {@code t_ms,series,value}), and
 * {@code UMCTL INFOMGR PROGRESS} of each {@code --progress} proxy. Every progress line is logged raw
 * ({@code t_ms<TAB>LABEL<TAB>line}); its {@code key=value} fields are parsed without knowing them: the
 * numeric ones become series {@code LABEL:key}, the first time a {@code state=X} is seen per proxy is the
 * event {@code LABEL:state=X}, and the last {@code fence_ms} (or {@code fence_us}, turned into ms) of
 * each task (the line without its key=value fields) goes to the summary file as
 * {@code fence_ms<TAB>LABEL<TAB>task<TAB>ms}. The first
 * sample where the {@code --first-copy} series is above its first value is the event
 * {@code first-copy}.
 */
public final class MigrationDriver {

    private static final ProtocolCommand UMCTL = () -> SafeEncoder.encode("UMCTL");

    private MigrationDriver() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        switch (args[0]) {
            case "run" -> System.exit(run(Arrays.copyOfRange(args, 1, args.length)));
            case "count-keys" -> {
                if (args.length != 5) {
                    usage();
                }
                long n = Long.parseLong(args[1]);
                int first = Integer.parseInt(args[3]);
                int last = Integer.parseInt(args[4]);
                long count = 0;
                for (long i = 0; i < n; i++) {
                    int slot = JedisClusterCRC16.getSlot(args[2] + ":" + i);
                    if (slot >= first && slot <= last) {
                        count++;
                    }
                }
                System.out.println(count);
            }
            case "slowlog" -> slowlog(Arrays.copyOfRange(args, 1, args.length));
            case "outside" -> {
                if (args.length != 4) {
                    usage();
                }
                outside(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            }
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: MigrationDriver run --plan FILE --timeline FILE [options] | "
                + "count-keys N PREFIX FIRST LAST | slowlog HOST:PORT...");
        System.exit(2);
    }

    // ------------------------------------------------------------------ slowlog

    private static void slowlog(String[] servers) {
        long longest = -1;
        String where = "-";
        String command = "-";
        for (String server : servers) {
            try (Jedis j = jedis(server, 5000)) {
                for (Slowlog entry : j.slowlogGet(100_000)) { // every entry the run kept (max-len 100,000)
                    // the script's own reading of a long SLOWLOG (it checks it for a PSYNC first) is not the move's
                    boolean measurement = !entry.getArgs().isEmpty() && entry.getArgs().get(0).equalsIgnoreCase("slowlog");
                    if (!measurement && entry.getExecutionTime() > longest) {
                        longest = entry.getExecutionTime();
                        where = server;
                        List<String> words = entry.getArgs();
                        String joined = String.join(" ", words.subList(0, Math.min(6, words.size())));
                        if (words.size() > 6) {
                            joined += " ... (" + words.size() + " args)";
                        }
                        // DEBUG POPULATE pads its values with NUL bytes: control characters shown as '.'
                        command = joined.replaceAll("[\\p{Cntrl}]+", ".").replaceAll("[\\s,]+", " ");
                        if (command.length() > 120) {
                            command = command.substring(0, 117) + "...";
                        }
                    }
                }
            }
        }
        System.out.println("usec=" + Math.max(longest, 0) + " server=" + where + " command=" + command);
    }

    /** Prints the keys of a server whose slot is not in first..last (at most 100), then their count. */
    private static void outside(String server, int first, int last) {
        long count = 0;
        try (Jedis j = jedis(server, 60_000)) {
            String cursor = redis.clients.jedis.params.ScanParams.SCAN_POINTER_START;
            redis.clients.jedis.params.ScanParams params = new redis.clients.jedis.params.ScanParams().count(1000);
            do {
                redis.clients.jedis.resps.ScanResult<String> page = j.scan(cursor, params);
                for (String key : page.getResult()) {
                    int slot = JedisClusterCRC16.getSlot(key);
                    if (slot < first || slot > last) {
                        if (++count <= 100) {
                            System.out.println(key + " (slot " + slot + ")");
                        }
                    }
                }
                cursor = page.getCursor();
            } while (!cursor.equals(redis.clients.jedis.params.ScanParams.SCAN_POINTER_START));
        }
        System.out.println("outside=" + count);
    }

    // ------------------------------------------------------------------ run

    private static int run(String[] args) throws Exception {
        Path plan = null;
        Path timeline = null;
        Path samples = null;
        Path progressLog = null;
        Path summary = null;
        Map<String, String> sampleServers = new LinkedHashMap<>();
        Map<String, String> progressServers = new LinkedHashMap<>();
        String firstCopy = null;
        long sampleMs = 100;
        long timeoutMs = 600_000;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--plan" -> plan = Path.of(value);
                case "--timeline" -> timeline = Path.of(value);
                case "--samples" -> samples = Path.of(value);
                case "--progress-log" -> progressLog = Path.of(value);
                case "--summary" -> summary = Path.of(value);
                case "--sample" -> put(sampleServers, value);
                case "--progress" -> put(progressServers, value);
                case "--first-copy" -> firstCopy = value;
                case "--sample-ms" -> sampleMs = Long.parseLong(value);
                case "--timeout-s" -> timeoutMs = Long.parseLong(value) * 1000;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
            i++;
        }
        if (plan == null || timeline == null) {
            usage();
        }
        Recorder rec = new Recorder(timeline, samples, progressLog, summary);
        Sampler sampler = new Sampler(rec, sampleServers, progressServers, firstCopy, sampleMs);
        Thread samplerThread = new Thread(sampler, "sampler");
        samplerThread.setDaemon(true);
        int status = 0;
        try {
            samplerThread.start();
            sampler.firstRound.await(); // the samples start before the plan's first step
            for (String raw : Files.readAllLines(plan, StandardCharsets.UTF_8)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                status = step(rec, line.split("\\s+"), timeoutMs);
                if (status != 0) {
                    break;
                }
            }
        } catch (Exception e) {
            rec.event("failed", e.toString());
            System.err.println("MigrationDriver: " + e);
            status = 1;
        } finally {
            sampler.stop.set(true);
            samplerThread.join(2000);
            sampler.writeSummary();
            rec.close();
        }
        return status;
    }

    private static void put(Map<String, String> map, String labelEqualsAddress) {
        int eq = labelEqualsAddress.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("expected LABEL=HOST:PORT, got " + labelEqualsAddress);
        }
        map.put(labelEqualsAddress.substring(0, eq), labelEqualsAddress.substring(eq + 1));
    }

    private static int step(Recorder rec, String[] t, long timeoutMs) throws Exception {
        switch (t[0]) {
            case "mark" -> rec.event(t[1], "");
            case "sleep" -> Thread.sleep(Long.parseLong(t[1]));
            case "push" -> {
                String[] command = Arrays.copyOfRange(t, 3, t.length);
                String reply;
                long sent = System.currentTimeMillis();
                try (Jedis j = jedis(t[2], 30_000)) {
                    reply = reply(j.sendCommand(() -> SafeEncoder.encode(command[0]),
                            Arrays.copyOfRange(command, 1, command.length)));
                } catch (JedisException e) {
                    reply = "-" + e.getMessage();
                }
                rec.event(t[1], t[2] + " " + (System.currentTimeMillis() - sent) + "ms " + reply);
                if (!reply.equals("OK") && !reply.startsWith("WARNING")) {
                    System.err.println("MigrationDriver: " + t[1] + ": " + t[2] + " answered " + reply
                            + " to " + String.join(" ", command));
                    return 1;
                }
            }
            case "await-infomgr" -> {
                String want = String.join(" ", Arrays.copyOfRange(t, 3, t.length));
                long deadline = System.currentTimeMillis() + timeoutMs;
                try (Jedis j = jedis(t[2], 10_000)) {
                    while (true) {
                        for (String line : lines(j.sendCommand(UMCTL, "INFOMGR"))) {
                            if (String.join(" ", line.strip().split("\\s+")).equalsIgnoreCase(want)) {
                                rec.event(t[1], t[2]);
                                return 0;
                            }
                        }
                        if (System.currentTimeMillis() > deadline) {
                            rec.event(t[1] + ".timeout", t[2] + " never listed: " + want);
                            System.err.println("MigrationDriver: " + t[2] + " did not list '" + want
                                    + "' in UMCTL INFOMGR within " + timeoutMs / 1000 + " s");
                            return 3;
                        }
                        Thread.sleep(20);
                    }
                }
            }
            case "await-dbsize" -> {
                long want = Long.parseLong(t[3]);
                long deadline = System.currentTimeMillis() + timeoutMs;
                try (Jedis j = jedis(t[2], 10_000)) {
                    long size;
                    while ((size = j.dbSize()) != want) {
                        if (System.currentTimeMillis() > deadline) {
                            rec.event(t[1] + ".timeout", t[2] + " DBSIZE " + size + ", not " + want);
                            System.err.println("MigrationDriver: DBSIZE of " + t[2] + " is " + size
                                    + ", not " + want + ", after " + timeoutMs / 1000 + " s");
                            return 3;
                        }
                        Thread.sleep(20);
                    }
                    rec.event(t[1], t[2] + " " + want);
                }
            }
            case "exec" -> {
                ProcessBuilder pb = new ProcessBuilder(Arrays.copyOfRange(t, 3, t.length));
                pb.redirectErrorStream(true);
                pb.redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of(t[2]).toFile()));
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                int code = pb.start().waitFor();
                rec.event(t[1], "exit " + code);
                if (code != 0) {
                    System.err.println("MigrationDriver: " + t[1] + " exited with " + code + " (see " + t[2] + ")");
                    return 1;
                }
            }
            default -> throw new IllegalArgumentException("unknown plan step: " + String.join(" ", t));
        }
        return 0;
    }

    static Jedis jedis(String hostPort, int timeoutMs) {
        int colon = hostPort.lastIndexOf(':');
        return new Jedis(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)), timeoutMs);
    }

    private static String reply(Object o) {
        if (o instanceof byte[] b) {
            return SafeEncoder.encode(b);
        }
        return String.valueOf(o);
    }

    /** The lines of a reply: an array's elements (nested arrays flattened), or a bulk string split at newlines. */
    static List<String> lines(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> list) {
            for (Object e : list) {
                out.addAll(lines(e));
            }
        } else if (o instanceof byte[] b) {
            for (String s : SafeEncoder.encode(b).split("\r?\n")) {
                if (!s.isBlank()) {
                    out.add(s.strip());
                }
            }
        } else if (o != null) {
            out.add(o.toString());
        }
        return out;
    }

    // ------------------------------------------------------------------ recording

    /** The output files; every method is synchronized (the sampler and the plan both write). */
    static final class Recorder {
        private final PrintWriter timeline;
        private final PrintWriter samples;
        private final PrintWriter progress;
        final Path summary;

        Recorder(Path timeline, Path samples, Path progress, Path summary) throws IOException {
            this.timeline = writer(timeline);
            this.samples = writer(samples);
            this.progress = writer(progress);
            this.summary = summary;
            this.timeline.println("t_ms,event,detail");
            this.samples.println("t_ms,series,value");
        }

        private static PrintWriter writer(Path p) throws IOException {
            if (p == null) {
                return new PrintWriter(java.io.Writer.nullWriter());
            }
            BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8);
            return new PrintWriter(w, true);
        }

        synchronized void event(String name, String detail) {
            timeline.println(System.currentTimeMillis() + "," + name + "," + detail.replace(',', ';').replace('\n', ' '));
        }

        synchronized void sample(long t, String series, double value) {
            samples.println(t + "," + series + "," + (value == Math.rint(value) ? Long.toString((long) value)
                    : String.format(Locale.ROOT, "%.3f", value)));
        }

        synchronized void progress(long t, String label, String line) {
            progress.println(t + "\t" + label + "\t" + line);
        }

        synchronized void close() {
            timeline.close();
            samples.close();
            progress.close();
        }
    }

    /** Polls DBSIZE and UMCTL INFOMGR PROGRESS until stopped. */
    static final class Sampler implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final java.util.concurrent.CountDownLatch firstRound = new java.util.concurrent.CountDownLatch(1);
        private final Recorder rec;
        private final Map<String, String> sampleServers;
        private final Map<String, String> progressServers;
        private final String firstCopy;
        private final long periodMs;
        private final Map<String, Jedis> conns = new TreeMap<>();
        private final Map<String, Boolean> statesSeen = new LinkedHashMap<>();
        /** label + TAB + task -> last fence_ms. */
        private final Map<String, String> fence = new LinkedHashMap<>();
        private final Map<String, Boolean> progressFailed = new LinkedHashMap<>();
        private Double firstCopyBase;
        private boolean firstCopyDone;

        Sampler(Recorder rec, Map<String, String> sampleServers, Map<String, String> progressServers,
                String firstCopy, long periodMs) {
            this.rec = rec;
            this.sampleServers = sampleServers;
            this.progressServers = progressServers;
            this.firstCopy = firstCopy;
            this.periodMs = periodMs;
        }

        private Jedis conn(String address) {
            return conns.computeIfAbsent(address, a -> jedis(a, 5000));
        }

        private void drop(String address) {
            Jedis j = conns.remove(address);
            if (j != null) {
                try {
                    j.close();
                } catch (RuntimeException ignored) {
                    // already broken
                }
            }
        }

        @Override
        public void run() {
            try {
                loop();
            } finally {
                firstRound.countDown(); // also when the loop dies: the plan must not wait for it
            }
        }

        private void loop() {
            long next = System.currentTimeMillis();
            while (!stop.get()) {
                for (Map.Entry<String, String> e : sampleServers.entrySet()) {
                    try {
                        long size = conn(e.getValue()).dbSize();
                        long t = System.currentTimeMillis();
                        rec.sample(t, e.getKey(), size);
                        if (e.getKey().equals(firstCopy)) {
                            if (firstCopyBase == null) {
                                firstCopyBase = (double) size;
                            } else if (!firstCopyDone && size > firstCopyBase) {
                                firstCopyDone = true;
                                rec.event("first-copy", e.getValue() + " DBSIZE " + size);
                            }
                        }
                    } catch (JedisException ex) {
                        drop(e.getValue());
                    }
                }
                for (Map.Entry<String, String> e : progressServers.entrySet()) {
                    try {
                        List<String> lines = lines(conn(e.getValue()).sendCommand(UMCTL, "INFOMGR", "PROGRESS"));
                        long t = System.currentTimeMillis();
                        for (String line : lines) {
                            progressLine(t, e.getKey(), line);
                        }
                    } catch (JedisException ex) {
                        if (progressFailed.put(e.getKey(), true) == null) {
                            rec.event(e.getKey() + ":progress-error", ex.getMessage() == null ? "" : ex.getMessage());
                        }
                        drop(e.getValue());
                    }
                }
                firstRound.countDown();
                next += periodMs;
                long sleep = next - System.currentTimeMillis();
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep);
                    } catch (InterruptedException ie) {
                        return;
                    }
                } else {
                    next = System.currentTimeMillis();
                }
            }
            for (Jedis j : conns.values()) {
                try {
                    j.close();
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            }
        }

        private void progressLine(long t, String label, String line) {
            rec.progress(t, label, line);
            StringBuilder task = new StringBuilder();
            for (String token : line.split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq <= 0) {
                    task.append(task.isEmpty() ? "" : " ").append(token);
                    continue;
                }
                String key = token.substring(0, eq);
                String value = token.substring(eq + 1);
                if (key.equals("state")) {
                    if (statesSeen.put(label + ":" + value, true) == null) {
                        rec.event(label + ":state=" + value, "");
                    }
                    continue;
                }
                if (key.equals("fence_ms") || key.equals("fence_us")) {
                    try {
                        double ms = Double.parseDouble(value) / (key.equals("fence_us") ? 1000.0 : 1.0);
                        fence.put(label + "\t" + (task.isEmpty() ? "-" : task), String.format(Locale.ROOT, "%.3f", ms));
                    } catch (NumberFormatException ignored) {
                        fence.put(label + "\t" + (task.isEmpty() ? "-" : task), value);
                    }
                }
                try {
                    rec.sample(t, label + ":" + key, Double.parseDouble(value.replaceAll("(ms|us|s|b)$", "")));
                } catch (NumberFormatException ignored) {
                    // not a number: only in the raw log
                }
            }
        }

        void writeSummary() {
            if (rec.summary == null) {
                return;
            }
            StringBuilder out = new StringBuilder();
            for (Map.Entry<String, String> e : fence.entrySet()) {
                out.append("fence_ms\t").append(e.getKey()).append('\t').append(e.getValue()).append('\n');
            }
            try {
                Files.writeString(rec.summary, out.toString(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
