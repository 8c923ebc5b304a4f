/*
 * Writes <out>/RESULTS.md and <out>/results.json for `seqmatch experiment arithmetic`: the scale and protocol,
 * greedy and sampled (T=1) accuracy per method, noise kind and η (mean over training seeds, 95% interval),
 * paired-bootstrap differences between methods on the same prompts, the ablations, per-group accuracy,
 * finish reasons, and the command that reproduces it. The tables are also what docs/RESULTS.md quotes.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.eval.Interval;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Static writer of the experiment's results. */
final class ExperimentReport {
  private ExperimentReport() {}

  static void write(AccuracyVsNoise.Result r, MethodComparison.Settings s) {
    AccuracyVsNoise.Grid g = r.grid();
    List<Double> etas = g.etas().stream().sorted().toList();
    List<PointSummary> main = r.points().stream().filter(p -> p.spec().variant().isMain()).toList();
    StringBuilder md = new StringBuilder("# " + r.task().name() + ": accuracy vs noise (SequenceMatch paper, "
        + "Fig. 3)\n\n");
    md.append(String.format(Locale.ROOT, "Scale used: %s; %d steps of batch %d per run, GPT-2 with %d layers, "
        + "n_embd %d, n_positions %d, lr %s; %d training seeds per point; %d training examples, %d distinct "
        + "validation and %d distinct test prompts (split seed %d). %d runs: %s of training in all (summed over "
        + "runs, whichever call or shard trained them; evaluation not included); this call took %s.%n%n",
        r.task().describe(), s.steps(), s.batchSize(), s.nLayer(), s.nEmbd(), s.nPositions(), s.lr(), g.seeds(),
        s.trainExamples(), s.validationExamples(), s.testExamples(), s.seed(), r.runs().size() - g.seeds()
        * (etas.contains(0.0) ? 1 : 0), Progress.duration(trainingSeconds(r)), Progress.duration(r.seconds())));
    md.append(protocol(s, g.task().strata()));
    md.append("Methods: **MLE** trains on data where the noise stays in the completion (no correction); **BC** is "
        + "MLE on the same noise followed by <bkspc> (noise tokens are not targets); **SequenceMatch-χ²** adds "
        + "the χ²-mixture SequenceMatch loss (" + s.sm().describe() + ") after a BC warm-up of half the steps, "
        + "with model rollouts replayed. Noise (one definition for every method): ground-truth = "
        + g.task().groundTruthNoise() + ", random = uniform over printable ASCII; never the true character, never at "
        + "<eos>. At η=0 BC is MLE (the same run).\n\n");
    md.append("![accuracy vs noise](accuracy_vs_noise.png)\n\n");
    md.append("### Greedy test accuracy (mean over seeds [95% interval])\n\n");
    md.append(grid(main, g.kinds(), etas, PointSummary::greedy));
    md.append("\n### Sampled test accuracy at T=1 (").append(s.sampleSeeds())
        .append(" sample seeds; mean over training seeds [95% interval])\n\n");
    md.append(grid(main, g.kinds(), etas, PointSummary::sampled));
    md.append("\n### Differences in greedy accuracy (paired bootstrap over the same test prompts, ")
        .append("10,000 resamples; per prompt the share of seeds right)\n\n");
    md.append(differences(main, g.kinds(), etas));
    if (!g.ablations().isEmpty()) {
      md.append(String.format(Locale.ROOT, "%n### Ablations of SequenceMatch-χ² (%s noise, η=%s)%n%n",
          g.kinds().get(0).label(), fmt(g.ablationEta())));
      md.append(ablations(r.points(), g));
    }
    md.append("\n### Every point\n\n").append(pointsTable(r.points()));
    md.append("\n### Greedy accuracy per stratum\n\n").append(perGroupTable(main));
    md.append("\nReproduce (finished runs are reused, so the same command continues a stopped grid):\n\n```bash\n")
        .append(command(g)).append("\n```\n");
    writeAtomically(r.results(), md.toString());
    writeAtomically(r.json(), json(r, s).toPrettyString() + "\n");
  }

  /** Training time of every distinct run (BC at η=0 is the MLE run, counted once). */
  private static double trainingSeconds(AccuracyVsNoise.Result r) {
    return r.runs().stream().filter(x -> !(x.spec().method() == Method.BC && x.spec().eta() == 0))
        .mapToDouble(RunResult::trainSeconds).sum();
  }

  /** What every number means; shared with the quickstart report. */
  static String protocol(MethodComparison.Settings s, String strata) {
    return "Protocol: test and validation prompts are distinct problems, drawn without replacement and " + strata
        + "; validation is tokenised apart from train and is what any setting is chosen on (test never is). "
        + "A row counts only if it ended with <eos>; greedy decoding bans retyping a token just "
        + "deleted at the same state. Intervals are 95%: Wilson over the distinct test prompts for one run, "
        + "Student-t over training seeds for a grid point, percentile bootstrap over prompts for sampled accuracy "
        + "(" + s.sampleSeeds() + " sample seeds at T=1) and for paired method differences.\n\n";
  }

  private static String grid(List<PointSummary> points, List<NoiseKind> kinds, List<Double> etas,
      Function<PointSummary, Interval> value) {
    StringBuilder md = new StringBuilder("| method | noise | ")
        .append(etas.stream().map(e -> "η=" + fmt(e)).collect(Collectors.joining(" | ")))
        .append(" |\n|---|---|").append("---|".repeat(etas.size())).append('\n');
    for (Method m : Method.values()) {
      for (NoiseKind k : kinds) {
        md.append("| ").append(m.label()).append(" | ").append(k.label()).append(" |");
        for (double eta : etas) {
          md.append(' ').append(find(points, m, k, eta).map(p -> value.apply(p).format()).orElse("–"))
              .append(" |");
        }
        md.append('\n');
      }
    }
    return md.toString();
  }

  private static String differences(List<PointSummary> points, List<NoiseKind> kinds, List<Double> etas) {
    StringBuilder md = new StringBuilder("| noise | η | SM − BC | SM − MLE | BC − MLE |\n"
        + "|---|---|---|---|---|\n");
    boolean any = false;
    for (NoiseKind k : kinds) {
      for (double eta : etas) {
        Optional<PointSummary> mle = find(points, Method.MLE, k, eta);
        Optional<PointSummary> bc = find(points, Method.BC, k, eta);
        Optional<PointSummary> sm = find(points, Method.SEQUENCE_MATCH, k, eta);
        if (mle.isEmpty() || bc.isEmpty() || sm.isEmpty() || (eta == 0 && k != kinds.get(0))) {
          continue;
        }
        any = true;
        md.append("| ").append(eta == 0 ? "none" : k.label()).append(" | ").append(fmt(eta)).append(" | ")
            .append(signed(sm.get().minus(bc.get()))).append(" | ").append(signed(sm.get().minus(mle.get())))
            .append(" | ").append(signed(bc.get().minus(mle.get()))).append(" |\n");
      }
    }
    return any ? md.toString() : "No point has all three methods.\n";
  }

  private static String ablations(List<PointSummary> points, AccuracyVsNoise.Grid g) {
    Optional<PointSummary> main = find(points.stream().filter(p -> p.spec().variant().isMain()).toList(),
        Method.SEQUENCE_MATCH, g.kinds().get(0), g.ablationEta());
    StringBuilder md = new StringBuilder("| variant | greedy | sampled T=1 | backspace rate | − main SM (paired) |\n"
        + "|---|---|---|---|---|\n");
    find(points.stream().filter(p -> p.spec().variant().isMain()).toList(), Method.SEQUENCE_MATCH,
        g.kinds().get(0), 0.0).ifPresent(p -> md.append("| SM term without <bkspc> (η=0) | ")
        .append(p.greedy().format()).append(" | ").append(p.sampled().format()).append(" | ")
        .append(String.format(Locale.ROOT, "%.4f", p.mean("backspace_rate"))).append(" | ")
        .append(main.map(m -> signed(p.minus(m))).orElse("–")).append(" |\n"));
    for (PointSummary p : points) {
      if (p.spec().method() == Method.SEQUENCE_MATCH && !p.spec().variant().isMain()) {
        md.append("| ").append(p.spec().variant().describe()).append(" | ").append(p.greedy().format())
            .append(" | ").append(p.sampled().format()).append(" | ")
            .append(String.format(Locale.ROOT, "%.4f", p.mean("backspace_rate"))).append(" | ")
            .append(main.map(m -> signed(p.minus(m))).orElse("(main SM point not in the grid)")).append(" |\n");
      }
    }
    return md.toString();
  }

  /** One row per point: seeds, greedy and sampled accuracy, backspace rate, finish reasons, losses. */
  static String pointsTable(List<PointSummary> points) {
    StringBuilder t = new StringBuilder("| run | seeds | greedy accuracy | sampled T=1 | backspace rate | "
        + "greedy finish reasons | val loss | validation accuracy |\n|---|---|---|---|---|---|---|---|\n");
    for (PointSummary p : points) {
      t.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.4f | %s | %.4f | %.3f |%n", p.spec().describe(),
          p.seeds().stream().map(String::valueOf).collect(Collectors.joining(",")), p.greedy().format(),
          p.sampled().format(), p.mean("backspace_rate"), p.finishReasons().entrySet().stream()
              .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")), p.valLoss(),
          p.validationAccuracy()));
    }
    return t.toString();
  }

  /** Greedy accuracy per task group (e.g. per base), one row per point. */
  static String perGroupTable(List<PointSummary> points) {
    Set<String> groups = new LinkedHashSet<>();
    points.forEach(p -> groups.addAll(p.perGroup().keySet()));
    StringBuilder t = new StringBuilder("| run | ").append(String.join(" | ", groups)).append(" |\n|---|")
        .append("---|".repeat(groups.size())).append('\n');
    for (PointSummary p : points) {
      Map<String, Interval> acc = p.perGroup();
      t.append("| ").append(p.spec().describe()).append(" |");
      for (String gr : groups) {
        Interval i = acc.get(gr);
        t.append(' ').append(i == null ? "–" : Double.isNaN(i.low()) ? String.format(Locale.ROOT, "%.3f",
            i.estimate()) : i.format()).append(" |");
      }
      t.append('\n');
    }
    return t.toString();
  }

  private static ObjectNode json(AccuracyVsNoise.Result r, MethodComparison.Settings s) {
    ObjectNode j = JsonNodeFactory.instance.objectNode();
    j.put("task", r.task().describe()).put("steps", s.steps()).put("train_examples", s.trainExamples())
        .put("validation_examples", s.validationExamples()).put("test_examples", s.testExamples())
        .put("split_seed", s.seed()).put("sample_seeds", s.sampleSeeds()).put("sm", s.sm().describe())
        .put("seconds", r.seconds()).put("command", command(r.grid()));
    ArrayNode points = j.putArray("points");
    for (PointSummary p : r.points()) {
      ObjectNode o = points.addObject();
      o.put("point", p.spec().point()).put("method", p.spec().method().label()).put("eta", p.spec().eta())
          .put("noise", p.spec().eta() == 0 ? null : p.spec().noise().wireName())
          .put("variant", p.spec().variant().describe());
      ArrayNode seeds = o.putArray("seeds");
      p.seeds().forEach(seeds::add);
      interval(o.putObject("greedy_accuracy"), p.greedy());
      interval(o.putObject("sampled_accuracy"), p.sampled());
      ExperimentJson.number(o, "backspace_rate", p.mean("backspace_rate"));
      ExperimentJson.number(o, "val_loss", p.valLoss());
      ExperimentJson.number(o, "validation_accuracy", p.validationAccuracy());
      ObjectNode finish = o.putObject("finish_reasons");
      p.finishReasons().forEach(finish::put);
      ObjectNode groups = o.putObject("greedy_accuracy_per_group");
      p.perGroup().forEach((k, v) -> ExperimentJson.number(groups, k, v.estimate()));
      ArrayNode runs = o.putArray("runs");
      p.runs().forEach(x -> runs.add(x.outDir().toString()));
    }
    return j;
  }

  private static void interval(ObjectNode o, Interval i) {
    ExperimentJson.number(o, "mean", i.estimate());
    ExperimentJson.number(o, "low", i.low());
    ExperimentJson.number(o, "high", i.high());
  }

  static String command(AccuracyVsNoise.Grid g) {
    StringBuilder c = new StringBuilder("./seqmatch experiment ").append(g.task().command()).append(" --out ")
        .append(g.out()).append(" --eta ")
        .append(g.etas().stream().sorted().map(ExperimentReport::fmt).collect(Collectors.joining(",")))
        .append(" --noise ").append(g.kinds().stream().map(NoiseKind::wireName).collect(Collectors.joining(",")))
        .append(" --steps ").append(g.steps()).append(" --seeds ").append(g.seeds()).append(g.task().flags())
        .append(" --train ").append(g.data().train()).append(" --validation ")
        .append(g.data().validation()).append(" --test ").append(g.testExamples()).append(" --sample-seeds ")
        .append(g.data().sampleSeeds()).append(" --seed ").append(g.seed()).append(g.sm().cliFlags());
    if (!g.ablations().isEmpty()) {
      c.append(" --ablation-eta ").append(fmt(g.ablationEta()));
      String lambdas = g.ablations().stream().filter(v -> !Double.isNaN(v.lambda()))
          .map(v -> fmt(v.lambda())).collect(Collectors.joining(","));
      if (!lambdas.isEmpty()) {
        c.append(" --ablate-lambda ").append(lambdas);
      }
      if (g.ablations().stream().anyMatch(v -> !v.replay())) {
        c.append(" --ablate-replay");
      }
      if (g.ablations().stream().anyMatch(v -> v.terminalValue() != null)) {
        c.append(" --ablate-terminal");
      }
    }
    return c.toString();
  }

  private static Optional<PointSummary> find(List<PointSummary> points, Method m, NoiseKind k, double eta) {
    return points.stream().filter(x -> x.spec().method() == m && x.spec().eta() == eta
        && (eta == 0 || x.spec().noise() == k)).findFirst();
  }

  private static String signed(Interval i) {
    return String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", i.estimate(), i.low(), i.high());
  }

  static String fmt(double x) {
    String s = String.format(Locale.ROOT, "%.3f", x).replaceAll("0+$", "");
    return s.endsWith(".") ? s + "0" : s;
  }

  static void writeAtomically(Path file, String text) {
    Path tmp = null;
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      // A temp file of its own: shards started together write the same run configs and markers, and a
      // shared "<file>.tmp" let one process move away what another had just written (a flaky failure).
      tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the write already failed; that is the error to report
        }
      }
      throw new UncheckedIOException("experiment: cannot write " + file + " (" + e.getMessage() + ")", e);
    }
  }
}
