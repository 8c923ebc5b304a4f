/*
 * `seqmatch experiment arithmetic`: the paper's Fig. 3 grid (accuracy vs noise for MLE, BC and
 * SequenceMatch-χ², ground-truth vs random noise) over ArithmeticExperiment. Bad options -> exit 2 with
 * one line listing every problem. Tested by ArithmeticExperimentTest.
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
    subcommands = ExperimentCommand.Arithmetic.class)
public final class ExperimentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** The arithmetic grid. */
  @Command(name = "arithmetic", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Accuracy vs noise level on add-or-sub-in-base (paper Fig. 3): MLE (noise kept in the data), "
          + "BC and SequenceMatch-χ² (noise followed by <bkspc>), for each noise kind.",
          "Writes <out>/RESULTS.md, <out>/accuracy_vs_noise.png and runs/<run>/ (metrics.jsonl, final/)."})
  static final class Arithmetic implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--eta", split = ",", paramLabel = "F,...", defaultValue = "0,0.05,0.1,0.2",
        description = "Noise levels (default: ${DEFAULT-VALUE}).")
    List<Double> etas = new ArrayList<>();

    @Option(names = "--noise", split = ",", paramLabel = "KIND,...", defaultValue = "task,uniform",
        description = "Noise kinds: task (ground truth), uniform (random) (default: ${DEFAULT-VALUE}).")
    List<String> noise = new ArrayList<>();

    @Option(names = "--steps", defaultValue = "300", description = "Steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", defaultValue = "runs/experiment-arithmetic", paramLabel = "DIR",
        description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--bases", split = ",", paramLabel = "MIN,MAX", defaultValue = "2,10",
        description = "Bases (default: ${DEFAULT-VALUE}).")
    List<Integer> bases = new ArrayList<>();

    @Option(names = "--digits", split = ",", paramLabel = "MIN,MAX", defaultValue = "1,1",
        description = "Digits per operand (default: ${DEFAULT-VALUE}).")
    List<Integer> digits = new ArrayList<>();

    @Option(names = "--test", defaultValue = "200", description = "Held-out test prompts (default: ${DEFAULT-VALUE}).")
    int test;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Mixin
    SequenceMatchMixin sm;

    @Option(names = "--json", description = "Print one JSON object at the end (progress goes to stderr).")
    boolean json;

    @Override
    public Integer call() {
      ArithmeticExperiment.Grid grid = grid();
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter progress = json ? spec.commandLine().getErr() : out;
      ArithmeticExperiment.Result r = ArithmeticExperiment.run(grid, line -> {
        progress.println(line);
        progress.flush();
      });
      if (json) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("task", r.task().describe()).put("steps", grid.steps()).put("seconds", r.seconds())
            .put("results", r.results().toString()).put("chart", r.chart().toString());
        j.set("runs", ExperimentJson.runs(r.runs()));
        out.println(j);
      } else {
        out.printf("done in %s: %s, %s%n", Progress.duration(r.seconds()), r.results(), r.chart());
      }
      out.flush();
      return 0;
    }

    private ArithmeticExperiment.Grid grid() {
      List<String> problems = new ArrayList<>();
      if (bases.size() != 2) {
        problems.add("--bases needs MIN,MAX (got " + bases + ")");
      }
      if (digits.size() != 2) {
        problems.add("--digits needs MIN,MAX (got " + digits + ")");
      }
      List<NoiseKind> kinds = new ArrayList<>();
      for (String n : noise) {
        try {
          kinds.add(NoiseKind.parse(n));
        } catch (IllegalArgumentException e) {
          problems.add("--noise: " + e.getMessage());
        }
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
      return new ArithmeticExperiment.Grid(out, etas, kinds, bases.get(0), bases.get(1), digits.get(0),
          digits.get(1), steps, test, seed, sm.settings());
    }
  }
}
