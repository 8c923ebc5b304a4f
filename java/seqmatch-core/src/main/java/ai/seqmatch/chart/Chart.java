/*
 * The project's one chart renderer: Java2D line charts (several series, optional markers/dashes) and bar
 * charts, written as PNG atomically. No charting dependency. Used by LossChart (a run's loss curves) and the
 * CLI's experiment reports (comparisons of runs). Tested by ChartTest, LossChartTest and, through the
 * reports, QuickstartTest and ArithmeticExperimentTest (PNGs decoded with ImageIO).
 */
package ai.seqmatch.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Static renderer of comparison charts. */
public final class Chart {
  public static final int WIDTH = 960;
  public static final int HEIGHT = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;

  /** Colours by series index (matplotlib's "tab10"), so a method keeps its colour across charts. */
  public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
      new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

  private Chart() {}

  /** One curve: (x, y) points, or (x, y, low, high) points drawn with a vertical error bar from low to high. */
  public record Series(String name, Color color, boolean dashed, boolean markers, List<double[]> points) {}

  /** A line chart of {@code series}; y range from the data unless {@code yRange} is non-null ({lo, hi}). */
  public static void lines(Path png, String title, String xLabel, String yLabel, List<Series> series,
      double[] yRange) {
    double[] r = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};
    for (Series s : series) {
      for (double[] p : s.points()) {
        r[0] = Math.min(r[0], p[0]);
        r[1] = Math.max(r[1], p[0]);
        r[2] = Math.min(r[2], p[1]);
        r[3] = Math.max(r[3], p[1]);
      }
    }
    if (r[0] > r[1]) {
      r = new double[] {0, 1, 0, 1};
    }
    if (yRange != null) {
      r[2] = yRange[0];
      r[3] = yRange[1];
    }
    if (r[1] - r[0] < 1e-12) {
      r[1] = r[0] + 1;
    }
    if (r[3] - r[2] < 1e-9) {
      r[2] -= 0.5;
      r[3] += 0.5;
    }
    double[] xt = ticks(r[0], r[1]);
    double[] yt = ticks(r[2], r[3]);
    Axes ax = new Axes(xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]);
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    try {
      grid(g, ax, xt, yt, true);
      for (Series s : series) {
        drawSeries(g, ax, s);
      }
      frame(g, title, xLabel, yLabel);
      legend(g, ax, series);
    } finally {
      g.dispose();
    }
    write(img, png);
  }

  /** A bar chart: one bar per label, the value printed above it; y from 0 to max(yMax, the largest value). */
  public static void bars(Path png, String title, String yLabel, List<String> labels, List<Double> values,
      double yMax) {
    bars(png, title, yLabel, labels, values, null, yMax);
  }

  /**
   * Like {@link #bars(Path, String, String, List, List, double)}, with an error bar {low, high} per bar
   * ({@code intervals} null for none, an entry null for none on that bar).
   */
  public static void bars(Path png, String title, String yLabel, List<String> labels, List<Double> values,
      List<double[]> intervals, double yMax) {
    double hi = yMax;
    for (int i = 0; i < values.size(); i++) {
      double v = values.get(i);
      hi = Double.isFinite(v) ? Math.max(hi, v) : hi;
      double[] e = intervals == null ? null : intervals.get(i);
      hi = e != null && Double.isFinite(e[1]) ? Math.max(hi, e[1]) : hi;
    }
    double[] yt = ticks(0, hi);
    Axes ax = new Axes(0, labels.size(), 0, yt[yt.length - 1]);
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    try {
      grid(g, ax, new double[0], yt, false);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      FontMetrics fm = g.getFontMetrics();
      for (int i = 0; i < labels.size(); i++) {
        double v = values.get(i);
        int x0 = ax.px(i + 0.2);
        int x1 = ax.px(i + 0.8);
        int cx = (x0 + x1) / 2;
        if (Double.isFinite(v)) {
          g.setColor(PALETTE[i % PALETTE.length]);
          g.fillRect(x0, ax.py(v), x1 - x0, ax.py(0) - ax.py(v));
          g.setColor(Color.BLACK);
          double[] e = intervals == null ? null : intervals.get(i);
          boolean bar = e != null && Double.isFinite(e[0]) && Double.isFinite(e[1]);
          if (bar) {
            errorBar(g, cx, ax.py(e[0]), ax.py(e[1]));
          }
          String text = String.format(Locale.ROOT, "%.3f", v);
          g.drawString(text, cx + (bar ? 8 : -fm.stringWidth(text) / 2), ax.py(v) - 6);
        }
        g.setColor(Color.BLACK);
        g.drawString(labels.get(i), cx - fm.stringWidth(labels.get(i)) / 2, HEIGHT - BOTTOM + 20);
      }
      frame(g, title, "", yLabel);
    } finally {
      g.dispose();
    }
    write(img, png);
  }

  /** "Nice" tick values (1, 2, 5 x 10^k steps) covering [lo, hi]. */
  public static double[] ticks(double lo, double hi) {
    double raw = (hi - lo) / 6;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    double start = Math.floor(lo / step) * step;
    double end = Math.ceil(hi / step) * step;
    int n = (int) Math.round((end - start) / step) + 1;
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = start + i * step;
    }
    return t;
  }

  /** Data-to-pixel mapping of the plot area. */
  private record Axes(double x0, double x1, double y0, double y1) {
    int px(double x) {
      return (int) Math.round(LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT));
    }

    int py(double y) {
      return (int) Math.round(HEIGHT - BOTTOM - (y - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM));
    }
  }

  private static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    return g;
  }

  private static void grid(Graphics2D g, Axes ax, double[] xt, double[] yt, boolean xLabels) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    for (double x : xt) {
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(ax.px(x), TOP, ax.px(x), HEIGHT - BOTTOM);
      if (xLabels) {
        g.setColor(Color.DARK_GRAY);
        g.drawString(label(x), ax.px(x) - fm.stringWidth(label(x)) / 2, HEIGHT - BOTTOM + 18);
      }
    }
    for (double y : yt) {
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(LEFT, ax.py(y), WIDTH - RIGHT, ax.py(y));
      g.setColor(Color.DARK_GRAY);
      g.drawString(label(y), LEFT - 8 - fm.stringWidth(label(y)), ax.py(y) + fm.getAscent() / 2 - 1);
    }
  }

  private static void frame(Graphics2D g, String title, String xLabel, String yLabel) {
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(title, LEFT, TOP - 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT) / 2 - fm.stringWidth(xLabel) / 2, HEIGHT - 20);
    g.rotate(-Math.PI / 2);
    g.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM) / 2) - fm.stringWidth(yLabel) / 2, 20);
    g.rotate(Math.PI / 2);
  }

  private static String label(double v) {
    return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%d", (long) Math.rint(v))
        : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
  }

  private static BasicStroke stroke(Series s, float width) {
    return s.dashed() ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f,
        new float[] {7f, 5f}, 0f) : new BasicStroke(width);
  }

  /** A vertical whisker from pixel row {@code yLow} to {@code yHigh} at column {@code x}, with caps. */
  private static void errorBar(Graphics2D g, int x, int yLow, int yHigh) {
    java.awt.Stroke old = g.getStroke();
    g.setStroke(new BasicStroke(1.5f));
    g.drawLine(x, yLow, x, yHigh);
    g.drawLine(x - 5, yLow, x + 5, yLow);
    g.drawLine(x - 5, yHigh, x + 5, yHigh);
    g.setStroke(old);
  }

  private static void drawSeries(Graphics2D g, Axes ax, Series s) {
    if (s.points().isEmpty()) {
      return;
    }
    g.setColor(s.color());
    g.setStroke(stroke(s, s.markers() ? 2.2f : 1.3f));
    Path2D.Double path = new Path2D.Double();
    for (int i = 0; i < s.points().size(); i++) {
      double[] p = s.points().get(i);
      if (i == 0) {
        path.moveTo(ax.px(p[0]), ax.py(p[1]));
      } else {
        path.lineTo(ax.px(p[0]), ax.py(p[1]));
      }
      if (s.markers()) {
        g.fillOval(ax.px(p[0]) - 4, ax.py(p[1]) - 4, 8, 8);
      }
      if (p.length >= 4 && Double.isFinite(p[2]) && Double.isFinite(p[3])) {
        errorBar(g, ax.px(p[0]), ax.py(p[2]), ax.py(p[3]));
      }
    }
    g.draw(path);
    g.setStroke(new BasicStroke(1f));
  }

  private static void legend(Graphics2D g, Axes ax, List<Series> series) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    List<Series> shown = series.stream().filter(s -> !s.points().isEmpty()).toList();
    int w = shown.stream().mapToInt(s -> fm.stringWidth(s.name())).max().orElse(0);
    int boxW = w + 50;
    int boxH = 22 * shown.size() + 10;
    // The corner of the plot whose box covers the fewest curve samples, so the legend hides no data.
    int[][] corners = {{WIDTH - RIGHT - boxW - 10, TOP + 10}, {WIDTH - RIGHT - boxW - 10, HEIGHT - BOTTOM - boxH - 10},
        {LEFT + 10, TOP + 10}, {LEFT + 10, HEIGHT - BOTTOM - boxH - 10}};
    int x = corners[0][0];
    int y = corners[0][1];
    long best = Long.MAX_VALUE;
    for (int[] c : corners) {
      long covered = covered(ax, shown, c[0], c[1], boxW, boxH);
      if (covered < best) {
        best = covered;
        x = c[0];
        y = c[1];
      }
    }
    g.setColor(new Color(255, 255, 255, 230));
    g.fillRect(x, y, boxW, 22 * shown.size() + 10);
    g.setColor(Color.GRAY);
    g.drawRect(x, y, boxW, 22 * shown.size() + 10);
    for (int i = 0; i < shown.size(); i++) {
      Series s = shown.get(i);
      int ly = y + 20 + 22 * i;
      g.setColor(s.color());
      g.setStroke(stroke(s, 2.5f));
      g.drawLine(x + 10, ly - 5, x + 35, ly - 5);
      if (s.markers()) {
        g.fillOval(x + 19, ly - 9, 8, 8);
      }
      g.setStroke(new BasicStroke(1f));
      g.setColor(Color.BLACK);
      g.drawString(s.name(), x + 42, ly);
    }
  }

  /** Samples (every ~2 px along each segment) of the curves that fall inside the box. */
  private static long covered(Axes ax, List<Series> series, int x, int y, int w, int h) {
    long n = 0;
    for (Series s : series) {
      List<double[]> p = s.points();
      for (int i = 0; i < p.size(); i++) {
        double x0 = ax.px(p.get(i)[0]);
        double y0 = ax.py(p.get(i)[1]);
        double x1 = i + 1 < p.size() ? ax.px(p.get(i + 1)[0]) : x0;
        double y1 = i + 1 < p.size() ? ax.py(p.get(i + 1)[1]) : y0;
        int steps = (int) Math.max(1, Math.hypot(x1 - x0, y1 - y0) / 2);
        for (int k = 0; k <= steps; k++) {
          double px = x0 + (x1 - x0) * k / steps;
          double py = y0 + (y1 - y0) * k / steps;
          n += px >= x && px <= x + w && py >= y && py <= y + h ? 1 : 0;
        }
      }
    }
    return n;
  }

  private static void write(BufferedImage img, Path png) {
    try {
      Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
      if (!ImageIO.write(img, "png", tmp.toFile())) {
        throw new IOException("no PNG writer");
      }
      Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("chart: cannot write " + png + ": " + e.getMessage(), e);
    }
  }
}
