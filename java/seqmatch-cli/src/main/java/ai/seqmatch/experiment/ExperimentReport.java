/*
 * Writes <out>/RESULTS.md for `seqmatch experiment arithmetic`: the scale used, accuracy per method, noise
 * kind and η, the chart, the paper's claim next to ours, and the full per-run table.
 */
package ai.seqmatch.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** Static writer of the experiment's results. */
final class ExperimentReport {
  private ExperimentReport() {}

  static void write(ArithmeticExperiment.Result r, MethodComparison.Settings s) {
    ArithmeticExperiment.Grid g = r.grid();
    List<Double> etas = g.etas().stream().sorted().toList();
    StringBuilder md = new StringBuilder("# Arithmetic: accuracy vs noise (SequenceMatch paper, Fig. 3)\n\n");
    md.append(String.format(Locale.ROOT, "Scale used: %s; %d steps of batch %d per run, GPT-2 with %d layers, "
        + "n_embd %d, n_positions %d, lr %s, seed %d (one seed per point); %d training examples, %d held-out test "
        + "prompts, greedy decoding with <bkspc> allowed. %d runs, %s wall time on this machine.%n%n",
        r.task().describe(), s.steps(), s.batchSize(), s.nLayer(), s.nEmbd(), s.nPositions(), s.lr(), s.seed(),
        s.trainExamples(), s.testExamples(), r.runs().size() - (etas.contains(0.0) ? 1 : 0),
        Progress.duration(r.seconds())));
    md.append("Methods: **MLE** trains on data where the noise stays in the completion (no correction); **BC** is "
        + "MLE on the same noise followed by <bkspc> (noise tokens are not targets); **SequenceMatch-χ²** adds "
        + "the χ²-mixture SequenceMatch loss (" + s.sm().describe() + ") after a BC warm-up of half the steps, "
        + "with model rollouts replayed. Noise: ground-truth = a wrong digit (trainer: the task's table for the largest base; MLE's kept "
        + "noise: the task's sampler, digits of the prompt's base), random = "
        + "uniform over bytes (for MLE's kept noise: printable ASCII). At η=0 BC is MLE (the same run).\n\n");
    md.append("![accuracy vs noise](accuracy_vs_noise.png)\n\n");
    md.append("| method | noise | ").append(etas.stream().map(e -> "η=" + fmt(e)).collect(Collectors.joining(" | ")))
        .append(" |\n|---|---|").append("---|".repeat(etas.size())).append('\n');
    for (Method m : Method.values()) {
      for (NoiseKind k : g.kinds()) {
        md.append("| ").append(m.label()).append(" | ").append(k.label()).append(" |");
        for (double eta : etas) {
          md.append(' ').append(find(r.runs(), m, k, eta).map(x -> String.format(Locale.ROOT, "%.3f", x.accuracy()))
              .orElse("–")).append(" |");
        }
        md.append('\n');
      }
    }
    md.append("\n## Paper vs this run\n\n");
    md.append("The paper (Cundy & Ermon, ICLR 2024, §6, Fig. 3) reports that as the noise level grows, MLE's "
        + "accuracy degrades most, BC less, and SequenceMatch least: SequenceMatch beats BC and MLE at every "
        + "non-zero noise level, with both random and ground-truth noise, on larger models trained much longer.\n\n");
    md.append(compare(r.runs(), g.kinds(), etas)).append('\n');
    md.append("\n## All runs\n\n").append(QuickstartReport.table(r.runs().stream()
        .filter(x -> !(x.spec().method() == Method.BC && x.spec().eta() == 0)).toList()));
    md.append("\nReproduce:\n\n```bash\n./seqmatch experiment arithmetic --out ").append(g.out()).append(" --eta ")
        .append(etas.stream().map(ExperimentReport::fmt).collect(Collectors.joining(","))).append(" --noise ")
        .append(g.kinds().stream().map(NoiseKind::wireName).collect(Collectors.joining(","))).append(" --steps ")
        .append(g.steps()).append(" --bases ").append(g.minBase()).append(',').append(g.maxBase())
        .append(" --digits ").append(g.minDigits()).append(',').append(g.maxDigits()).append(" --test ")
        .append(g.testExamples()).append(g.sm().cliFlags()).append("\n```\n");
    try {
      Files.createDirectories(r.results().toAbsolutePath().getParent());
      Path tmp = r.results().resolveSibling(r.results().getFileName() + ".tmp");
      Files.writeString(tmp, md, StandardCharsets.UTF_8);
      Files.move(tmp, r.results(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("experiment: cannot write " + r.results(), e);
    }
  }

  /** Where our grid agrees with the paper's ordering, counted point by point (η > 0). */
  private static String compare(List<RunResult> runs, List<NoiseKind> kinds, List<Double> etas) {
    int points = 0;
    int smBest = 0;
    int smOverMle = 0;
    int bcOverMle = 0;
    for (NoiseKind k : kinds) {
      for (double eta : etas) {
        Optional<RunResult> mle = find(runs, Method.MLE, k, eta);
        Optional<RunResult> bc = find(runs, Method.BC, k, eta);
        Optional<RunResult> sm = find(runs, Method.SEQUENCE_MATCH, k, eta);
        if (eta == 0 || mle.isEmpty() || bc.isEmpty() || sm.isEmpty()) {
          continue;
        }
        points++;
        double a = sm.get().accuracy();
        smBest += a > mle.get().accuracy() && a > bc.get().accuracy() ? 1 : 0;
        smOverMle += a > mle.get().accuracy() ? 1 : 0;
        bcOverMle += bc.get().accuracy() > mle.get().accuracy() ? 1 : 0;
      }
    }
    if (points == 0) {
      return "This grid has no noise level above 0, so it cannot test the paper's claim.";
    }
    return String.format(Locale.ROOT, "Ours (measured, one seed per point, small scale): of %d noisy (η > 0) "
        + "points, SequenceMatch-χ² has the best accuracy at %d, beats MLE at %d, and BC beats MLE at %d. "
        + "Where these counts fall short of %d, our run does not reproduce the paper's ordering at this scale; a "
        + "few hundred steps of a 4-layer model leave every method far from convergence, and the test set is "
        + "small enough that differences of a few points are noise.", points, smBest, smOverMle, bcOverMle, points);
  }

  private static Optional<RunResult> find(List<RunResult> runs, Method m, NoiseKind k, double eta) {
    return runs.stream().filter(x -> x.spec().method() == m && x.spec().eta() == eta
        && (eta == 0 || x.spec().noise() == k)).findFirst();
  }

  private static String fmt(double eta) {
    return String.format(Locale.ROOT, "%.2f", eta).replaceAll("0$", "");
  }
}
