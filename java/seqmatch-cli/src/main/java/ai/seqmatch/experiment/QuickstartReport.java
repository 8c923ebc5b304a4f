/*
 * Writes <out>/REPORT.md for `seqmatch quickstart`: settings and protocol, the results table (greedy and
 * sampled accuracy with 95% intervals, finish reasons), paired differences, per-base accuracy, the charts,
 * answers from the ONNX export with their backspaces, and what the numbers do and do not show.
 */
package ai.seqmatch.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Static writer of the quickstart report. */
final class QuickstartReport {
  private QuickstartReport() {}

  static void write(Quickstart.Result r, MethodComparison.Settings s) {
    StringBuilder md = new StringBuilder();
    Quickstart.Options o = r.options();
    md.append("# SeqMatch quickstart report\n\n");
    md.append(String.format(Locale.ROOT, "Task: %s. Same budget for every method: %d steps of batch %d, GPT-2 "
        + "with %d layers, n_embd %d, %d heads, n_positions %d, AdamW lr %s, seed %d; %d training examples, "
        + "%d distinct validation and %d distinct test prompts (disjoint from training). BC and SequenceMatch-χ² "
        + "train on noise-augmented "
        + "data (%s noise, η=%s: a wrong token followed by <bkspc>); SequenceMatch (%s) starts after %d steps of "
        + "BC and replays model rollouts. Wall time: %s (this machine).%n%n", r.task().describe(), s.steps(),
        s.batchSize(), s.nLayer(), s.nEmbd(), s.nHead(), s.nPositions(), s.lr(), s.seed(), s.trainExamples(),
        s.validationExamples(), s.testExamples(), o.noise().label(), o.eta(), s.sm().describe(), s.steps() / 2,
        Progress.duration(r.seconds())));
    md.append(ExperimentReport.protocol(s, ExperimentTask.ARITHMETIC_STRATA));
    List<PointSummary> points = PointSummary.of(r.runs());
    md.append(ExperimentReport.pointsTable(points));
    md.append("\nBackspace rate: <bkspc> actions / all actions (greedy). Finish reasons: why each greedy row "
        + "stopped (eos = ended by itself; max_new_tokens / max_actions = cut off, counted wrong).\n\n");
    md.append("![training curves](curves.png)\n\n![accuracy](accuracy.png)\n\n");
    md.append(verdict(points)).append("\n\n");
    md.append("### Greedy accuracy per base\n\n").append(ExperimentReport.perGroupTable(points)).append('\n');
    md.append("## ONNX export\n\n").append(r.best().spec().method().label())
        .append(" (the best validation accuracy of the methods trained with <bkspc>; MLE never emits it) exported "
            + "to `")
        .append(r.onnxDir().getFileName())
        .append("/` and run with ONNX Runtime. Greedy answers, and answers sampled at temperature 1 "
            + "(⌫ marks a <bkspc>: the model deleted the token before it):\n\n");
    md.append("| prompt | expected | greedy | sampled actions | sampled answer |\n|---|---|---|---|---|\n");
    for (Quickstart.Sample x : r.samples()) {
      md.append("| `").append(x.prompt().strip()).append("` | ").append(x.reference()).append(" | ")
          .append(cell(x.greedy(), x.greedyCorrect())).append(" | `")
          .append(x.sampledTrace().replace("|", "\\|")).append("` | ")
          .append(cell(x.sampled(), x.sampledCorrect())).append(" |\n");
    }
    md.append("\n## Reproduce\n\n```bash\n./seqmatch quickstart --out ").append(o.out()).append(" --steps ")
        .append(o.steps()).append(" --eta ").append(o.eta()).append(o.sm().cliFlags()).append("\n```\n\nRuns: `")
        .append(o.out().resolve("runs")).append("/<method>/` (config.resolved.json, metrics.jsonl, final/).\n");
    ExperimentReport.writeAtomically(r.report(), md.toString());
  }

  /** Who won, with paired intervals: a difference whose interval holds 0 is not one this test can see. */
  static String verdict(List<PointSummary> points) {
    PointSummary mle = find(points, Method.MLE);
    PointSummary bc = find(points, Method.BC);
    PointSummary sm = find(points, Method.SEQUENCE_MATCH);
    if (mle == null || bc == null || sm == null) {
      return "";
    }
    return "Measured, one training seed, greedy accuracy differences paired on the same test prompts (bootstrap "
        + "95% interval): SequenceMatch-χ² − BC " + said(sm.minus(bc)) + "; SequenceMatch-χ² − MLE "
        + said(sm.minus(mle)) + "; BC − MLE " + said(bc.minus(mle)) + ". The paper's gains come with larger "
        + "models, longer training and noisy data; a budget of a few hundred steps mostly measures how fast each "
        + "objective starts to fit, and SequenceMatch spends half of it on BC warm-up.";
  }

  private static String said(ai.seqmatch.eval.Interval d) {
    String v = String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", d.estimate(), d.low(), d.high());
    return v + (d.low() > 0 ? " (better)" : d.high() < 0 ? " (worse)" : " (no difference this test can see)");
  }

  private static PointSummary find(List<PointSummary> points, Method m) {
    return points.stream().filter(p -> p.spec().method() == m).findFirst().orElse(null);
  }

  private static String cell(String answer, boolean correct) {
    return (answer.isEmpty() ? "(empty)" : answer.replace("|", "\\|")) + (correct ? " ✓" : " ✗");
  }
}
