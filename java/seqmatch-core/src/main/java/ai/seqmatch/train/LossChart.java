/*
 * Renders the loss curves of a run from its metrics.jsonl into a PNG: train loss, BC and SequenceMatch
 * terms per step, validation loss per pass. Drawing is Chart's (ai.seqmatch.chart); this class only reads
 * the log. Tested by LossChartTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.chart.Chart;
import ai.seqmatch.chart.Chart.Series;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Static renderer of loss charts. */
public final class LossChart {
  private LossChart() {}

  /**
   * Renders {@code metricsJsonl} into {@code png} (written atomically). Series: "train loss" (the
   * optimised loss), "BC" (unless equal to the train loss at every step), "SM" (only steps where it is
   * non-zero), "val loss"; distribution matching (objective gdc++ / dpg) draws "KL(p‖π)", "KL(π‖a)" and
   * "E_π[name]" per constraint instead of BC and SM.
   *
   * @throws UncheckedIOException if the log cannot be read or the image written
   */
  public static void render(Path metricsJsonl, Path png, String title) {
    Chart.lines(png, title, "step", "loss (nats per action)", read(metricsJsonl), null);
  }

  static List<Series> read(Path metricsJsonl) {
    List<double[]> loss = new ArrayList<>();
    List<double[]> bc = new ArrayList<>();
    List<double[]> sm = new ArrayList<>();
    List<double[]> val = new ArrayList<>();
    Map<String, List<double[]>> gdc = new LinkedHashMap<>();
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
        if (j.has("gdc_kl_pi_a")) {
          add(gdc.computeIfAbsent("KL(p‖π)", k -> new ArrayList<>()), step, j.path("gdc_kl_p_pi"));
          add(gdc.computeIfAbsent("KL(π‖a)", k -> new ArrayList<>()), step, j.path("gdc_kl_pi_a"));
          for (Iterator<String> it = j.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (f.startsWith("gdc_pi_")) {
              add(gdc.computeIfAbsent("E_π[" + f.substring(7) + "]", k -> new ArrayList<>()), step, j.path(f));
            }
          }
        }
      } else if ("eval".equals(j.path("kind").asText())) {
        add(val, step, j.path("val_loss"));
      }
    }
    boolean bcIsLoss = bc.size() == loss.size();
    for (int i = 0; bcIsLoss && i < bc.size(); i++) {
      bcIsLoss = bc.get(i)[1] == loss.get(i)[1];
    }
    if (bcIsLoss || !gdc.isEmpty()) {
      bc.clear(); // MLE, or BC warm-up only: one curve, not two drawn on top of each other
    }
    List<Series> out = new ArrayList<>(List.of(new Series("train loss", Chart.PALETTE[0], false, false, loss),
        new Series("BC", Chart.PALETTE[1], false, false, bc), new Series("SM", Chart.PALETTE[2], false, false, sm),
        new Series("val loss", Chart.PALETTE[3], false, true, val)));
    int colour = 4;
    for (Map.Entry<String, List<double[]>> e : gdc.entrySet()) {
      out.add(new Series(e.getKey(), Chart.PALETTE[colour++ % Chart.PALETTE.length], false, false, e.getValue()));
    }
    return out;
  }

  private static void add(List<double[]> points, double step, JsonNode v) {
    if (v.isNumber() && Double.isFinite(v.asDouble())) {
      points.add(new double[] {step, v.asDouble()});
    }
  }}
