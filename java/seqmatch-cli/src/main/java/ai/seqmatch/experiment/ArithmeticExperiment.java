/*
 * The paper's arithmetic experiment (Cundy & Ermon 2023, §6, Fig. 3) at a configurable scale: test accuracy
 * vs noise level η for MLE (noise kept in the data), BC and SequenceMatch-χ² (noise followed by <bkspc>),
 * with ground-truth and random noise. Writes RESULTS.md and accuracy_vs_noise.png. Tested by
 * ArithmeticExperimentTest (tiny grid).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tasks.AddOrSubInBase;
import ai.seqmatch.tasks.Task;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Static runner of the accuracy-vs-noise grid. */
public final class ArithmeticExperiment {
  private ArithmeticExperiment() {}

  /**
   * The grid.
   *
   * @param out output directory
   * @param etas noise levels (0 allowed: one MLE and one SequenceMatch run, BC at η=0 is MLE)
   * @param kinds noise kinds
   * @param minBase smallest base
   * @param maxBase largest base
   * @param minDigits fewest operand digits
   * @param maxDigits most operand digits
   * @param steps steps per run
   * @param testExamples held-out test prompts
   * @param seed seed
   * @param sm SequenceMatch-χ² knobs
   */
  public record Grid(Path out, List<Double> etas, List<NoiseKind> kinds, int minBase, int maxBase, int minDigits,
      int maxDigits, int steps, int testExamples, long seed, SequenceMatchSettings sm) {
    public Grid {
      etas = List.copyOf(etas);
      kinds = List.copyOf(kinds);
      List<String> problems = new ArrayList<>();
      if (etas.isEmpty() || etas.stream().anyMatch(e -> !(e >= 0 && e < 1)) || etas.stream().distinct().count()
          != etas.size()) {
        problems.add("--eta needs distinct values in [0, 1) (got " + etas + ")");
      }
      if (kinds.isEmpty() || kinds.stream().distinct().count() != kinds.size()) {
        problems.add("--noise needs distinct kinds among task, uniform (got " + kinds + ")");
      }
      if (steps < 1 || testExamples < 1) {
        problems.add("--steps and --test must be >= 1 (got " + steps + ", " + testExamples + ")");
      }
      try {
        AddOrSubInBase.builder().optBases(minBase, maxBase).optDigits(minDigits, maxDigits).build();
      } catch (IllegalArgumentException e) {
        problems.add("--bases/--digits: " + e.getMessage().replaceFirst("^[^:]+: ", ""));
      }
      if (maxDigits > 8) {
        problems.add("--digits: at most 8 digits fit the experiment's 64-position model (got " + maxDigits + ")");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
    }

    Task task() {
      return AddOrSubInBase.builder().optBases(minBase, maxBase).optDigits(minDigits, maxDigits).build();
    }

    /** The runs: at η = 0 MLE and SequenceMatch once; at each η > 0 and kind, MLE, BC and SequenceMatch. */
    List<RunSpec> specs() {
      List<RunSpec> specs = new ArrayList<>();
      if (etas.contains(0.0)) {
        specs.add(new RunSpec(Method.MLE, 0, kinds.get(0)));
        specs.add(new RunSpec(Method.SEQUENCE_MATCH, 0, kinds.get(0)));
      }
      for (NoiseKind k : kinds) {
        for (double eta : etas.stream().filter(e -> e > 0).sorted().toList()) {
          for (Method m : Method.values()) {
            specs.add(new RunSpec(m, eta, k));
          }
        }
      }
      return specs;
    }
  }

  /** The outcome. */
  public record Result(Grid grid, Task task, List<RunResult> runs, double seconds, Path results, Path chart) {}

  public static Result run(Grid g, Consumer<String> log) {
    long t0 = System.nanoTime();
    Task task = g.task();
    List<RunSpec> specs = g.specs();
    MethodComparison.Settings settings = MethodComparison.Settings.small(g.steps(), g.testExamples(), g.seed())
        .withSequenceMatch(g.sm());
    log.accept("experiment arithmetic: " + task.describe() + "; " + specs.size() + " runs of " + g.steps()
        + " steps into " + g.out());
    List<RunResult> runs = new ArrayList<>(new MethodComparison(task, g.out(), settings, log).run(specs));
    runs.stream().filter(r -> r.spec().method() == Method.MLE && r.spec().eta() == 0).findFirst()
        .ifPresent(mle -> runs.add(new RunResult(new RunSpec(Method.BC, 0, mle.spec().noise()), mle.outDir(),
            mle.finalModel(), mle.valLoss(), mle.trainSeconds(), mle.report()))); // BC at η=0 is this very run
    Path chart = g.out().resolve("accuracy_vs_noise.png");
    ComparisonCharts.accuracyVsNoise(runs, chart);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Result r = new Result(g, task, runs, seconds, g.out().resolve("RESULTS.md"), chart);
    ExperimentReport.write(r, settings);
    log.accept("results: " + r.results());
    return r;
  }
}
