/*
 * Per-prompt verdicts of one task evaluation, kept beside its report: what paired comparisons (Bootstrap),
 * per-group tables and sampled accuracy over seeds need. Tested by TaskEvaluatorTest.
 */
package ai.seqmatch.eval;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verdicts of one evaluation.
 *
 * @param correct per prompt, in test order
 * @param groups the task group of each prompt (e.g. "base 7")
 * @param report the evaluation report
 */
public record TaskScores(boolean[] correct, List<String> groups, EvalReport report) {
  /** Groups ordered by their number where they end in one ("base 2" before "base 10"), then by name. */
  public static final Comparator<String> GROUP_ORDER = Comparator.comparingLong(TaskScores::leadingNumber)
      .thenComparing(Comparator.naturalOrder());

  public TaskScores {
    correct = correct.clone();
    groups = List.copyOf(groups);
    if (groups.size() != correct.length) {
      throw new IllegalArgumentException("task scores: " + correct.length + " verdicts but " + groups.size()
          + " groups");
    }
  }

  @Override
  public boolean[] correct() {
    return correct.clone();
  }

  /** 1 for a correct prompt, 0 otherwise. */
  public double[] values() {
    double[] v = new double[correct.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = correct[i] ? 1 : 0;
    }
    return v;
  }

  /** Accuracy with its Wilson interval. */
  public Interval accuracy() {
    long k = 0;
    for (boolean c : correct) {
      k += c ? 1 : 0;
    }
    return Wilson.of(k, correct.length);
  }

  /** Accuracy per group, with Wilson intervals, in {@link #GROUP_ORDER}. */
  public Map<String, Interval> perGroup() {
    Map<String, long[]> n = new TreeMap<>(GROUP_ORDER);
    for (int i = 0; i < correct.length; i++) {
      long[] g = n.computeIfAbsent(groups.get(i), k -> new long[2]);
      g[0]++;
      g[1] += correct[i] ? 1 : 0;
    }
    Map<String, Interval> out = new LinkedHashMap<>();
    n.forEach((k, g) -> out.put(k, Wilson.of(g[1], g[0])));
    return out;
  }

  /**
   * Sampled accuracy over several sample seeds on the same prompts: per prompt the share of seeds that got it
   * right, averaged, with a percentile-bootstrap interval over prompts.
   */
  public static Interval meanOverSeeds(List<TaskScores> perSeed, long seed) {
    if (perSeed.isEmpty()) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    int n = perSeed.get(0).correct.length;
    double[] p = new double[n];
    for (TaskScores s : perSeed) {
      if (s.correct.length != n) {
        throw new IllegalArgumentException("task scores: seeds scored different prompt counts (" + n + " and "
            + s.correct.length + ")");
      }
      for (int i = 0; i < n; i++) {
        p[i] += s.correct[i] ? 1.0 / perSeed.size() : 0;
      }
    }
    return Bootstrap.mean(p, Bootstrap.RESAMPLES, seed);
  }

  private static long leadingNumber(String group) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)").matcher(group);
    return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
  }
}
