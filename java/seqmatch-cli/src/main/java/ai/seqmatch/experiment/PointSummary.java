/*
 * One grid point (runs that differ only in the training seed) summarised for reports: greedy and sampled
 * accuracy as a mean over training seeds with a 95% Student-t interval across seeds (one seed: the Wilson
 * interval over prompts, resp. the bootstrap interval over prompts of the sampled accuracy), finish-reason counts,
 * per-group accuracy, and the per-prompt greedy accuracy averaged over seeds, on which two points are compared
 * with a paired bootstrap (the test prompts are the same for every run). Tested by ArithmeticExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.eval.Bootstrap;
import ai.seqmatch.eval.Interval;
import ai.seqmatch.eval.StudentT;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grid point.
 *
 * @param spec the point's spec (seed of its first run)
 * @param runs its runs, one per training seed
 */
public record PointSummary(RunSpec spec, List<RunResult> runs) {
  /** Seed of the paired bootstrap: fixed, so a report is reproducible. */
  static final long BOOTSTRAP_SEED = 20240101L;

  public PointSummary {
    runs = List.copyOf(runs);
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("a grid point needs at least one run");
    }
  }

  /** The points of {@code runs}, in order of first appearance. */
  public static List<PointSummary> of(List<RunResult> runs) {
    Map<String, List<RunResult>> byPoint = new LinkedHashMap<>();
    runs.forEach(r -> byPoint.computeIfAbsent(r.spec().point() + "|" + r.spec().method(), k -> new ArrayList<>())
        .add(r));
    return byPoint.values().stream().map(l -> new PointSummary(l.get(0).spec(), l)).toList();
  }

  /** Training seeds. */
  public List<Long> seeds() {
    return runs.stream().map(r -> r.spec().seed()).toList();
  }

  /** Greedy test accuracy: mean over seeds with a t interval (within [0, 1]), or one run's Wilson interval. */
  public Interval greedy() {
    return runs.size() == 1 ? runs.get(0).greedy().accuracy()
        : StudentT.mean(runs.stream().mapToDouble(RunResult::accuracy).toArray()).clippedTo(0, 1);
  }

  /** Sampled (T=1) test accuracy: mean over seeds with a t interval (within [0, 1]), or one run's bootstrap. */
  public Interval sampled() {
    if (runs.get(0).sampled().isEmpty()) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    return runs.size() == 1 ? runs.get(0).sampledAccuracy()
        : StudentT.mean(runs.stream().mapToDouble(r -> r.sampledAccuracy().estimate()).toArray()).clippedTo(0, 1);
  }

  /** Mean over seeds of a greedy-report metric. */
  public double mean(String metric) {
    return runs.stream().mapToDouble(r -> r.report().metric(metric)).average().orElse(Double.NaN);
  }

  public double valLoss() {
    return runs.stream().mapToDouble(RunResult::valLoss).average().orElse(Double.NaN);
  }

  public double validationAccuracy() {
    return runs.stream().mapToDouble(RunResult::validationAccuracy).average().orElse(Double.NaN);
  }

  /** Greedy finish reasons ("eos", "max_new_tokens", "max_actions", ...) summed over seeds. */
  public Map<String, Long> finishReasons() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (RunResult r : runs) {
      r.report().counts().forEach((k, v) -> {
        if (k.startsWith("finish_")) {
          out.merge(k.substring("finish_".length()), v, Long::sum);
        }
      });
    }
    return out;
  }

  /**
   * Greedy accuracy per task group: one run's Wilson intervals, or with several seeds the mean over seeds (NaN
   * ends: the prompts of a group are too few for a per-seed t interval to mean much).
   */
  public Map<String, Interval> perGroup() {
    if (runs.size() == 1) {
      return runs.get(0).greedy().perGroup();
    }
    Map<String, double[]> sum = new LinkedHashMap<>();
    for (RunResult r : runs) {
      r.greedy().perGroup().forEach((k, v) -> sum.computeIfAbsent(k, x -> new double[1])[0] += v.estimate());
    }
    Map<String, Interval> out = new LinkedHashMap<>();
    sum.forEach((k, v) -> out.put(k, new Interval(v[0] / runs.size(), Double.NaN, Double.NaN)));
    return out;
  }

  /** Per prompt, the share of seeds whose greedy answer was right. */
  public double[] perPrompt() {
    double[] p = null;
    for (RunResult r : runs) {
      double[] v = r.greedy().values();
      if (p == null) {
        p = new double[v.length];
      }
      if (v.length != p.length) {
        throw new IllegalStateException("runs of " + spec.point() + " were scored on different prompt counts");
      }
      for (int i = 0; i < v.length; i++) {
        p[i] += v[i] / runs.size();
      }
    }
    return p;
  }

  /** Greedy accuracy of this point minus {@code other}'s, paired by prompt, with a bootstrap interval. */
  public Interval minus(PointSummary other) {
    return Bootstrap.pairedDifference(perPrompt(), other.perPrompt(), Bootstrap.RESAMPLES, BOOTSTRAP_SEED);
  }
}
