/* Line and bar charts decode as PNGs of the documented size, with each series' colour actually drawn. */
package ai.seqmatch.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {
  @TempDir Path tmp;

  private static int pixels(BufferedImage img, Color c) {
    int n = 0;
    for (int x = 0; x < img.getWidth(); x++) {
      for (int y = 0; y < img.getHeight(); y++) {
        n += (img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
      }
    }
    return n;
  }

  @Test
  void linesDrawEverySeriesAndWriteAtomically() throws Exception {
    Path png = tmp.resolve("lines.png");
    Chart.lines(png, "t", "x", "y", List.of(
        new Chart.Series("a", Chart.PALETTE[0], false, true, List.of(new double[] {0, 1}, new double[] {10, 3})),
        new Chart.Series("b", Chart.PALETTE[2], true, false, List.of(new double[] {0, 2}, new double[] {10, 0}))),
        null);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(Chart.WIDTH, img.getWidth());
    assertEquals(Chart.HEIGHT, img.getHeight());
    assertTrue(pixels(img, Chart.PALETTE[0]) > 50, "series a");
    assertTrue(pixels(img, Chart.PALETTE[2]) > 50, "series b");
    assertFalse(Files.exists(tmp.resolve("lines.png.tmp")), "the temporary file is renamed into place");
  }

  @Test
  void legendAvoidsTheCurves() throws Exception {
    Path png = tmp.resolve("diagonal.png");
    List<double[]> diagonal = List.of(new double[] {0, 0}, new double[] {10, 10});
    Chart.lines(png, "t", "x", "y", List.of(new Chart.Series("a long series name", Chart.PALETTE[0], false, false,
        diagonal)), null);
    BufferedImage img = ImageIO.read(png.toFile());
    int topRight = 0;  // the curve ends in the top-right corner: the legend must not be drawn over it
    for (int x = Chart.WIDTH - 200; x < Chart.WIDTH - 40; x++) {
      for (int y = 60; y < 90; y++) {
        Color c = new Color(img.getRGB(x, y));  // strongly blue: the curve, not seen through the legend's white box
        topRight += c.getRed() < 120 && c.getBlue() > 150 ? 1 : 0;
      }
    }
    assertTrue(topRight > 10, "curve visible in the top-right corner: " + topRight);
  }

  @Test
  void barsDrawOneColourPerBar() throws Exception {
    Path png = tmp.resolve("bars.png");
    Chart.bars(png, "accuracy", "acc", List.of("MLE", "BC", "SM"), List.of(0.7, 0.6, Double.NaN), 1.0);
    BufferedImage img = ImageIO.read(png.toFile());
    assertTrue(pixels(img, Chart.PALETTE[0]) > 1000);
    assertTrue(pixels(img, Chart.PALETTE[1]) > 1000);
    assertEquals(0, pixels(img, Chart.PALETTE[2]), "a NaN value draws no bar");
  }

  @Test
  void errorBarsAreDrawnOnBarsAndLines() throws Exception {
    Path plain = tmp.resolve("plain.png");
    Path bars = tmp.resolve("errbars.png");
    Chart.bars(plain, "a", "acc", List.of("MLE", "BC"), List.of(0.7, 0.5), 1.0);
    Chart.bars(bars, "a", "acc", List.of("MLE", "BC"), List.of(0.7, 0.5),
        List.of(new double[] {0.6, 0.8}, new double[] {0.4, 0.6}), 1.0);
    assertEquals(0, whiskers(ImageIO.read(plain.toFile())));
    assertEquals(2, whiskers(ImageIO.read(bars.toFile())));
    Path lines = tmp.resolve("errlines.png");
    Chart.lines(lines, "t", "x", "y", List.of(new Chart.Series("a", Color.BLACK, false, false,
        List.of(new double[] {0, 0.5}, new double[] {0.5, 0.5, 0.4, 0.6}, new double[] {1, 0.5}))),
        new double[] {0, 1});
    assertEquals(1, whiskers(ImageIO.read(lines.toFile()))); // the ends lie on the frame: only the middle point

  }

  /** Groups of adjacent columns holding a vertical run of 40..200 near-black pixels (the frame is taller). */
  private static int whiskers(BufferedImage img) {
    int groups = 0;
    boolean previous = false;
    for (int x = 0; x < img.getWidth(); x++) {
      int run = 0;
      int best = 0;
      for (int y = 0; y < img.getHeight(); y++) {
        int rgb = img.getRGB(x, y);
        boolean dark = ((rgb >> 16) & 0xff) < 60 && ((rgb >> 8) & 0xff) < 60 && (rgb & 0xff) < 60;
        run = dark ? run + 1 : 0;
        best = Math.max(best, run);
      }
      boolean hit = best >= 40 && best <= 200;
      groups += hit && !previous ? 1 : 0;
      previous = hit;
    }
    return groups;
  }

  @Test
  void ticksAreNice() {
    assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8, 1.0}, Chart.ticks(0, 1), 1e-9);
    assertArrayEquals(new double[] {-10, -5, 0, 5, 10, 15, 20, 25, 30, 35}, Chart.ticks(-7, 33), 1e-9);
  }
}
