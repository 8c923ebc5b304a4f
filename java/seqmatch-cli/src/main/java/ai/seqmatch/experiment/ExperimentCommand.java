/*
 * `seqmatch experiment arithmetic`: the paper's Fig. 3 grid (accuracy vs noise for MLE, BC and
 * SequenceMatch-χ², ground-truth vs random noise, several training seeds) and SequenceMatch ablations over
 * AccuracyVsNoise; `experiment text` (TextExperiment) is the paper's Table 1 on a text corpus. Bad options ->
 * exit 2 with one line listing every problem. Tested by ArithmeticExperimentTest and TextExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = "Reproductions of the SequenceMatch paper's experiments.",
    subcommands = {ExperimentCommand.Arithmetic.class, ExperimentCommand.Dyck.class, TextExperiment.class})
public final class ExperimentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /**
   * The options and run loop every grid shares; a subclass names the task. The default --out is
   * runs/experiment-<task>.
   */
  abstract static class Grid implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--eta", split = ",", paramLabel = "F,...", defaultValue = "0,0.05,0.1,0.2",
        description = "Noise levels (default: ${DEFAULT-VALUE}).")
    List<Double> etas = new ArrayList<>();

    @Option(names = "--noise", split = ",", paramLabel = "KIND,...", defaultValue = "task,uniform",
        description = "Noise kinds: task (ground truth), uniform (random) (default: ${DEFAULT-VALUE}).")
    List<String> noise = new ArrayList<>();

    @Option(names = "--steps", defaultValue = "300", description = "Steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Output directory (default: runs/experiment-<task>, e.g. runs/experiment-arithmetic).")
    Path out;

    @Option(names = "--test", defaultValue = "200",
        description = "Distinct held-out test prompts (default: ${DEFAULT-VALUE}).")
    int test;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seeds", defaultValue = "3",
        description = "Training seeds per grid point, 0..N-1 (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--train", defaultValue = "20000", description = "Training examples (default: ${DEFAULT-VALUE}).")
    int train;

    @Option(names = "--validation", defaultValue = "150",
        description = "Distinct validation prompts (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--sample-seeds", defaultValue = "5",
        description = "Sample seeds of the sampled (T=1) accuracy; 0 = greedy only (default: ${DEFAULT-VALUE}).")
    int sampleSeeds;

    @Option(names = "--ablate-lambda", split = ",", paramLabel = "F,...",
        description = "Ablation: also SequenceMatch with each of these λ.")
    List<Double> ablateLambda = new ArrayList<>();

    @Option(names = "--ablate-replay", description = "Ablation: also SequenceMatch without replayed rollouts.")
    boolean ablateReplay;

    @Option(names = "--ablate-terminal",
        description = "Ablation: also SequenceMatch with the other terminal value (zero vs learned).")
    boolean ablateTerminal;

    @Option(names = "--ablation-eta", defaultValue = "0.1",
        description = "Noise level of the ablation runs, first --noise kind (default: ${DEFAULT-VALUE}).")
    double ablationEta;

    @CommandLine.Mixin
    SequenceMatchMixin sm;

    @Option(names = "--json", description = "Print one JSON object at the end (progress goes to stderr).")
    boolean json;

    @Option(names = "--shard", paramLabel = "I/N",
        description = "Train only runs i, i+N, i+2N, ... of the grid (several processes or machines sharing --out); "
            + "rerun without --shard when all are done to write the report. Shards may start together.")
    String shard;

    @Option(names = "--plan-only",
        description = "Write the data and every run's train_config.json, train nothing (for a machine without a "
            + "JVM: scripts/gpu/run_task_grid.sh).")
    boolean planOnly;

    @Override
    public Integer call() {
      AccuracyVsNoise.Grid grid = grid();
      if (planOnly) {
        PrintWriter out = spec.commandLine().getOut();
        AccuracyVsNoise.plan(grid, line -> out.println(line));
        out.flush();
        return 0;
      }
      Shard part = shard == null ? Shard.ALL : Shard.parse(shard);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter progress = json ? spec.commandLine().getErr() : out;
      AccuracyVsNoise.Result r = AccuracyVsNoise.run(grid, part, line -> {
        progress.println(line);
        progress.flush();
      });
      if (r == null) {
        out.flush();
        return 0;
      }
      if (json) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("task", r.task().describe()).put("steps", grid.steps()).put("seconds", r.seconds())
            .put("results", r.results().toString()).put("results_json", r.json().toString())
            .put("chart", r.chart().toString());
        j.set("runs", ExperimentJson.runs(r.runs()));
        out.println(j);
      } else {
        out.printf("done in %s: %s, %s%n", Progress.duration(r.seconds()), r.results(), r.chart());
      }
      out.flush();
      return 0;
    }

    AccuracyVsNoise.Grid grid() {
      List<String> problems = new ArrayList<>();
      List<NoiseKind> kinds = new ArrayList<>();
      for (String n : noise) {
        try {
          kinds.add(NoiseKind.parse(n));
        } catch (IllegalArgumentException e) {
          problems.add("--noise: " + e.getMessage());
        }
      }
      SequenceMatchSettings settings = sm.settings();
      List<Variant> ablations = new ArrayList<>();
      for (double l : ablateLambda) {
        if (!(l > 0 && l <= 1)) {
          problems.add("--ablate-lambda values must be in (0, 1] (got " + l + ")");
        } else if (l != settings.lambda()) {
          ablations.add(Variant.lambda(l));
        }
      }
      if (ablateReplay) {
        ablations.add(Variant.noReplay());
      }
      if (ablateTerminal) {
        ablations.add(Variant.terminal("learned".equals(settings.terminalValue()) ? "zero" : "learned"));
      }
      ExperimentTask task = null;
      try {
        task = task();
      } catch (InvalidInputException e) {
        problems.add(e.getMessage());
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
      return new AccuracyVsNoise.Grid(out != null ? out : Path.of("runs", "experiment-" + task.command()), etas,
          kinds, task, steps, test, seed, settings, seeds,
          new AccuracyVsNoise.Data(train, validation, sampleSeeds), ablations, ablationEta);
    }

    /** The task, from the subclass's own options (InvalidInputException naming them when bad). */
    abstract ExperimentTask task();
  }

  /** The arithmetic grid. */
  @Command(name = "arithmetic", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Accuracy vs noise level on add-or-sub-in-base (paper Fig. 3): MLE (noise kept in the data), "
          + "BC and SequenceMatch-χ² (noise followed by <bkspc>), for each noise kind.",
          "Writes <out>/RESULTS.md, <out>/results.json, <out>/accuracy_vs_noise.png, data/ (splits, .smtok, "
              + "noise.json, test-prompts.jsonl) and runs/<run>/ (train_config.json, metrics.jsonl, final/, "
              + "result.json). Finished runs are reused: rerun the same command to continue a stopped grid."})
  static final class Arithmetic extends Grid {
    @Option(names = "--bases", split = ",", paramLabel = "MIN,MAX", defaultValue = "2,10",
        description = "Bases (default: ${DEFAULT-VALUE}).")
    List<Integer> bases = new ArrayList<>();

    @Option(names = "--digits", split = ",", paramLabel = "MIN,MAX", defaultValue = "1,1",
        description = "Digits per operand (default: ${DEFAULT-VALUE}).")
    List<Integer> digits = new ArrayList<>();

    @Override
    ExperimentTask task() {
      if (bases.size() != 2 || digits.size() != 2) {
        throw new InvalidInputException("--bases and --digits need MIN,MAX (got " + bases + ", " + digits + ")");
      }
      return ExperimentTask.arithmetic(bases.get(0), bases.get(1), digits.get(0), digits.get(1));
    }
  }

  /** The compounding-error grid: Dyck completions. */
  @Command(name = "dyck", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Accuracy vs noise level on Dyck completions (complete a bracket prefix to a balanced string "
          + "of a stated length; any valid completion counts): answers of 20+ characters where one early mistake "
          + "sinks the whole answer. Same methods, outputs and options as `experiment arithmetic`."})
  static final class Dyck extends Grid {
    @Option(names = "--length", split = ",", paramLabel = "MIN,MAX", defaultValue = "32,48",
        description = "Total length N, prefix + completion; the prefix is at most N/4 (default: ${DEFAULT-VALUE}).")
    List<Integer> length = new ArrayList<>();

    @Option(names = "--pairs", defaultValue = "2",
        description = "Bracket types, 1..4: ()[]{}<> (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--max-depth", defaultValue = "8",
        description = "Most brackets open at once in the data (default: ${DEFAULT-VALUE}).")
    int maxDepth;

    @Override
    ExperimentTask task() {
      if (length.size() != 2) {
        throw new InvalidInputException("--length needs MIN,MAX (got " + length + ")");
      }
      return ExperimentTask.dyck(length.get(0), length.get(1), pairs, maxDepth);
    }
  }
}
