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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The line chart of {@code benchmarks/migration.sh}: series over time (ops/s of the load, or DBSIZE of
 * the source and the destination), with the move's phases as labelled vertical lines. Headless.
 *
 * <pre>
 * java -cp benchmarks/target/classes io.moonshard.benchmarks.MigrationChart OUT.png TITLE Y_LABEL
 *      SERIES_CSV SERIES[,SERIES...] TIMELINE_CSV [EVENT=LABEL,...]
 * </pre>
 * SERIES_CSV is {@code t_ms,series,value} (the driver's samples), TIMELINE_CSV {@code t_ms,event,...}
 * (the driver's timeline). Only the named series are drawn; with an event list only those events are
 * drawn, under their labels (split at the last "=") (an event that is not in the timeline is skipped); without one, all. The
 * x axis is seconds from the first sample.
 */
public final class MigrationChart {

    private static final Color[] PALETTE = {
        new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0x8172B3),
        new Color(0xC44E52), new Color(0x937860),
    };

    record Point(long t, double v) {}

    record Event(long t, String label) {}

    private MigrationChart() {}

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (args.length != 6 && args.length != 7) {
            System.err.println("usage: MigrationChart OUT.png TITLE Y_LABEL SERIES_CSV SERIES[,..] TIMELINE_CSV [EVENT=LABEL,..]");
            System.exit(2);
        }
        Map<String, List<Point>> series = new LinkedHashMap<>();
        for (String name : args[4].split(",")) {
            series.put(name, new ArrayList<>());
        }
        for (String line : Files.readAllLines(Path.of(args[3]), StandardCharsets.UTF_8)) {
            String[] c = line.split(",", -1);
            if (c.length < 3 || !series.containsKey(c[1])) {
                continue;
            }
            try {
                series.get(c[1]).add(new Point(Long.parseLong(c[0]), Double.parseDouble(c[2])));
            } catch (NumberFormatException ignored) {
                // the header
            }
        }
        series.values().removeIf(List::isEmpty);
        if (series.isEmpty()) {
            throw new IllegalArgumentException("none of the series " + args[4] + " is in " + args[3]);
        }
        Map<String, String> wanted = new LinkedHashMap<>();
        if (args.length == 7) {
            for (String pair : args[6].split(",")) {
                int eq = pair.lastIndexOf('='); // event names may hold "=" (A:state=FENCED), labels do not
                wanted.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? pair : pair.substring(eq + 1));
            }
        }
        List<Event> events = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[5]), StandardCharsets.UTF_8)) {
            String[] c = line.split(",", -1);
            if (c.length < 2 || !c[0].matches("\\d+")) {
                continue;
            }
            if (wanted.isEmpty()) {
                events.add(new Event(Long.parseLong(c[0]), c[1]));
            } else if (wanted.containsKey(c[1])) {
                events.add(new Event(Long.parseLong(c[0]), wanted.get(c[1])));
            }
        }
        BufferedImage image = render(series, events, args[1], args[2], 1400, 700);
        if (!ImageIO.write(image, "png", Path.of(args[0]).toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    static BufferedImage render(Map<String, List<Point>> series, List<Event> events, String title, String yLabel,
                                int width, int height) {
        long t0 = Long.MAX_VALUE;
        long t1 = Long.MIN_VALUE;
        double max = 0;
        for (List<Point> points : series.values()) {
            for (Point p : points) {
                t0 = Math.min(t0, p.t());
                t1 = Math.max(t1, p.t());
                max = Math.max(max, p.v());
            }
        }
        for (Event e : events) {
            t0 = Math.min(t0, e.t());
            t1 = Math.max(t1, e.t());
        }
        double span = Math.max(1, (t1 - t0) / 1000.0);
        double top = LoadChart.niceCeiling(max);

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
            g.setFont(titleFont);
            g.setColor(Color.BLACK);
            FontMetrics tm = g.getFontMetrics();
            g.drawString(title, (width - tm.stringWidth(title)) / 2, 12 + tm.getAscent());

            // legend
            g.setFont(labelFont);
            FontMetrics lm = g.getFontMetrics();
            int legendY = 12 + tm.getHeight() + 8;
            int x = 80;
            int ci = 0;
            Map<String, Color> colors = new LinkedHashMap<>();
            for (String name : series.keySet()) {
                Color c = PALETTE[ci++ % PALETTE.length];
                colors.put(name, c);
                g.setColor(c);
                g.fillRect(x, legendY, 16, 4);
                g.setColor(Color.BLACK);
                g.drawString(name, x + 22, legendY + 6);
                x += 22 + lm.stringWidth(name) + 24;
            }

            g.setFont(smallFont);
            FontMetrics sm = g.getFontMetrics();
            int left = 20 + sm.stringWidth(LoadChart.formatRps(top)) + 8 + lm.getHeight();
            int right = width - 30;
            int plotWidth = right - left;
            List<Event> sorted = new ArrayList<>(events);
            sorted.sort(java.util.Comparator.comparingLong(Event::t));
            List<int[]> groupX = new ArrayList<>(); // first and last x of each group of events
            List<String> groupText = new ArrayList<>();
            for (Event e : sorted) {
                int px = left + (int) Math.round(plotWidth * ((e.t() - t0) / 1000.0) / span);
                String text = e.label() + String.format(Locale.ROOT, " (%.2f s)", (e.t() - t0) / 1000.0);
                if (!groupX.isEmpty() && px - groupX.get(groupX.size() - 1)[0] < sm.stringWidth("00") + 4) {
                    groupText.set(groupText.size() - 1, groupText.get(groupText.size() - 1) + ", " + text);
                    groupX.get(groupX.size() - 1)[1] = px;
                } else {
                    groupX.add(new int[] {px, px});
                    groupText.add(text);
                }
            }
            List<String> legendLines = new ArrayList<>();
            StringBuilder lineText = new StringBuilder();
            for (int i = 0; i < groupText.size(); i++) {
                String item = (i + 1) + ": " + groupText.get(i);
                if (!lineText.isEmpty() && sm.stringWidth(lineText + "   " + item) > width - 160) {
                    legendLines.add(lineText.toString());
                    lineText = new StringBuilder();
                }
                lineText.append(lineText.isEmpty() ? "" : "   ").append(item);
            }
            if (!lineText.isEmpty()) {
                legendLines.add(lineText.toString());
            }
            int plotTop = legendY + 20 + legendLines.size() * sm.getHeight() + 24;
            int bottom = height - 20 - 2 * lm.getHeight();
            int plotHeight = bottom - plotTop;

            for (int i = 0; i <= 5; i++) {
                double v = top * i / 5;
                int y = bottom - (int) Math.round(plotHeight * v / top);
                g.setColor(i == 0 ? Color.BLACK : new Color(0xDDDDDD));
                g.drawLine(left, y, right, y);
                g.setColor(Color.BLACK);
                String s = LoadChart.formatRps(v);
                g.drawString(s, left - 6 - sm.stringWidth(s), y + sm.getAscent() / 2);
            }
            double step = niceStep(span / 10);
            for (double s = 0; s <= span + 1e-9; s += step) {
                int px = left + (int) Math.round(plotWidth * s / span);
                g.setColor(new Color(0xEEEEEE));
                g.drawLine(px, plotTop, px, bottom);
                g.setColor(Color.BLACK);
                String label = step < 1 ? String.format(Locale.ROOT, "%.1f", s) : String.format(Locale.ROOT, "%.0f", s);
                g.drawString(label, px - sm.stringWidth(label) / 2, bottom + 4 + sm.getAscent());
            }
            g.setColor(Color.BLACK);
            g.drawLine(left, plotTop, left, bottom);
            g.setFont(labelFont);
            String xTitle = "seconds";
            g.drawString(xTitle, left + (plotWidth - lm.stringWidth(xTitle)) / 2, bottom + 8 + sm.getHeight() + lm.getAscent());
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(plotTop + plotHeight / 2 + lm.stringWidth(yLabel) / 2), 14 + lm.getAscent());
            g.setTransform(saved);

            // phases: a numbered dashed line each (events closer than a number's width share one),
            // their names and times listed under the title
            g.setFont(smallFont);
            for (int i = 0; i < groupX.size(); i++) {
                int px = groupX.get(i)[0];
                g.setColor(new Color(0xC44E52));
                g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
                g.drawLine(px, plotTop, px, bottom);
                if (groupX.get(i)[1] != px) {
                    g.drawLine(groupX.get(i)[1], plotTop, groupX.get(i)[1], bottom);
                }
                String n = Integer.toString(i + 1);
                g.drawString(n, px - sm.stringWidth(n) / 2, plotTop - 4);
            }
            g.setColor(Color.DARK_GRAY);
            for (int i = 0; i < legendLines.size(); i++) {
                g.drawString(legendLines.get(i), 80, legendY + 20 + sm.getAscent() + i * sm.getHeight());
            }

            g.setStroke(new BasicStroke(2f));
            for (Map.Entry<String, List<Point>> s : series.entrySet()) {
                g.setColor(colors.get(s.getKey()));
                int px0 = -1;
                int py0 = -1;
                for (Point p : s.getValue()) {
                    int px = left + (int) Math.round(plotWidth * ((p.t() - t0) / 1000.0) / span);
                    int py = bottom - (int) Math.round(plotHeight * p.v() / top);
                    if (px0 >= 0) {
                        g.drawLine(px0, py0, px, py);
                    }
                    px0 = px;
                    py0 = py;
                }
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= raw) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
