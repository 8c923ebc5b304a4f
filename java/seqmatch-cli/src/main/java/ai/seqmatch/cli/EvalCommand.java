/*
 * `seqmatch eval`: evaluation without a large reference model (DESIGN.md §3). Task mode (--task) checks
 * generated completions exactly (accuracy, backspace rate, actions per token); prompts mode (--prompts only)
 * reports text metrics of the generations (distinct-n, seq-rep-4, self-BLEU, Zipf). --data adds the
 * perplexity of reference text. Several --checkpoint give one side-by-side table, or with --json ONE object
 * {"mode", ..., "checkpoints": {"<dir>": report}}. The engine is picked in openEngine: one case per engine.
 * Generations mode (--task, --prompts, --generations FILE) scores generations made elsewhere (ExternalGenerations
 * format) with the same TaskEvaluator.score: greedy, each sample seed, and the sampled accuracy over seeds.
 * Prompts mode with --mauve-reference FILE --feature-model DIR adds MAUVE of the continuations against the
 * reference texts, both embedded by the exported feature model (MauveReference, OrtTextFeatures).
 * Tested by EvalCommandTest and EvalMauveTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.BadLinePolicy;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.data.DataReader;
import ai.seqmatch.data.Row;
import ai.seqmatch.eval.EvalExample;
import ai.seqmatch.eval.EvalReport;
import ai.seqmatch.eval.ExternalGenerations;
import ai.seqmatch.eval.GenerationEngine;
import ai.seqmatch.eval.Interval;
import ai.seqmatch.eval.ModelPerplexity;
import ai.seqmatch.eval.TaskEvaluator;
import ai.seqmatch.eval.TaskScores;
import ai.seqmatch.eval.TextEvaluator;
import ai.seqmatch.eval.Traces;
import ai.seqmatch.eval.Units;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.eval.mauve.MauveReference;
import ai.seqmatch.onnx.OrtTextFeatures;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskDataset;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tasks.TaskRegistry;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Evaluate checkpoints without a reference model.",
        "Task mode: --task NAME checks generated answers exactly on --n distinct prompts drawn with --seed (or "
            + "on the "
            + "prompts of --prompts FILE.jsonl, e.g. a test split from 'seqmatch tasks generate'). A row is "
            + "correct only if it ends with <eos> and passes the checker.",
        "Prompts mode: --prompts FILE (.jsonl with \"prompt\" or \"text\", else one prompt per line) reports "
            + "distinct-1/2/3, seq-rep-4, self-BLEU-4, Zipf coefficient over the generations; with "
            + "--mauve-reference FILE --feature-model DIR also MAUVE and the frontier integral of the "
            + "continuations against FILE's texts.",
        "Both: backspace_rate, actions_per_token; --data FILE adds the perplexity of reference text (NLL over "
            + "all actions but <bkspc>). Decoding is greedy unless --temperature is given.",
        "Generations mode: --task NAME --prompts test.jsonl --generations gen.jsonl scores generations made "
            + "elsewhere (one {\"id\", \"seed\", \"tokens\", \"finish_reason\", \"backspaces\"} per line; "
            + "docs/TRAINING.md), decoded with --tokenizer: greedy (seed null), each seed, and sampled accuracy "
            + "over the seeds, each with a 95%% interval.",
        "--json prints ONE object: {\"mode\", \"task\"?, \"sampling\", \"checkpoints\": {\"<dir>\": {\"metrics\", "
            + "\"counts\", \"examples\", ...}}}; undefined metrics are null."})
final class EvalCommand implements Callable<Integer> {
  /** Engines --engine accepts; openEngine has one case per name. */
  static final List<String> ENGINES = List.of("native");

  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", paramLabel = "DIR",
      description = "Checkpoint directory (repeatable: one table column each).")
  List<Path> checkpoints = new ArrayList<>();

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "LoRA adapter directory (PEFT format) on the --checkpoint base (repeatable: the i-th applies to "
          + "the i-th --checkpoint; then one per --checkpoint).")
  List<Path> adapters = new ArrayList<>();

  @Option(names = "--generations", paramLabel = "FILE",
      description = "Score these generations (JSONL, made elsewhere) of the --prompts instead of generating.")
  Path generations;

  @Option(names = "--tokenizer", defaultValue = "byte", paramLabel = "SPEC",
      description = "With --generations: tokenizer of the token ids: byte (default, with the SeqMatch specials), "
          + "or a tokenizer.json / a directory holding one.")
  String tokenizer;

  @Option(names = "--task", paramLabel = "NAME", description = "Task to check ('seqmatch tasks list').")
  String task;

  @Option(names = "--n", defaultValue = "200", description = "Task prompts to draw (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--seed", defaultValue = "12345",
      description = "Seed of the drawn task prompts (default: ${DEFAULT-VALUE}; 'tasks generate' defaults to 0).")
  long seed;

  @Option(names = "--prompts", paramLabel = "FILE", description = "Prompts file (.jsonl or one per line).")
  Path prompts;

  @Option(names = "--data", paramLabel = "FILE", description = "Reference text for perplexity (repeatable; .jsonl or text).")
  List<Path> data = new ArrayList<>();

  @Option(names = "--engine", defaultValue = "native", description = "Generation engine: native (default).")
  String engine;

  @Option(names = "--max-new-tokens", description = "Generated tokens per row (default: task's longest answer + 8, or 64).")
  Long maxNewTokens;

  @Option(names = "--max-actions", defaultValue = "0", description = "Actions per row incl. <bkspc>; 0 = 4 x --max-new-tokens.")
  long maxActions;

  @Option(names = "--greedy", description = "Argmax decoding (the default unless --temperature is given).")
  boolean greedy;

  @Option(names = "--temperature", description = "Sample at this temperature instead of greedy decoding.")
  Double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "With --temperature: keep the K most likely actions; 0 = off.")
  long topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "With --temperature: nucleus mass in (0, 1]; 1 = off.")
  double topP;

  @Option(names = "--sample-seed", defaultValue = "0", description = "With --temperature: row i samples with seed + i.")
  long sampleSeed;

  @Option(names = "--no-backspace", description = "Never choose <bkspc>.")
  boolean noBackspace;

  @Option(names = "--batch-size", defaultValue = "32", description = "Prompts per generate call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--units", defaultValue = "tokens", description = "Units of the text metrics: tokens or words.")
  String units;

  @Option(names = "--self-bleu-cap", defaultValue = "200", description = "Generations used by self-BLEU (O(cap^2)).")
  int selfBleuCap;

  @Option(names = "--max-ppl-tokens", defaultValue = "100000", description = "Most reference tokens scored by --data.")
  long maxPplTokens;

  @Option(names = "--examples", defaultValue = "3", description = "Rows shown per checkpoint (default: ${DEFAULT-VALUE}).")
  int examples;

  @Option(names = "--mauve-reference", paramLabel = "FILE",
      description = "Prompts mode: MAUVE of the continuations (without their prompts) against these reference "
          + "texts: one per line, .jsonl (\"completion\" of pair rows, else \"text\"), or .npy features made "
          + "with the same feature model. Needs --feature-model.")
  Path mauveReference;

  @Option(names = "--feature-model", paramLabel = "DIR",
      description = "With --mauve-reference: a 'seqmatch export' directory whose final hidden state at the last "
          + "token (after the final layer norm) embeds each text, tokenised with its own tokenizer.")
  Path featureModel;

  @Option(names = "--mauve-max-length", defaultValue = "1024",
      description = "Tokens of each text the feature model reads (its first ones; capped at its n_positions; "
          + "default: ${DEFAULT-VALUE}, as mauve-text).")
  int mauveMaxLength;

  @Option(names = "--mauve-seed", defaultValue = "25", description = "MAUVE k-means seed (default: ${DEFAULT-VALUE}).")
  long mauveSeed;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  /** What one checkpoint's evaluation needs (model: null for engines without one); closing frees it all. */
  private record Opened(GenerationEngine engine, Tokenizer tokenizer, CausalLM model) implements AutoCloseable {
    @Override
    public void close() {
      try {
        engine.close();
      } finally {
        try {
          tokenizer.close();
        } finally {
          if (model != null) {
            model.close();
          }
        }
      }
    }
  }

  @Override
  public Integer call() {
    List<String> problems = new ArrayList<>();
    Task t = validate(problems);
    SamplingOptions options = options(t, problems);
    Units u = units(problems);
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    List<TaskExample> rows = prompts != null ? readPrompts(prompts) : TaskDataset.distinct(t, n, seed);
    if (generations != null) {
      return scoreGenerations(t, rows);
    }
    try (OrtTextFeatures features = featureModel == null ? null
        : OrtTextFeatures.open(featureModel, mauveMaxLength, 0)) {
      MauveReference ref = features == null ? null : MauveReference.read(mauveReference, features, mauveSeed);
      print(t, options, rows.size(), evaluate(t, options, u, rows, ref));
    }
    return 0;
  }

  private Map<String, EvalReport> evaluate(Task t, SamplingOptions options, Units u, List<TaskExample> rows,
      MauveReference ref) {
    Map<String, EvalReport> reports = new LinkedHashMap<>();
    for (int i = 0; i < checkpoints.size(); i++) {
      Path ckpt = checkpoints.get(i);
      Path adapter = adapters.isEmpty() ? null : adapters.get(i);
      try (Opened o = openEngine(ckpt, adapter)) {
        EvalReport r = t != null
            ? TaskEvaluator.builder(o.engine(), o.tokenizer(), t).optOptions(options).optBatchSize(batchSize)
                .optExamples(examples).build().evaluate(rows)
            : TextEvaluator.builder(o.engine(), o.tokenizer()).optOptions(options).optUnits(u)
                .optBatchSize(batchSize).optSelfBleuCap(selfBleuCap).optExamples(examples).optMauve(ref).build()
                .evaluate(rows.stream().map(TaskExample::prompt).toList());
        if (!data.isEmpty()) {
          if (o.model() == null) {
            throw new InvalidInputException("--data needs a model to score text (got --engine " + engine
                + "). Hint: use --engine native for perplexity");
          }
          ModelPerplexity.Result ppl = ModelPerplexity.evaluate(o.model(), referenceDocs(o.tokenizer()), maxPplTokens);
          r = r.withMetric("perplexity", ppl.perplexity()).withMetric("ppl_tokens", ppl.tokens());
        }
        reports.put(adapter == null ? ckpt.toString() : ckpt + "+" + adapter, r);
      }
    }
    return reports;
  }

  private Task validate(List<String> problems) {
    if (task == null && prompts == null) {
      problems.add("give --task NAME or --prompts FILE (got neither)");
    }
    if (generations == null && checkpoints.isEmpty()) {
      problems.add("give --checkpoint DIR (or --generations FILE with --task and --prompts)");
    }
    if (generations != null && (task == null || prompts == null || !checkpoints.isEmpty() || !data.isEmpty())) {
      problems.add("--generations needs --task and --prompts, and takes no --checkpoint or --data");
    }
    if ((mauveReference == null) != (featureModel == null)) {
      problems.add("--mauve-reference and --feature-model go together (got only "
          + (mauveReference != null ? "--mauve-reference" : "--feature-model") + ")");
    }
    if (mauveReference != null && (task != null || generations != null)) {
      problems.add("--mauve-reference is for prompts mode (--prompts without --task or --generations)");
    }
    if (mauveReference != null && !java.nio.file.Files.isRegularFile(mauveReference)) {
      problems.add("--mauve-reference: no such file " + mauveReference);
    }
    if (mauveMaxLength < 1) {
      problems.add("--mauve-max-length must be >= 1 (got " + mauveMaxLength + ")");
    }
    if (task != null && prompts == null && n < 1) {
      problems.add("--n must be >= 1 (got " + n + ")");
    }
    if (!ENGINES.contains(engine)) {
      problems.add("unknown --engine (got \"" + engine + "\", expected one of " + String.join(", ", ENGINES) + ")");
    }
    if (!adapters.isEmpty() && adapters.size() != checkpoints.size()) {
      problems.add("--adapter given " + adapters.size() + " time(s) for " + checkpoints.size()
          + " --checkpoint(s): give one per --checkpoint, in the same order");
    } else if (adapters.isEmpty() && new HashSet<>(checkpoints).size() != checkpoints.size()) {
      problems.add("--checkpoint given twice with the same directory");
    }
    if (batchSize < 1 || examples < 0 || selfBleuCap < 2 || maxPplTokens < 1) {
      problems.add("--batch-size, --max-ppl-tokens must be >= 1, --self-bleu-cap >= 2, --examples >= 0 (got "
          + batchSize + ", " + maxPplTokens + ", " + selfBleuCap + ", " + examples + ")");
    }
    if (task == null) {
      return null;
    }
    try {
      return TaskRegistry.get(task);
    } catch (InvalidInputException e) {
      problems.add(e.getMessage().replace("unknown task", "unknown --task"));
      return null;
    }
  }

  private SamplingOptions options(Task t, List<String> problems) {
    if (greedy && temperature != null) {
      problems.add("--greedy and --temperature cannot be combined");
    }
    long max = maxNewTokens != null ? maxNewTokens : t != null ? TaskEvaluator.defaultMaxNewTokens(t) : 64;
    try {
      return SamplingOptions.builder().optMaxNewTokens(max).optMaxActions(maxActions).optGreedy(temperature == null)
          .optTemperature(temperature == null ? 1.0 : temperature).optTopK(topK).optTopP(topP).optSeed(sampleSeed)
          .optAllowBackspace(!noBackspace).build();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage().replaceFirst("^invalid sampling options: ", "");
      for (String field : new String[] {"max_new_tokens", "max_actions", "temperature", "top_k", "top_p"}) {
        m = m.replaceAll("\\b" + field + "\\b", "--" + field.replace('_', '-'));
      }
      problems.add(m.replace("use greedy", "leave --temperature out"));
      return null;
    }
  }

  private Units units(List<String> problems) {
    for (Units u : Units.values()) {
      if (u.wireName().equals(units)) {
        return u;
      }
    }
    problems.add("unknown --units (got \"" + units + "\", expected tokens or words)");
    return null;
  }

  /** Generations mode: one report per run (greedy, seed N) and the sampled accuracy over the seeds. */
  private int scoreGenerations(Task t, List<TaskExample> rows) {
    Map<String, List<GenerationResult>> runs = ExternalGenerations.read(generations, rows.size());
    Map<String, EvalReport> reports = new LinkedHashMap<>();
    List<TaskScores> sampled = new ArrayList<>();
    try (Tokenizer tok = DataPreparer.openTokenizer(tokenizer)) {
      runs.forEach((run, results) -> {
        TaskScores s = TaskEvaluator.score(t, tok, "external", -1, rows, results, examples);
        reports.put(run, s.report());
        if (!run.equals(ExternalGenerations.GREEDY)) {
          sampled.add(s);
        }
      });
    }
    Interval mean = TaskScores.meanOverSeeds(sampled, 0);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode root = new ObjectMapper().createObjectNode();
      root.put("mode", "generations").put("task", t.name()).put("task_config", t.describe())
          .put("rows", rows.size()).put("source", prompts.toString()).put("generations", generations.toString());
      ObjectNode per = root.putObject("runs");
      reports.forEach((k, r) -> per.set(k, r.toJson()));
      if (!sampled.isEmpty()) {
        root.putObject("sampled_accuracy").put("seeds", sampled.size()).put("mean", mean.estimate())
            .put("low", mean.low()).put("high", mean.high());
      }
      out.println(root);
    } else {
      out.println("task " + t.describe() + "; " + rows.size() + " prompts from " + prompts + "; generations from "
          + generations);
      out.print(Table.render(reports));
      if (!sampled.isEmpty()) {
        out.println("sampled accuracy over " + sampled.size() + " seeds: " + mean.format()
            + " (95% bootstrap interval over prompts)");
      }
    }
    out.flush();
    return 0;
  }

  /** The engine for one checkpoint: add an engine as one more case here (and in ENGINES). */
  private Opened openEngine(Path ckpt, Path adapter) {
    switch (engine) {
      case "native": {
        CausalLM model = CausalLM.load(ckpt, adapter, Device.of(device));
        try {
          Tokenizer tok = Tokenizers.load(ckpt).orElseThrow(() -> new InvalidInputException("checkpoint " + ckpt
              + " has no tokenizer (no tokenizer.json, no \"seqmatch\".\"tokenizer\" in config.json). Hint: eval "
              + "works on text, so the checkpoint must name its tokenizer"));
          return new Opened(GenerationEngine.open(model), tok, model);
        } catch (RuntimeException e) {
          model.close();
          throw e;
        }
      }
      default:
        throw new InvalidInputException("unknown --engine (got \"" + engine + "\", expected one of "
            + String.join(", ", ENGINES) + ")");
    }
  }

  /** Prompts (and references, for task mode) from a .jsonl file, or one prompt per non-empty line. */
  private static List<TaskExample> readPrompts(Path file) {
    List<TaskExample> out = new ArrayList<>();
    if (file.toString().endsWith(".jsonl")) {
      for (Row row : new DataReader(BadLinePolicy.FAIL).read(file)) {
        out.add(row instanceof Row.Pair p ? new TaskExample(p.prompt(), p.completion())
            : new TaskExample(((Row.Text) row).text(), ""));
      }
    } else {
      try {
        Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
            .forEach(l -> out.add(new TaskExample(l, "")));
      } catch (IOException e) {
        throw new InvalidInputException("--prompts: cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    if (out.isEmpty()) {
      throw new InvalidInputException("--prompts: " + file + " holds no prompts. Hint: one prompt per line, or "
          + "JSONL with \"prompt\" fields");
    }
    return out;
  }

  private List<long[]> referenceDocs(Tokenizer tokenizer) {
    List<long[]> docs = new ArrayList<>();
    DataReader reader = new DataReader(BadLinePolicy.FAIL);
    for (Path file : data) {
      for (Row row : reader.read(file)) {
        String text = row instanceof Row.Pair p ? p.prompt() + p.completion() : ((Row.Text) row).text();
        docs.add(tokenizer.encode(text));
      }
    }
    return docs;
  }

  private void print(Task t, SamplingOptions options, int rows, Map<String, EvalReport> reports) {
    PrintWriter out = spec.commandLine().getOut();
    String mode = t != null ? "task" : "prompts";
    String sampling = (options.greedy() ? "greedy" : "temperature " + options.temperature() + ", top_k "
        + options.topK() + ", top_p " + options.topP() + ", seed " + options.seed()) + ", max_new_tokens "
        + options.maxNewTokens() + (options.allowBackspace() ? "" : ", no backspace");
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode root = mapper.createObjectNode();
      root.put("mode", mode);
      if (t != null) {
        root.put("task", t.name()).put("task_config", t.describe());
      }
      root.put("rows", rows).put("source", prompts != null ? prompts.toString() : "seed " + seed);
      root.put("sampling", sampling).put("engine", engine);
      if (t == null) {
        root.put("units", units);
      }
      ObjectNode per = root.putObject("checkpoints");
      reports.forEach((k, r) -> per.set(k, r.toJson()));
      out.println(root);
      out.flush();
      return;
    }
    out.println((t != null ? "task " + t.describe() : "prompts (text metrics over " + units + ")") + "; " + rows
        + " rows from " + (prompts != null ? prompts : "seed " + seed) + "; " + engine + " engine, " + sampling);
    out.print(Table.render(reports));
    for (Map.Entry<String, EvalReport> e : reports.entrySet()) {
      if (!e.getValue().examples().isEmpty()) {
        out.println();
        out.println("examples, " + e.getKey() + ":");
        for (EvalExample x : e.getValue().examples()) {
          String tag = x.correct() == null ? "" : x.correct() ? "[ok] " : "[wrong] ";
          String why = x.correct() == null ? x.finishReason() : x.reason();
          out.println("  " + tag + quote(x.prompt()) + " -> " + quote(x.completion()) + "  (" + why + ")");
          if (x.trace().contains(Traces.BACKSPACE)) {
            out.println("      trace: " + quote(x.trace()));
          }
        }
      }
    }
    out.flush();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") + "\"";
  }

  /** Metrics as rows, checkpoints as columns. */
  static final class Table {
    private Table() {}

    static String render(Map<String, EvalReport> reports) {
      List<String> names = new ArrayList<>();
      for (EvalReport r : reports.values()) {
        r.metrics().keySet().stream().filter(k -> !names.contains(k)).forEach(names::add);
        r.counts().keySet().stream().filter(k -> !names.contains(k)).forEach(names::add);
      }
      List<String> heads = new ArrayList<>(reports.keySet());
      int first = Math.max(6, names.stream().mapToInt(String::length).max().orElse(0));
      int[] widths = heads.stream().mapToInt(h -> Math.max(10, h.length())).toArray();
      StringBuilder sb = new StringBuilder();
      List<String> header = new ArrayList<>(List.of("metric"));
      header.addAll(heads);
      row(sb, header, first, widths);
      for (String name : names) {
        List<String> cells = new ArrayList<>(List.of(name));
        for (EvalReport r : reports.values()) {
          cells.add(r.metrics().containsKey(name) ? format(r.metric(name))
              : String.valueOf(r.counts().getOrDefault(name, 0L)));
        }
        row(sb, cells, first, widths);
      }
      return sb.toString();
    }

    private static void row(StringBuilder sb, List<String> cells, int first, int[] widths) {
      StringBuilder line = new StringBuilder(pad(cells.get(0), first));
      for (int c = 1; c < cells.size(); c++) {
        line.append("  ").append(pad(cells.get(c), widths[c - 1]));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }

    private static String format(double v) {
      return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String pad(String s, int width) {
      return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
  }
}
