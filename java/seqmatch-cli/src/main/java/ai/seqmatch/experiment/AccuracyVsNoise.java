/*
 * An accuracy-vs-noise grid on one task (the paper's Fig. 3 at a configurable scale): test accuracy vs noise
 * level η for MLE (noise kept in the data), BC and SequenceMatch-χ² (noise followed by <bkspc>), with
 * ground-truth and random noise, over several training seeds per point (mean and 95% interval), greedy and
 * sampled at T=1; optional SequenceMatch ablations (λ, replay off, the other terminal value; the SM term without
 * <bkspc> is the η = 0 point). The task is add-or-sub-in-base (`experiment arithmetic`) or Dyck completions
 * (`experiment dyck`, where errors compound over 20+ characters). Runs already finished (runs/<run>/result.json
 * for the same config) are reused, so a long grid can be stopped and continued. Writes RESULTS.md, results.json
 * and accuracy_vs_noise.png. Tested by ArithmeticExperimentTest and DyckExperimentTest (tiny grids).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tasks.Task;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Static runner of the accuracy-vs-noise grid. */
public final class AccuracyVsNoise {
  private AccuracyVsNoise() {}

  /**
   * The grid.
   *
   * @param out output directory
   * @param etas noise levels (0 allowed: one MLE and one SequenceMatch run, BC at η=0 is MLE)
   * @param kinds noise kinds
   * @param task the task and its context length
   * @param steps steps per run
   * @param testExamples held-out test prompts (distinct)
   * @param seed seed of the data split
   * @param sm SequenceMatch-χ² knobs
   * @param seeds training seeds per point (0..seeds-1)
   * @param data train/validation example counts and sample seeds
   * @param ablations SequenceMatch variants run at {@code ablationEta} with the first noise kind
   * @param ablationEta the noise level of the ablation runs
   */
  public record Grid(Path out, List<Double> etas, List<NoiseKind> kinds, ExperimentTask task, int steps,
      int testExamples, long seed, SequenceMatchSettings sm, int seeds, Data data,
      List<Variant> ablations, double ablationEta) {
    public Grid {
      etas = List.copyOf(etas);
      kinds = List.copyOf(kinds);
      ablations = List.copyOf(ablations);
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
      if (seeds < 1) {
        problems.add("--seeds must be >= 1 (got " + seeds + ")");
      }
      if (!ablations.isEmpty() && !(ablationEta > 0 && ablationEta < 1)) {
        problems.add("--ablation-eta must be in (0, 1) (got " + ablationEta + ")");
      }
      if (task == null) {
        problems.add("a task is required");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
    }

    /** The defaults of everything but the grid itself: 3 seeds, no ablations. */
    public Grid(Path out, List<Double> etas, List<NoiseKind> kinds, ExperimentTask task, int steps,
        int testExamples, long seed, SequenceMatchSettings sm) {
      this(out, etas, kinds, task, steps, testExamples, seed, sm, 3, Data.DEFAULT, List.of(), 0.1);
    }

    /**
     * The runs, seed by seed (so a stopped grid has whole seeds done): at η = 0 MLE and SequenceMatch; at each
     * η > 0 and kind, MLE, BC and SequenceMatch; then the ablations.
     */
    List<RunSpec> specs() {
      List<RunSpec> specs = new ArrayList<>();
      for (long s = 0; s < seeds; s++) {
        if (etas.contains(0.0)) {
          specs.add(new RunSpec(Method.MLE, 0, kinds.get(0), s, Variant.MAIN));
          specs.add(new RunSpec(Method.SEQUENCE_MATCH, 0, kinds.get(0), s, Variant.MAIN));
        }
        for (NoiseKind k : kinds) {
          for (double eta : etas.stream().filter(e -> e > 0).sorted().toList()) {
            for (Method m : Method.values()) {
              specs.add(new RunSpec(m, eta, k, s, Variant.MAIN));
            }
          }
        }
        for (Variant v : ablations) {
          specs.add(new RunSpec(Method.SEQUENCE_MATCH, ablationEta, kinds.get(0), s, v));
        }
      }
      return specs;
    }
  }

  /**
   * Data sizes.
   *
   * @param train training examples (drawn from the problems not held out)
   * @param validation distinct validation prompts
   * @param sampleSeeds sample seeds of the sampled (T=1) accuracy
   */
  public record Data(int train, int validation, int sampleSeeds) {
    public static final Data DEFAULT = new Data(20000, 150, 5);

    public Data {
      if (train < 1 || validation < 1 || sampleSeeds < 0) {
        throw new InvalidInputException("--train and --validation must be >= 1 and --sample-seeds >= 0 (got "
            + train + ", " + validation + ", " + sampleSeeds + ")");
      }
    }
  }

  /** The outcome. */
  public record Result(Grid grid, Task task, List<RunResult> runs, List<PointSummary> points, double seconds,
      Path results, Path json, Path chart) {}

  public static Result run(Grid g, Consumer<String> log) {
    return run(g, Shard.ALL, log);
  }

  /**
   * Runs the grid, or only {@code shard}'s part of it; a shard writes no report (its result is null): the
   * same command without --shard, once every shard is done, reuses all runs and writes it.
   */
  /** Writes the grid's data and run configs only (see MethodComparison#plan); returns the config files. */
  public static List<Path> plan(Grid g, Consumer<String> log) {
    List<Path> configs = new MethodComparison(g.task().task(), g.out(), settings(g), log).plan(g.specs());
    log.accept("experiment " + g.task().command() + ": " + configs.size() + " run configs and data in " + g.out()
        + "; train them elsewhere with scripts/gpu/run_task_grid.sh " + g.out());
    return configs;
  }

  public static Result run(Grid g, Shard shard, Consumer<String> log) {
    long t0 = System.nanoTime();
    Task task = g.task().task();
    List<RunSpec> specs = g.specs();
    MethodComparison.Settings settings = settings(g);
    log.accept("experiment " + g.task().command() + ": " + task.describe() + "; " + specs.size() + " runs of "
        + g.steps()
        + " steps (" + g.seeds() + " training seeds) into " + g.out()
        + (shard.isAll() ? "" : "; shard " + shard.index() + "/" + shard.count()));
    if (!shard.isAll()) {
      new MethodComparison(task, g.out(), settings, log).run(specs, shard);
      log.accept("shard " + shard.index() + "/" + shard.count() + " done; once every shard is, the same command "
          + "without --shard writes the report");
      return null;
    }
    List<RunResult> runs = new ArrayList<>();
    for (RunResult r : new MethodComparison(task, g.out(), settings, log).run(specs)) {
      runs.add(r);
      if (r.spec().method() == Method.MLE && r.spec().eta() == 0) {
        runs.add(r.as(new RunSpec(Method.BC, 0, r.spec().noise(), r.spec().seed(), Variant.MAIN))); // the same run
      }
    }
    List<PointSummary> points = PointSummary.of(runs);
    Path chart = g.out().resolve("accuracy_vs_noise.png");
    ComparisonCharts.accuracyVsNoise(points, chart);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Result r = new Result(g, task, runs, points, seconds, g.out().resolve("RESULTS.md"),
        g.out().resolve("results.json"), chart);
    ExperimentReport.write(r, settings);
    log.accept("results: " + r.results() + ", " + r.json());
    return r;
  }

  static MethodComparison.Settings settings(Grid g) {
    return MethodComparison.Settings.small(g.steps(), g.testExamples(), g.seed()).withSequenceMatch(g.sm())
        .withData(g.data().train(), g.data().validation(), g.data().sampleSeeds())
        .withPositions(g.task().nPositions());
  }
}
