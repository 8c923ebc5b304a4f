/*
 * `seqmatch quickstart`: the README's main command, on the embedded default (no ../shared, no downloads).
 * Generates the arithmetic task, trains MLE, BC and SequenceMatch-χ² with the same budget, evaluates them on
 * held-out prompts, exports the best backspace-trained one to ONNX, answers a few prompts with ONNX Runtime
 * showing backspaces (⌫), and writes <out>/REPORT.md with curves.png and accuracy.png
 * (ai.seqmatch.experiment.Quickstart).
 * Tested by QuickstartTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.experiment.ExperimentJson;
import ai.seqmatch.experiment.NoiseKind;
import ai.seqmatch.experiment.Quickstart;
import ai.seqmatch.experiment.SequenceMatchMixin;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quickstart", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train MLE, BC and SequenceMatch-χ² on generated arithmetic (same budget), compare them on "
        + "held-out prompts, export the most accurate of BC and SequenceMatch (the methods trained with <bkspc>) to "
        + "ONNX and answer with it, showing deletions as ⌫. About 3-6 minutes on 2 CPU cores.",
        "Writes <out>/REPORT.md, curves.png, accuracy.png, onnx/ and runs/<method>/."})
final class QuickstartCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", defaultValue = "runs/quickstart", paramLabel = "DIR",
      description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--steps", defaultValue = "500", description = "Steps per method (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--eta", defaultValue = "0.1",
      description = "Noise level of BC and SequenceMatch, in (0, 1) (default: ${DEFAULT-VALUE}).")
  double eta;

  @Option(names = "--noise", defaultValue = "task",
      description = "Noise kind: task (ground-truth wrong digit) or uniform (default: ${DEFAULT-VALUE}).")
  String noise;

  @Option(names = "--test", defaultValue = "200",
      description = "Distinct held-out test prompts (default: ${DEFAULT-VALUE}).")
  int test;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin
  SequenceMatchMixin sm;

  @Option(names = "--json", description = "Print one JSON object at the end (progress goes to stderr).")
  boolean json;

  @Override
  public Integer call() {
    NoiseKind kind;
    try {
      kind = NoiseKind.parse(noise);
    } catch (IllegalArgumentException e) {
      throw new ai.seqmatch.InvalidInputException("--noise: " + e.getMessage());
    }
    Quickstart.Options options = new Quickstart.Options(out, steps, eta, kind, test, seed, sm.settings());
    PrintWriter w = spec.commandLine().getOut();
    PrintWriter progress = json ? spec.commandLine().getErr() : w;
    Quickstart.Result r = Quickstart.run(options, line -> {
      progress.println(line);
      progress.flush();
    });
    if (json) {
      ObjectNode j = JsonNodeFactory.instance.objectNode();
      j.put("task", r.task().describe()).put("steps", steps).put("eta", eta).put("noise", kind.wireName())
          .put("seconds", r.seconds()).put("exported", r.best().spec().method().label())
          .put("report", r.report().toString()).put("curves", r.curves().toString())
          .put("accuracy_chart", r.accuracyChart().toString()).put("onnx", r.onnxDir().toString());
      j.set("runs", ExperimentJson.runs(r.runs()));
      var samples = j.putArray("onnx_samples");
      r.samples().forEach(s -> samples.addObject().put("prompt", s.prompt()).put("expected", s.reference())
          .put("greedy", s.greedy()).put("sampled_trace", s.sampledTrace()).put("sampled", s.sampled()));
      w.println(j);
    } else {
      w.println();
      r.runs().forEach(x -> w.printf(Locale.ROOT, "%-40s accuracy %.3f  backspace rate %.4f%n", x.spec().describe(),
          x.accuracy(), x.report().metric("backspace_rate")));
      w.printf(Locale.ROOT, "done in %.0f s: %s (charts %s, %s; ONNX %s)%n", r.seconds(), r.report(),
          r.curves().getFileName(), r.accuracyChart().getFileName(), r.onnxDir());
    }
    w.flush();
    return 0;
  }
}
