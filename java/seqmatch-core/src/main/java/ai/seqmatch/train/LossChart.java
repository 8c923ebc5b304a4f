/*
 * Renders the loss curves of a run from its metrics.jsonl with Java2D into a PNG: train loss, BC and
 * SequenceMatch terms per step, validation loss per pass, with axes, ticks, grid and legend.
 * No charting dependency. Tested by LossChartTest.
 */
package ai.seqmatch.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Static renderer of loss charts. */
public final class LossChart {
  public static final int WIDTH = 960;
  public static final int HEIGHT = 560;

  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 70;
  private static final int BOTTOM = 60;

  private LossChart() {}

  /** One curve: (step, value) points. */
  record Series(String name, Color color, boolean markers, List<double[]> points) {}

  /**
   * Renders {@code metricsJsonl} into {@code png} (written atomically). Series: "train loss" (the
   * optimised loss), "BC" (unless equal to the train loss at every step), "SM" (only steps where it is
   * non-zero), "val loss".
   *
   * @throws UncheckedIOException if the log cannot be read or the image written
   */
  public static void render(Path metricsJsonl, Path png, String title) {
    List<Series> series = read(metricsJsonl);
    BufferedImage img = draw(series, title);
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

  static List<Series> read(Path metricsJsonl) {
    List<double[]> loss = new ArrayList<>();
    List<double[]> bc = new ArrayList<>();
    List<double[]> sm = new ArrayList<>();
    List<double[]> val = new ArrayList<>();
    ObjectMapper mapper = new ObjectMapper();
    List<String> lines;
    try {
      lines = Files.exists(metricsJsonl) ? Files.readAllLines(metricsJsonl) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("chart: cannot read " + metricsJsonl, e);
    }
    for (String line : lines) {
      JsonNode j;
      try {
        j = mapper.readTree(line);
      } catch (IOException e) {
        continue; // a line cut by a crash mid-write: the rest of the log is still worth drawing
      }
      double step = j.path("step").asDouble();
      if ("train".equals(j.path("kind").asText())) {
        add(loss, step, j.path("loss"));
        add(bc, step, j.path("bc"));
        if (j.path("sm").asDouble() != 0) {
          add(sm, step, j.path("sm"));
        }
      } else if ("eval".equals(j.path("kind").asText())) {
        add(val, step, j.path("val_loss"));
      }
    }
    boolean bcIsLoss = bc.size() == loss.size();
    for (int i = 0; bcIsLoss && i < bc.size(); i++) {
      bcIsLoss = bc.get(i)[1] == loss.get(i)[1];
    }
    if (bcIsLoss) {
      bc.clear(); // MLE, or BC warm-up only: one curve, not two drawn on top of each other
    }
    return List.of(new Series("train loss", new Color(0x1f77b4), false, loss),
        new Series("BC", new Color(0xff7f0e), false, bc), new Series("SM", new Color(0x2ca02c), false, sm),
        new Series("val loss", new Color(0xd62728), true, val));
  }

  private static void add(List<double[]> points, double step, JsonNode v) {
    if (v.isNumber() && Double.isFinite(v.asDouble())) {
      points.add(new double[] {step, v.asDouble()});
    }
  }

  static BufferedImage draw(List<Series> series, String title) {
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      double[] range = range(series);
      double[] xt = ticks(range[0], range[1]);
      double[] yt = ticks(range[2], range[3]);
      Axes ax = new Axes(xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]);
      drawGrid(g, ax, xt, yt);
      for (Series s : series) {
        drawSeries(g, ax, s);
      }
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, LEFT, 28);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      FontMetrics fm = g.getFontMetrics();
      g.drawString("step", LEFT + (WIDTH - LEFT - RIGHT) / 2 - fm.stringWidth("step") / 2, HEIGHT - 15);
      g.rotate(-Math.PI / 2);
      g.drawString("loss (nats / token)", -(TOP + (HEIGHT - TOP - BOTTOM) / 2) - 55, 20);
      g.rotate(Math.PI / 2);
      drawLegend(g, series);
    } finally {
      g.dispose();
    }
    return img;
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

  /** {xmin, xmax, ymin, ymax} over every point, with a fallback for an empty chart. */
  private static double[] range(List<Series> series) {
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
      return new double[] {0, 1, 0, 1};
    }
    r[0] = Math.min(r[0], 0);
    if (r[1] <= r[0]) {
      r[1] = r[0] + 1;
    }
    if (r[3] - r[2] < 1e-9) {
      r[2] -= 0.5;
      r[3] += 0.5;
    }
    return r;
  }

  /** "Nice" tick values (1, 2, 5 x 10^k steps) covering [lo, hi]. */
  static double[] ticks(double lo, double hi) {
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

  private static void drawGrid(Graphics2D g, Axes ax, double[] xt, double[] yt) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    for (double x : xt) {
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(ax.px(x), TOP, ax.px(x), HEIGHT - BOTTOM);
      g.setColor(Color.DARK_GRAY);
      String label = label(x);
      g.drawString(label, ax.px(x) - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 18);
    }
    for (double y : yt) {
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(LEFT, ax.py(y), WIDTH - RIGHT, ax.py(y));
      g.setColor(Color.DARK_GRAY);
      String label = label(y);
      g.drawString(label, LEFT - 8 - fm.stringWidth(label), ax.py(y) + fm.getAscent() / 2 - 1);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
  }

  private static String label(double v) {
    return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%d", (long) Math.rint(v))
        : String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
  }

  private static void drawSeries(Graphics2D g, Axes ax, Series s) {
    if (s.points().isEmpty()) {
      return;
    }
    g.setColor(s.color());
    g.setStroke(new BasicStroke(s.markers() ? 2.2f : 1.4f));
    Path2D.Double path = new Path2D.Double();
    boolean first = true;
    for (double[] p : s.points()) {
      if (first) {
        path.moveTo(ax.px(p[0]), ax.py(p[1]));
        first = false;
      } else {
        path.lineTo(ax.px(p[0]), ax.py(p[1]));
      }
      if (s.markers()) {
        g.fillOval(ax.px(p[0]) - 4, ax.py(p[1]) - 4, 8, 8);
      }
    }
    g.draw(path);
    g.setStroke(new BasicStroke(1f));
  }

  /** One row above the plot area, right-aligned, so it never hides a curve. */
  private static void drawLegend(Graphics2D g, List<Series> series) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    List<Series> shown = series.stream().filter(s -> !s.points().isEmpty()).toList();
    int width = 0;
    for (Series s : shown) {
      width += 40 + fm.stringWidth(s.name()) + 16;
    }
    int x = WIDTH - RIGHT - width;
    int y = TOP - 14;
    for (Series s : shown) {
      g.setColor(s.color());
      g.setStroke(new BasicStroke(2.5f));
      g.drawLine(x, y - 5, x + 28, y - 5);
      if (s.markers()) {
        g.fillOval(x + 10, y - 9, 8, 8);
      }
      g.setStroke(new BasicStroke(1f));
      g.setColor(Color.BLACK);
      g.drawString(s.name(), x + 34, y);
      x += 40 + fm.stringWidth(s.name()) + 16;
    }
  }

}
