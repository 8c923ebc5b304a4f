/* The loss chart renders a readable PNG from a metrics.jsonl (also a partial or empty one). */
package ai.seqmatch.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.seqmatch.chart.Chart;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossChartTest {
  @TempDir Path tmp;

  @Test
  void rendersEverySeries() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int s = 1; s <= 50; s++) {
      double bc = 5.5 * Math.exp(-s / 20.0) + 1;
      double sm = s > 20 ? 0.3 - s / 500.0 : 0;
      lines.add("{\"kind\":\"train\",\"step\":" + s + ",\"loss\":" + (s > 20 ? 0.5 * bc + 0.5 * sm : bc) + ",\"bc\":"
          + bc + ",\"sm\":" + sm + "}");
      if (s % 10 == 0) {
        lines.add("{\"kind\":\"eval\",\"step\":" + s + ",\"val_loss\":" + (bc + 0.1) + ",\"val_ppl\":1}");
      }
    }
    lines.add("{\"kind\":\"tra"); // a line cut by a crash
    Path metrics = tmp.resolve("metrics.jsonl");
    Files.write(metrics, lines);
    Path png = tmp.resolve("loss.png");
    LossChart.render(metrics, png, "test (sequence_match)");
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img);
    assertEquals(Chart.WIDTH, img.getWidth());
    assertEquals(Chart.HEIGHT, img.getHeight());
    int red = 0;
    for (int x = 0; x < img.getWidth(); x++) {
      for (int y = 0; y < img.getHeight(); y++) {
        red += (img.getRGB(x, y) & 0xffffff) == 0xd62728 ? 1 : 0;
      }
    }
    assertNotEquals(0, red, "the val loss series (red) must be drawn");
    assertEquals(4, LossChart.read(metrics).size());
    assertEquals(30, LossChart.read(metrics).get(2).points().size(), "SM only where it is non-zero");
  }

  @Test
  void drawsBcOnlyWhereItDiffersFromTheLoss() throws Exception {
    Path metrics = tmp.resolve("mle.jsonl");
    Files.write(metrics, List.of("{\"kind\":\"train\",\"step\":1,\"loss\":3.0,\"bc\":3.0,\"sm\":0}",
        "{\"kind\":\"train\",\"step\":2,\"loss\":2.5,\"bc\":2.5,\"sm\":0}"));
    assertEquals(0, LossChart.read(metrics).get(1).points().size(), "MLE: BC is the loss, drawn once");
  }

  @Test
  void distributionMatchingDrawsItsCurvesInsteadOfBcAndSm() throws Exception {
    Path metrics = tmp.resolve("gdc.jsonl");
    Files.write(metrics, List.of(
        "{\"kind\":\"train\",\"step\":1,\"loss\":0.1,\"bc\":0,\"sm\":0,\"gdc_kl_p_pi\":2.0,\"gdc_kl_pi_a\":0.0,"
            + "\"gdc_pi_you\":0.1}",
        "{\"kind\":\"train\",\"step\":2,\"loss\":0.2,\"bc\":0,\"sm\":0,\"gdc_kl_p_pi\":null,\"gdc_kl_pi_a\":0.3,"
            + "\"gdc_pi_you\":0.4}"));
    List<Chart.Series> s = LossChart.read(metrics);
    assertEquals(List.of("train loss", "BC", "SM", "val loss", "KL(p‖π)", "KL(π‖a)", "E_π[you]"),
        s.stream().map(Chart.Series::name).toList());
    assertEquals(0, s.get(1).points().size(), "no BC curve under distribution matching");
    assertEquals(1, s.get(4).points().size(), "a null KL (no sample with P > 0 yet) is skipped");
    assertEquals(0.4, s.get(6).points().get(1)[1]);
  }

  @Test
  void rendersAnEmptyLog() throws Exception {
    Path png = tmp.resolve("empty.png");
    LossChart.render(tmp.resolve("none.jsonl"), png, "empty");
    assertNotNull(ImageIO.read(png.toFile()));
  }

  @Test
  void ticksAreNice() {
    assertArrayEquals(new double[] {0, 50, 100, 150, 200, 250, 300}, Chart.ticks(0, 300), 1e-9);
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7}, Chart.ticks(1.2, 6.7), 1e-9);
  }
}
