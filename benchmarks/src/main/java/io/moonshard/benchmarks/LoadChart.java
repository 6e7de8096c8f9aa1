package io.moonshard.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Draws the bar chart of {@code benchmarks/load.sh}: one group of bars per workload, one bar per
 * target, bar height the median requests per second. Reads the script's {@code summary.csv} by
 * column name ({@code target}, {@code rps_median}, and {@code label} or else {@code test} and
 * {@code pipeline}); keeps the order in which workloads and targets first appear; skips values that
 * are not numbers. Headless (no display needed).
 *
 * <pre>
 * java -cp benchmarks/target/classes io.moonshard.benchmarks.LoadChart summary.csv chart.png [WIDTH HEIGHT [TITLE]]
 * </pre>
 */
public final class LoadChart {

    static final int DEFAULT_WIDTH = 1400;
    static final int DEFAULT_HEIGHT = 720;

    private static final Color[] PALETTE = {
        new Color(0x4C72B0), // blue
        new Color(0xDD8452), // orange
        new Color(0x55A868), // green
        new Color(0x8172B3), // purple
        new Color(0xC44E52), // red
        new Color(0x937860), // brown
        new Color(0xDA8BC3), // pink
        new Color(0x8C8C8C), // grey
    };

    /** load.sh's targets keep their colours whichever subset a run has. */
    private static final Map<String, Color> KNOWN = Map.of(
            "direct", PALETTE[0],
            "twemproxy", PALETTE[1],
            "moonshard", PALETTE[2],
            "redis-cluster", PALETTE[3],
            "moonshard-cluster", PALETTE[4],
            "moonshard-baseline", PALETTE[5]);

    private static Color colorOf(String target, int index) {
        Color known = KNOWN.get(target);
        return known != null ? known : PALETTE[(KNOWN.size() + index) % PALETTE.length];
    }

    /** One bar: the median requests per second of {@code target} in workload {@code label}. */
    record Bar(String label, String target, double rps) {}

    private LoadChart() {}

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (args.length != 2 && args.length != 4 && args.length != 5) {
            System.err.println("usage: LoadChart SUMMARY_CSV OUTPUT_PNG [WIDTH HEIGHT [TITLE]]");
            System.exit(2);
        }
        int width = args.length >= 4 ? Integer.parseInt(args[2]) : DEFAULT_WIDTH;
        int height = args.length >= 4 ? Integer.parseInt(args[3]) : DEFAULT_HEIGHT;
        String title = args.length == 5 ? args[4] : "Moonshard load test: requests/s (median over rounds)";
        List<Bar> bars = read(Path.of(args[0]));
        if (bars.isEmpty()) {
            throw new IllegalArgumentException("no rows with a numeric rps_median in " + args[0]);
        }
        BufferedImage image = render(bars, width, height, title);
        if (!ImageIO.write(image, "png", Path.of(args[1]).toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /** The bars in {@code summaryCsv}: rows whose {@code rps_median} is a number. */
    static List<Bar> read(Path summaryCsv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(summaryCsv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (lines.isEmpty()) {
            return List.of();
        }
        List<String> header = Arrays.asList(lines.get(0).trim().split(",", -1));
        int target = column(header, "target", summaryCsv);
        int rps = column(header, "rps_median", summaryCsv);
        int label = header.indexOf("label");
        int test = header.indexOf("test");
        int pipeline = header.indexOf("pipeline");
        if (label < 0 && test < 0) {
            throw new IllegalArgumentException(summaryCsv + " has neither a 'label' nor a 'test' column");
        }
        List<Bar> bars = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.trim().split(",", -1);
            double value;
            try {
                value = Double.parseDouble(cell(cells, rps));
            } catch (NumberFormatException e) {
                continue;
            }
            if (!Double.isFinite(value) || value < 0) {
                continue;
            }
            String name;
            if (label >= 0 && !cell(cells, label).isEmpty()) {
                name = cell(cells, label);
            } else {
                name = cell(cells, test) + (pipeline >= 0 ? " P=" + cell(cells, pipeline) : "");
            }
            bars.add(new Bar(name, cell(cells, target), value));
        }
        return bars;
    }

    private static int column(List<String> header, String name, Path file) {
        int index = header.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException(file + " has no '" + name + "' column; header: " + header);
        }
        return index;
    }

    private static String cell(String[] cells, int index) {
        return index >= 0 && index < cells.length ? cells[index].trim() : "";
    }

    /** The chart of {@code bars}, {@code width} x {@code height} pixels. */
    static BufferedImage render(List<Bar> bars, int width, int height, String title) {
        if (width < 200 || height < 150) {
            throw new IllegalArgumentException("chart too small: " + width + "x" + height);
        }
        Set<String> groups = new LinkedHashSet<>();
        Map<String, Color> colors = new LinkedHashMap<>();
        double max = 0;
        for (Bar bar : bars) {
            groups.add(bar.label());
            colors.computeIfAbsent(bar.target(), t -> colorOf(t, colors.size()));
            max = Math.max(max, bar.rps());
        }
        double top = niceCeiling(max);

        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);

            Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 18);
            Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
            Font smallFont = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

            // title
            g.setFont(titleFont);
            g.setColor(Color.BLACK);
            FontMetrics tm = g.getFontMetrics();
            g.drawString(title, (width - tm.stringWidth(title)) / 2, 12 + tm.getAscent());

            // legend, one row under the title
            g.setFont(labelFont);
            FontMetrics lm = g.getFontMetrics();
            int legendY = 12 + tm.getHeight() + 10;
            int legendWidth = 0;
            for (String t : colors.keySet()) {
                legendWidth += 16 + 6 + lm.stringWidth(t) + 20;
            }
            int x = Math.max(10, (width - legendWidth) / 2);
            for (Map.Entry<String, Color> e : colors.entrySet()) {
                g.setColor(e.getValue());
                g.fillRect(x, legendY, 16, 12);
                g.setColor(Color.DARK_GRAY);
                g.drawRect(x, legendY, 16, 12);
                g.setColor(Color.BLACK);
                g.drawString(e.getKey(), x + 22, legendY + 11);
                x += 16 + 6 + lm.stringWidth(e.getKey()) + 20;
            }

            // plot area
            g.setFont(smallFont);
            FontMetrics sm = g.getFontMetrics();
            int left = 20 + sm.stringWidth(formatRps(top)) + 8 + lm.getHeight();
            int right = width - 20;
            int plotTop = legendY + 12 + 20 + sm.stringWidth("000.0k"); // room for value labels
            int bottom = height - 20 - 2 * lm.getHeight();
            if (bottom - plotTop < 40) {
                plotTop = Math.max(legendY + 20, bottom - 40);
            }
            int plotHeight = bottom - plotTop;

            // y axis: grid lines and tick labels
            int ticks = 5;
            for (int i = 0; i <= ticks; i++) {
                double v = top * i / ticks;
                int y = bottom - (int) Math.round(plotHeight * v / top);
                g.setColor(i == 0 ? Color.BLACK : new Color(0xDDDDDD));
                g.drawLine(left, y, right, y);
                g.setColor(Color.BLACK);
                String s = formatRps(v);
                g.drawString(s, left - 6 - sm.stringWidth(s), y + sm.getAscent() / 2);
            }
            g.setColor(Color.BLACK);
            g.drawLine(left, plotTop, left, bottom);
            AffineTransform saved = g.getTransform();
            g.setFont(labelFont);
            g.rotate(-Math.PI / 2);
            String yTitle = "requests/s";
            g.drawString(yTitle, -(plotTop + plotHeight / 2 + lm.stringWidth(yTitle) / 2), 14 + lm.getAscent());
            g.setTransform(saved);

            // bars
            List<String> groupList = new ArrayList<>(groups);
            int targets = colors.size();
            double groupWidth = (right - left) / (double) groupList.size();
            double barWidth = Math.min(90, Math.max(2, groupWidth * 0.8 / targets));
            g.setStroke(new BasicStroke(1f));
            for (int gi = 0; gi < groupList.size(); gi++) {
                String group = groupList.get(gi);
                List<Bar> inGroup = new ArrayList<>();
                for (Bar bar : bars) {
                    if (bar.label().equals(group)) {
                        inGroup.add(bar);
                    }
                }
                double groupLeft = left + gi * groupWidth;
                double start = groupLeft + (groupWidth - barWidth * inGroup.size()) / 2;
                for (int bi = 0; bi < inGroup.size(); bi++) {
                    Bar bar = inGroup.get(bi);
                    int bx = (int) Math.round(start + bi * barWidth);
                    int bw = Math.max(1, (int) Math.round(barWidth) - 2);
                    int bh = (int) Math.round(plotHeight * bar.rps() / top);
                    g.setColor(colors.get(bar.target()));
                    g.fillRect(bx, bottom - bh, bw, bh);
                    g.setColor(Color.DARK_GRAY);
                    g.drawRect(bx, bottom - bh, bw, bh);
                    // the value, written upwards above the bar
                    g.setFont(smallFont);
                    g.setColor(Color.BLACK);
                    String value = formatRps(bar.rps());
                    AffineTransform before = g.getTransform();
                    g.translate(bx + bw / 2.0 + sm.getAscent() / 2.0 - 1, bottom - bh - 4);
                    g.rotate(-Math.PI / 2);
                    g.drawString(value, 0, 0);
                    g.setTransform(before);
                }
                // workload label, centred; a second line when it does not fit
                g.setFont(labelFont);
                g.setColor(Color.BLACK);
                List<String> lines = wrap(group, lm, (int) groupWidth - 4);
                for (int li = 0; li < lines.size() && li < 2; li++) {
                    String s = lines.get(li);
                    int sx = (int) Math.round(groupLeft + (groupWidth - lm.stringWidth(s)) / 2);
                    g.drawString(s, sx, bottom + 6 + lm.getAscent() + li * lm.getHeight());
                }
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static List<String> wrap(String text, FontMetrics fm, int maxWidth) {
        if (fm.stringWidth(text) <= maxWidth) {
            return List.of(text);
        }
        String[] words = text.split(" ");
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            String candidate = line.isEmpty() ? word : line + " " + word;
            if (fm.stringWidth(candidate) > maxWidth && !line.isEmpty()) {
                lines.add(line.toString());
                line = new StringBuilder(word);
            } else {
                line = new StringBuilder(candidate);
            }
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        if (lines.size() > 2) {
            lines = new ArrayList<>(List.of(lines.get(0), String.join(" ", lines.subList(1, lines.size()))));
        }
        return lines;
    }

    /** 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, at least {@code max} (and at least 1). */
    static double niceCeiling(double max) {
        if (max <= 1) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(max)));
        for (double step : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (step * magnitude >= max) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    /** 950, 12.3k, 480k, 1.25M. */
    static String formatRps(double v) {
        if (v >= 1_000_000) {
            return trim(String.format(Locale.ROOT, "%.2f", v / 1_000_000)) + "M";
        }
        if (v >= 100_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1000);
        }
        if (v >= 1000) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1000)) + "k";
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String trim(String number) {
        if (!number.contains(".")) {
            return number;
        }
        String s = number.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
