/*
 * `seqmatch experiment text`: the options of the paper's Table 1 our way (TextComparison trains and judges,
 * TextReport writes). Bad options -> exit 2 with one line listing every problem. Tested by TextExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "text", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"The paper's Table 1 our way: MLE, BC, SequenceMatch-χ² and EMO (MLE + EMO fine-tuning) "
        + "trained on a text corpus with one byte-level model and budget, judged on sampled continuations of "
        + "held-out prompts (split by distinct paragraph): MAUVE against the true continuations, seq-rep-4, "
        + "distinct-1/2/3, self-BLEU-4, Zipf (over words) and token-only perplexity, each the mean over "
        + "training seeds with a 95% t interval.",
        "The learning rate is chosen per method on the validation prompts' MAUVE (seed 0) when --lr lists "
            + "several. GDC++ (which needs constraints this experiment does not define) is refused by --methods.",
        "Writes <results>/RESULTS.md, results.json, table1_mauve.png; data/ and runs/<run>/ go under --out. "
            + "Finished runs are reused: rerun the same command to continue."})
final class TextExperiment implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--corpus", defaultValue = "../shared/data/tinyshakespeare.txt", paramLabel = "FILE",
      description = "UTF-8 text; paragraphs (blank-line separated) are the items (default: ${DEFAULT-VALUE}).")
  Path corpus;

  @Option(names = "--methods", split = ",", defaultValue = "mle,bc,sm,emo", paramLabel = "M,...",
      description = "Methods: mle, bc, sm, emo (emo adds mle: it fine-tunes it) (default: ${DEFAULT-VALUE}).")
  List<String> methods = new ArrayList<>();

  @Option(names = "--steps", defaultValue = "300", description = "Steps per run (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--emo-steps", description = "EMO fine-tuning steps after MLE (default: --steps / 4).")
  Integer emoSteps;

  @Option(names = "--seeds", defaultValue = "3", description = "Training seeds 0..N-1 (default: ${DEFAULT-VALUE}).")
  int seeds;

  @Option(names = "--lr", split = ",", defaultValue = "0.001", paramLabel = "F,...",
      description = "Learning rates; several: chosen per method on validation MAUVE (default: ${DEFAULT-VALUE}).")
  List<Double> lrs = new ArrayList<>();

  @Option(names = "--eta", defaultValue = "0.05",
      description = "BC/SequenceMatch noise rate (default: ${DEFAULT-VALUE}).")
  double eta;

  @Option(names = "--noise", defaultValue = "unigram",
      description = "Noise kind: unigram or uniform (default: ${DEFAULT-VALUE}).")
  String noise;

  @Option(names = "--test", defaultValue = "100", description = "Test prompts (default: ${DEFAULT-VALUE}).")
  int test;

  @Option(names = "--validation", defaultValue = "50", description = "Validation prompts (default: ${DEFAULT-VALUE}).")
  int validation;

  @Option(names = "--prompt-chars", defaultValue = "32", description = "Prompt length (default: ${DEFAULT-VALUE}).")
  int promptChars;

  @Option(names = "--continuation-chars", defaultValue = "64",
      description = "True continuation length = bytes generated (default: ${DEFAULT-VALUE}).")
  int continuationChars;

  @Option(names = "--temperature", defaultValue = "1.0",
      description = "Sampling temperature of the continuations (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--layers", defaultValue = "4", description = "Model layers (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(names = "--width", defaultValue = "128", description = "n_embd (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(names = "--positions", defaultValue = "128", description = "n_positions (default: ${DEFAULT-VALUE}).")
  int positions;

  @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the data split (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--feature-model", paramLabel = "DIR",
      description = "MAUVE's embedding: a 'seqmatch export' directory (default: an MLE model trained here on the "
          + "training split, seed 1000, exported to <out>/data/feature-onnx).")
  Path featureModel;

  @CommandLine.Mixin
  SequenceMatchMixin sm;

  @Option(names = "--out", defaultValue = "runs/experiment-text", paramLabel = "DIR",
      description = "Data and runs (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--results", paramLabel = "DIR", description = "Where RESULTS.md, results.json and the chart go "
      + "(default: --out), e.g. docs/results/table1.")
  Path results;

  @Override
  public Integer call() {
    List<String> problems = new ArrayList<>();
    List<TextMethod> ms = List.of();
    try {
      ms = TextMethod.parse(methods).stream().sorted().toList(); // MLE before EMO, which starts from it
    } catch (InvalidInputException e) {
      problems.add(e.getMessage());
    }
    if (steps < 1 || seeds < 1 || test < 2 || validation < 2 || batchSize < 1 || (emoSteps != null && emoSteps < 1)) {
      problems.add("--steps, --seeds, --batch-size, --emo-steps must be >= 1 and --test, --validation >= 2 (got "
          + steps + ", " + seeds + ", " + batchSize + ", " + emoSteps + ", " + test + ", " + validation + ")");
    }
    if (lrs.isEmpty() || lrs.stream().anyMatch(l -> !(l > 0))) {
      problems.add("--lr values must be > 0 (got " + lrs + ")");
    }
    if (!(eta >= 0 && eta < 1)) {
      problems.add("--eta must be in [0, 1) (got " + eta + ")");
    }
    if (!noise.equals("unigram") && !noise.equals("uniform")) {
      problems.add("--noise must be unigram or uniform (got \"" + noise + "\")");
    }
    if (promptChars < 1 || continuationChars < 1 || promptChars + continuationChars >= positions) {
      problems.add("--prompt-chars and --continuation-chars must be >= 1 and fit --positions with room for "
          + "<bkspc> (got " + promptChars + " + " + continuationChars + ", positions " + positions + ")");
    }
    if (!(temperature > 0)) {
      problems.add("--temperature must be > 0 (got " + temperature + ")");
    }
    if (layers < 1 || heads < 1 || width % Math.max(heads, 1) != 0) {
      problems.add("model: need --layers >= 1 and --heads dividing --width (got " + layers + ", " + heads + ", "
          + width + ")");
    }
    if (!Files.isRegularFile(corpus)) {
      problems.add("--corpus: no such file " + corpus);
    }
    if (featureModel != null && !Files.isDirectory(featureModel)) {
      problems.add("--feature-model: no such directory " + featureModel);
    }
    SequenceMatchSettings smSettings = null;
    try {
      smSettings = sm.settings();
    } catch (InvalidInputException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    TextComparison.Settings settings = new TextComparison.Settings(corpus, out, steps,
        emoSteps != null ? emoSteps : Math.max(1, steps / 4), batchSize, layers, width, heads, positions,
        List.copyOf(lrs), seeds, eta, noise, test, validation, promptChars, continuationChars, temperature, seed,
        featureModel, smSettings, ms);
    PrintWriter o = spec.commandLine().getOut();
    TextComparison.Result r = new TextComparison(settings, line -> {
      o.println(line);
      o.flush();
    }).run();
    Path md = TextReport.write(r, results != null ? results : out, command());
    o.println();
    o.print(TextReport.table(r));
    o.printf("done in %s: %s%n", Progress.duration(r.seconds()), md);
    o.flush();
    return 0;
  }

  /** The command line that reproduces this run, for the report. */
  private String command() {
    // originalArgs of a subcommand's parse result hold the whole line, "experiment text" included
    return "seqmatch " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
  }
}
