/*
 * The charts of a method comparison, drawn with Chart: training curves of every run on one chart,
 * test accuracy per run (bars: greedy and sampled at T=1, each with its 95% interval), and accuracy vs noise level
 * (the paper's Fig. 3, mean over training seeds with 95% error bars). Tested by
 * QuickstartTest and ArithmeticExperimentTest (decoded with ImageIO).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.chart.Chart;
import ai.seqmatch.eval.Interval;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Static chart writers over {@link RunResult}s. */
public final class ComparisonCharts {
  /** Points per smoothed train-loss curve: per-step losses of batch 32 are too noisy to compare by eye. */
  private static final int TRAIN_POINTS = 60;

  private ComparisonCharts() {}

  /** Train loss (thin, smoothed) and validation loss (markers) of every run vs step, one colour per run. */
  public static void curves(List<RunResult> runs, Path png) {
    List<Chart.Series> series = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      RunResult r = runs.get(i);
      Color color = Chart.PALETTE[i % Chart.PALETTE.length];
      List<double[]> train = new ArrayList<>();
      List<double[]> val = new ArrayList<>();
      read(r.outDir().resolve("metrics.jsonl"), train, val);
      String name = r.spec().method().label();
      series.add(new Chart.Series(name + " train", color, true, false, smooth(train)));
      series.add(new Chart.Series(name + " val", color, false, true, val));
    }
    Chart.lines(png, "Training curves (train loss = the optimised loss; val = NLL of clean validation data)",
        "step", "loss (nats / token)", series, null);
  }

  /** Test accuracy per run, greedy and sampled at T=1, with 95% error bars (Wilson; bootstrap over prompts). */
  public static void accuracy(List<RunResult> runs, Path png) {
    List<String> labels = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    List<double[]> bars = new ArrayList<>();
    for (RunResult r : runs) {
      Interval g = r.greedy().accuracy();
      labels.add(r.spec().method().label() + " greedy");
      values.add(g.estimate());
      bars.add(new double[] {g.low(), g.high()});
      if (!r.sampled().isEmpty()) {
        Interval s = r.sampledAccuracy();
        labels.add("sampled");
        values.add(s.estimate());
        bars.add(new double[] {s.low(), s.high()});
      }
    }
    Chart.bars(png, "Test accuracy with 95% intervals (greedy; sampled at T=1 over sample seeds)", "accuracy",
        labels, values, bars, 0.0);
  }

  /**
   * Greedy accuracy vs η, one line per (method, noise kind): solid for ground-truth noise, dashed for random;
   * points at η = 0 belong to every noise kind's line; error bars: 95% intervals over training seeds.
   * Ablation points are left out (RESULTS.md lists them).
   */
  public static void accuracyVsNoise(List<PointSummary> points, Path png) {
    List<Chart.Series> series = new ArrayList<>();
    List<NoiseKind> kinds = points.stream().filter(p -> p.spec().eta() > 0).map(p -> p.spec().noise()).distinct()
        .toList();
    for (Method m : Method.values()) {
      for (NoiseKind k : kinds) {
        String name = m.label() + ", " + k.label() + " noise";
        List<double[]> pts = new ArrayList<>();
        points.stream().filter(p -> p.spec().method() == m && p.spec().variant().isMain()
                && (p.spec().eta() == 0 || p.spec().noise() == k))
            .sorted((a, b) -> Double.compare(a.spec().eta(), b.spec().eta()))
            .forEach(p -> {
              Interval i = p.greedy();
              pts.add(new double[] {p.spec().eta(), i.estimate(), clamp(i.low()), clamp(i.high())});
            });
        if (!pts.isEmpty()) {
          series.add(new Chart.Series(name, Chart.PALETTE[m.ordinal()], k == NoiseKind.UNIFORM, true, pts));
        }
      }
    }
    Chart.lines(png, "Arithmetic: greedy test accuracy vs noise level (mean over seeds, 95% intervals)",
        "noise level η", "accuracy", series, new double[] {0, 1});
  }

  private static double clamp(double v) {
    return Double.isNaN(v) ? v : Math.max(0, Math.min(1, v));
  }

  private static void read(Path metrics, List<double[]> train, List<double[]> val) {
    ObjectMapper mapper = new ObjectMapper();
    try {
      for (String line : Files.readAllLines(metrics)) {
        JsonNode j;
        try {
          j = mapper.readTree(line);
        } catch (IOException e) {
          continue; // a line cut by a crash mid-write: the rest of the log is still worth drawing
        }
        double step = j.path("step").asDouble();
        if ("train".equals(j.path("kind").asText()) && j.path("loss").isNumber()) {
          train.add(new double[] {step, j.path("loss").asDouble()});
        } else if ("eval".equals(j.path("kind").asText()) && j.path("val_loss").isNumber()) {
          val.add(new double[] {step, j.path("val_loss").asDouble()});
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("chart: cannot read " + metrics, e);
    }
  }

  /** Means over consecutive windows, placed at each window's last step. */
  static List<double[]> smooth(List<double[]> points) {
    int window = Math.max(1, points.size() / TRAIN_POINTS);
    List<double[]> out = new ArrayList<>();
    for (int start = 0; start < points.size(); start += window) {
      int end = Math.min(points.size(), start + window);
      double sum = 0;
      for (int i = start; i < end; i++) {
        sum += points.get(i)[1];
      }
      out.add(new double[] {points.get(end - 1)[0], sum / (end - start)});
    }
    return out;
  }
}
