/*
 * The `seqmatch quickstart` pipeline on the embedded default (no downloads): generate the arithmetic
 * task, train MLE, BC and SequenceMatch-χ² with one budget, evaluate them on held-out prompts (greedy and
 * sampled at T=1, with 95% intervals, per base, finish reasons), export the one of BC and SequenceMatch with the
 * best VALIDATION accuracy to ONNX, answer a few prompts with ONNX Runtime (⌫ = <bkspc>), and write REPORT.md with
 * curves.png and accuracy.png. Tested by QuickstartTest (tiny budget).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.eval.Traces;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tasks.AddOrSubInBase;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/** Static pipeline; {@link #run} returns what the report shows. */
public final class Quickstart {
  /** Prompts answered through ONNX Runtime in the report. */
  static final int ONNX_SAMPLES = 6;

  private Quickstart() {}

  /**
   * What to run.
   *
   * @param out output directory
   * @param steps optimizer steps per method
   * @param eta noise level of BC and SequenceMatch
   * @param noise noise kind of BC and SequenceMatch
   * @param testExamples held-out test prompts
   * @param seed seed of data, init, noise and rollouts
   */
  public record Options(Path out, int steps, double eta, NoiseKind noise, int testExamples, long seed,
      SequenceMatchSettings sm) {
    public Options {
      List<String> problems = new ArrayList<>();
      if (steps < 1) {
        problems.add("--steps must be >= 1 (got " + steps + ")");
      }
      if (!(eta > 0 && eta < 1)) {
        problems.add("--eta must be in (0, 1): BC and SequenceMatch need noise to learn <bkspc> (got " + eta + ")");
      }
      if (testExamples < 1) {
        problems.add("--test must be >= 1 (got " + testExamples + ")");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
    }
  }

  /** One prompt answered by the ONNX export: greedy, and sampled at temperature 1 (where ⌫ shows up). */
  public record Sample(String prompt, String reference, String greedy, boolean greedyCorrect, String sampledTrace,
      String sampled, boolean sampledCorrect) {}

  /** The outcome, as REPORT.md shows it; {@code best} is the exported run (best validation accuracy of BC, SM). */
  public record Result(Task task, Options options, List<RunResult> runs, RunResult best, Path onnxDir,
      List<Sample> samples, double seconds, Path report, Path curves, Path accuracyChart) {}

  /** The embedded task: easy enough for a 4-layer model to learn something in a few hundred steps. */
  public static Task task() {
    return AddOrSubInBase.builder().optBases(2, 10).optDigits(1, 1).build();
  }

  public static Result run(Options o, Consumer<String> log) {
    long t0 = System.nanoTime();
    Task task = task();
    MethodComparison.Settings settings = MethodComparison.Settings.small(o.steps(), o.testExamples(), o.seed())
        .withSequenceMatch(o.sm());
    log.accept("quickstart: " + task.describe() + "; MLE, BC and SequenceMatch-χ² with " + o.steps()
        + " steps each (noise " + o.noise().label() + ", η=" + o.eta() + ") into " + o.out());
    MethodComparison comparison = new MethodComparison(task, o.out(), settings, log);
    List<RunResult> runs = comparison.run(List.of(new RunSpec(Method.MLE, 0, o.noise()),
        new RunSpec(Method.BC, o.eta(), o.noise()), new RunSpec(Method.SEQUENCE_MATCH, o.eta(), o.noise())));
    // The export demonstrates generation with <bkspc>, which MLE never learned: take the best of the methods
    // trained with it, judged on validation prompts (a choice made on test would bias the reported accuracy).
    RunResult best = runs.stream().filter(r -> r.spec().method() != Method.MLE)
        .max(Comparator.comparingDouble(RunResult::validationAccuracy).thenComparing(r -> -r.valLoss()))
        .orElseThrow();
    Path onnx = o.out().resolve("onnx");
    log.accept("export: " + best.spec().method().label() + " (best validation accuracy among the methods trained "
        + "with <bkspc>) -> " + onnx);
    OnnxExporter.builder(best.finalModel(), onnx).build().export();
    List<Sample> samples = onnxSamples(task, onnx, comparison.testExamples(), o.seed());
    for (Sample s : samples) {
      log.accept("onnx: " + s.prompt().strip() + " -> greedy " + s.greedy() + (s.greedyCorrect() ? " [ok]" : " [wrong]")
          + ", sampled " + s.sampledTrace() + " = " + s.sampled() + (s.sampledCorrect() ? " [ok]" : " [wrong]")
          + " (expected " + s.reference() + ")");
    }
    Path curves = o.out().resolve("curves.png");
    Path accuracy = o.out().resolve("accuracy.png");
    ComparisonCharts.curves(runs, curves);
    ComparisonCharts.accuracy(runs, accuracy);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Path report = o.out().resolve("REPORT.md");
    Result r = new Result(task, o, runs, best, onnx, samples, seconds, report, curves, accuracy);
    QuickstartReport.write(r, settings);
    log.accept("report: " + report);
    return r;
  }

  private static List<Sample> onnxSamples(Task task, Path onnx, List<TaskExample> test, long seed) {
    List<TaskExample> rows = test.subList(0, Math.min(ONNX_SAMPLES, test.size()));
    long max = task.maxCompletionLength() + 8L;
    try (Tokenizer tok = MethodComparison.byteTokenizer();
        OrtModel model = OrtModel.load(onnx);
        OrtGenerator generator = new OrtGenerator(model)) {
      List<long[]> prompts = rows.stream().map(e -> tok.encodePrompt(e.prompt())).toList();
      List<GenerationResult> greedy = generator.generate(prompts, SamplingOptions.greedy(max));
      List<GenerationResult> sampled = generator.generate(prompts, SamplingOptions.builder().optGreedy(false)
          .optTemperature(1.0).optMaxNewTokens(max).optSeed(seed).build());
      long bkspc = model.info().bkspcTokenId();
      List<Sample> out = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        TaskExample e = rows.get(i);
        String g = Traces.completion(greedy.get(i), tok);
        String s = Traces.completion(sampled.get(i), tok);
        out.add(new Sample(e.prompt(), e.completion(), g, task.verdict(e.prompt(), g).correct(),
            Traces.trace(sampled.get(i), tok, bkspc), s, task.verdict(e.prompt(), s).correct()));
      }
      return out;
    }
  }
}
