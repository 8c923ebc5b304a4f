/*
 * The report of `seqmatch experiment text`: per method the mean over training seeds of each Table 1 metric
 * with its 95% Student-t interval (StudentT; n = the seed count), written as RESULTS.md (the table, the
 * protocol, the chosen learning rates, every run), results.json and a chart of MAUVE per method (Chart.bars).
 * Tested by TextExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.chart.Chart;
import ai.seqmatch.eval.Interval;
import ai.seqmatch.eval.StudentT;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Static writers of a TextComparison.Result. */
final class TextReport {
  /** Table 1's columns: metric key, header (arrow: which way is better). */
  static final Map<String, String> COLUMNS = new LinkedHashMap<>();

  static {
    COLUMNS.put("mauve", "MAUVE ↑");
    COLUMNS.put("seq_rep_4", "seq-rep-4 ↓");
    COLUMNS.put("distinct_1", "distinct-1 ↑");
    COLUMNS.put("distinct_2", "distinct-2 ↑");
    COLUMNS.put("distinct_3", "distinct-3 ↑");
    COLUMNS.put("self_bleu_4", "self-BLEU-4 ↓");
    COLUMNS.put("zipf", "Zipf");
    COLUMNS.put("perplexity", "perplexity ↓");
    COLUMNS.put("backspace_rate", "<bkspc> rate");
  }

  static final String CHART = "table1_mauve.png";

  private TextReport() {}

  /** Metrics that are fractions: their intervals are clipped to [0, 1]. */
  private static final List<String> FRACTIONS = List.of("mauve", "seq_rep_4", "distinct_1", "distinct_2",
      "distinct_3", "self_bleu_4", "backspace_rate");

  /** The mean over the chosen-lr runs of {@code m} of one test metric, with its t interval over seeds. */
  static Interval summary(TextComparison.Result r, TextMethod m, String metric) {
    double[] x = chosenRuns(r, m).stream().mapToDouble(run -> run.test().getOrDefault(metric, Double.NaN))
        .toArray();
    Interval i = StudentT.mean(x);
    return FRACTIONS.contains(metric) && !Double.isNaN(i.low()) ? i.clippedTo(0, 1) : i;
  }

  static List<TextComparison.Run> chosenRuns(TextComparison.Result r, TextMethod m) {
    double lr = r.chosenLr().get(m);
    return r.runs().stream().filter(x -> x.method() == m && x.lr() == lr).toList();
  }

  /** Writes RESULTS.md, results.json and the chart into {@code dir}; returns RESULTS.md. */
  static Path write(TextComparison.Result r, Path dir, String command) {
    Path md = dir.resolve("RESULTS.md");
    ExperimentReport.writeAtomically(md, markdown(r, command));
    ExperimentReport.writeAtomically(dir.resolve("results.json"), json(r, command).toPrettyString() + "\n");
    List<String> labels = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    List<double[]> bars = new ArrayList<>();
    for (TextMethod m : r.settings().methods()) {
      Interval i = summary(r, m, "mauve");
      labels.add(m.label());
      values.add(i.estimate());
      bars.add(Double.isNaN(i.low()) ? null : new double[] {i.low(), i.high()});
    }
    Chart.bars(dir.resolve(CHART), "MAUVE of sampled continuations of held-out prompts (mean over "
        + r.settings().seeds() + " seeds, 95% t interval)", "MAUVE", labels, values, bars, 1.0);
    return md;
  }

  /** The Table 1 markdown table alone (also pasted into docs/RESULTS.md). */
  static String table(TextComparison.Result r) {
    StringBuilder sb = new StringBuilder("| method | lr |");
    COLUMNS.values().forEach(h -> sb.append(' ').append(h).append(" |"));
    sb.append("\n|---|---|").append("---|".repeat(COLUMNS.size())).append('\n');
    for (TextMethod m : r.settings().methods()) {
      sb.append("| ").append(m.label()).append(" | ").append(TextComparison.num(r.chosenLr().get(m))).append(" |");
      for (String k : COLUMNS.keySet()) {
        sb.append(' ').append(format(summary(r, m, k))).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String markdown(TextComparison.Result r, String command) {
    TextComparison.Settings s = r.settings();
    StringBuilder sb = new StringBuilder("# Table 1 our way: MLE vs BC vs SequenceMatch on text\n\n");
    sb.append("Command: `").append(command).append("`\n\n");
    sb.append(String.format(Locale.ROOT, "Corpus %s: %d training paragraphs; %d test and %d validation prompts "
        + "from held-out paragraphs (split by distinct paragraph, seed %d): the first %d characters, continued "
        + "for %d bytes by sampling at temperature %s (seed = the run's). Model: byte-level GPT-2, %d layers, "
        + "width %d, %d heads, %d positions; %d steps of batch %d (EMO: %d steps from the MLE run of the same "
        + "seed); BC and SequenceMatch with %s noise at η=%s; SequenceMatch %s. %d training seeds per method; "
        + "each cell is the mean with its 95%% Student-t interval over the seeds (n = %d). Total %.0f s.%n%n",
        s.corpus(), r.split().train().size(), s.test(), s.validation(), s.splitSeed(), s.promptChars(),
        s.continuationChars(), TextComparison.num(s.temperature()), s.nLayer(), s.nEmbd(), s.nHead(),
        s.nPositions(), s.steps(), s.batchSize(), s.emoSteps(), s.noiseKind(), TextComparison.num(s.eta()),
        s.sm().describe(), s.seeds(), s.seeds(), r.seconds()));
    sb.append("MAUVE (and the frontier integral in results.json): the continuations against the held-out "
        + "true continuations, embedded by ").append(r.features()).append(s.featureModel() == null
            ? " — an MLE model trained on the training split with seed " + TextComparison.FEATURE_SEED
                + " and exported (a stand-in for the reference's gpt2-large)" : "")
        .append(". seq-rep-4, distinct-n, self-BLEU-4 and Zipf count whitespace-separated words of the "
            + "continuations; perplexity is token-only (<bkspc> excluded) on the held-out test paragraphs.\n\n");
    sb.append(table(r)).append('\n');
    sb.append("Learning rate chosen per method on the validation prompts' MAUVE (seed 0) among ")
        .append(s.lrs().stream().map(TextComparison::num).toList()).append(".\n\n");
    sb.append("## Every run\n\n| method | lr | seed | test MAUVE | validation MAUVE | seq-rep-4 | perplexity | "
        + "seconds |\n|---|---|---|---|---|---|---|---|\n");
    for (TextComparison.Run run : r.runs()) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.0f |%n",
          run.method().label(), TextComparison.num(run.lr()), run.seed(), run.test().get("mauve"),
          run.validation().get("mauve"), run.test().get("seq_rep_4"), run.test().get("perplexity"),
          run.seconds()));
    }
    sb.append("\n![MAUVE per method](").append(CHART).append(")\n");
    return sb.toString();
  }

  private static ObjectNode json(TextComparison.Result r, String command) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode j = mapper.createObjectNode();
    j.put("command", command).put("corpus", r.settings().corpus().toString()).put("seeds", r.settings().seeds())
        .put("features", r.features()).put("seconds", r.seconds());
    ObjectNode methods = j.putObject("methods");
    for (TextMethod m : r.settings().methods()) {
      ObjectNode o = methods.putObject(m.wireName());
      o.put("label", m.label()).put("lr", r.chosenLr().get(m)).put("seeds", chosenRuns(r, m).size());
      for (String k : List.of("mauve", "frontier_integral", "seq_rep_4", "distinct_1", "distinct_2", "distinct_3",
          "self_bleu_4", "zipf", "perplexity", "backspace_rate", "mean_new_tokens")) {
        Interval i = summary(r, m, k);
        Map<String, Double> cell = new LinkedHashMap<>();
        cell.put("mean", i.estimate());
        cell.put("low", i.low());
        cell.put("high", i.high());
        o.set(k, TextComparison.json(cell));
      }
    }
    ArrayNode runs = j.putArray("runs");
    for (TextComparison.Run run : r.runs()) {
      ObjectNode o = runs.addObject();
      o.put("method", run.method().wireName()).put("lr", run.lr()).put("seed", run.seed())
          .put("dir", run.dir().toString()).put("seconds", run.seconds());
      o.set("test", TextComparison.json(run.test()));
      o.set("validation", TextComparison.json(run.validation()));
    }
    return j;
  }

  private static String format(Interval i) {
    if (Double.isNaN(i.estimate())) {
      return "n/a";
    }
    if (Double.isNaN(i.low())) {
      return String.format(Locale.ROOT, "%.3f", i.estimate());
    }
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.low(), i.high());
  }
}
