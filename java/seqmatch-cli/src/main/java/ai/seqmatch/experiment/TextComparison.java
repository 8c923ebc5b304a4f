/*
 * `seqmatch experiment text`, the paper's Table 1 our way: MLE, BC, SequenceMatch-χ² and EMO trained on one
 * corpus with the same byte-level model and budget, each judged on continuations of held-out prompts
 * (TextCorpus: split by distinct item) sampled at one temperature: MAUVE against the true continuations
 * (features of a fixed feature model through ONNX Runtime: --feature-model, else an MLE model trained here on
 * the training split with its own seed and exported), seq-rep-4, distinct-n, self-BLEU-4 and Zipf over words
 * (TextEvaluator), and the token-only perplexity of the held-out items (ModelPerplexity). Settings (the
 * learning rate, from --lr) are chosen per method on the validation prompts' MAUVE with seed 0, then the other
 * seeds train at the chosen one. A run with a result.json for the same config is reused. Tested by
 * TextExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.Device;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.eval.EvalReport;
import ai.seqmatch.eval.GenerationEngine;
import ai.seqmatch.eval.ModelPerplexity;
import ai.seqmatch.eval.TextEvaluator;
import ai.seqmatch.eval.Units;
import ai.seqmatch.eval.mauve.MauveReference;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.onnx.OrtTextFeatures;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.train.FinishResult;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingInputs;
import ai.seqmatch.train.TrainingLoop;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/** Trains and judges every (method, learning rate, seed) of one text comparison. */
final class TextComparison {
  /** Byte tokenizer ids (docs/TRAINING.md). */
  private static final int VOCAB = 259;
  private static final int EOS = 256;
  private static final int PAD = 257;
  private static final int BKSPC = 258;
  /** Seed of the feature model's training run: apart from every compared run's seed. */
  static final long FEATURE_SEED = 1000;
  static final long MAUVE_SEED = 25;
  /** Held-out tokens scored for the perplexity of each run. */
  private static final long PPL_TOKENS = 200_000;

  /** What one comparison trains and how it judges. */
  record Settings(Path corpus, Path out, int steps, int emoSteps, int batchSize, int nLayer, int nEmbd, int nHead,
      int nPositions, List<Double> lrs, int seeds, double eta, String noiseKind, int test, int validation,
      int promptChars, int continuationChars, double temperature, long splitSeed, Path featureModel,
      SequenceMatchSettings sm, List<TextMethod> methods) {}

  /** One trained run judged on validation and test prompts. */
  record Run(TextMethod method, double lr, long seed, Path dir, Map<String, Double> test,
      Map<String, Double> validation, double seconds) {}

  /** Everything the report needs. */
  record Result(Settings settings, TextCorpus.Split split, String features, Map<TextMethod, Double> chosenLr,
      List<Run> runs, double seconds) {}

  private final Settings s;
  private final Consumer<String> log;
  private final ObjectMapper mapper = new ObjectMapper();

  TextComparison(Settings settings, Consumer<String> log) {
    this.s = settings;
    this.log = log;
  }

  Result run() {
    long t0 = System.nanoTime();
    TextCorpus.Split split = TextCorpus.split(s.corpus(), s.test(), s.validation(), s.promptChars(),
        s.continuationChars(), s.splitSeed());
    Path data = s.out().resolve("data");
    prepareData(split, data);
    log.accept(String.format(Locale.ROOT, "data: %d training paragraphs, %d validation and %d test prompts "
        + "(%d + %d characters) from %s", split.train().size(), split.validation().size(), split.test().size(),
        s.promptChars(), s.continuationChars(), s.corpus()));
    Path featureDir = s.featureModel() != null ? s.featureModel() : featureModel(data);
    List<Run> runs = new ArrayList<>();
    Map<TextMethod, Double> chosen = new LinkedHashMap<>();
    String featureText;
    try (OrtTextFeatures features = OrtTextFeatures.open(featureDir, OrtTextFeatures.DEFAULT_MAX_LENGTH, 0)) {
      featureText = features.describe();
      MauveReference testRef = MauveReference.ofTexts(features,
          split.test().stream().map(TextCorpus.Prompt::continuation).toList(), "test continuations", MAUVE_SEED);
      MauveReference valRef = MauveReference.ofTexts(features,
          split.validation().stream().map(TextCorpus.Prompt::continuation).toList(), "validation continuations",
          MAUVE_SEED);
      for (TextMethod m : s.methods()) {
        Run best = null;
        for (double lr : s.lrs()) {
          Run r = runOne(m, lr, 0, data, chosen, split, testRef, valRef);
          runs.add(r);
          if (best == null || r.validation().get("mauve") > best.validation().get("mauve")) {
            best = r;
          }
        }
        chosen.put(m, best.lr());
        if (s.lrs().size() > 1) {
          log.accept(String.format(Locale.ROOT, "  %s: lr %s chosen (validation MAUVE %.3f)", m.label(),
              num(best.lr()), best.validation().get("mauve")));
        }
        for (long seed = 1; seed < s.seeds(); seed++) {
          runs.add(runOne(m, best.lr(), seed, data, chosen, split, testRef, valRef));
        }
      }
    }
    return new Result(s, split, featureText, chosen, runs, (System.nanoTime() - t0) / 1e9);
  }

  /** Train items as text rows, tokenised for training and validation loss; test pairs for reference. */
  private void prepareData(TextCorpus.Split split, Path data) {
    String made = s.corpus() + "; test " + s.test() + ", validation " + s.validation() + ", chars "
        + s.promptChars() + "+" + s.continuationChars() + ", seed " + s.splitSeed() + ", n_positions "
        + s.nPositions() + "\n";
    Path marker = data.resolve(MethodComparison.DATA_MARKER);
    try {
      if (Files.isRegularFile(marker) && made.equals(Files.readString(marker))) {
        return;
      }
    } catch (IOException e) {
      // unreadable marker: write the data again
    }
    writeJsonl(data.resolve("train.jsonl"), split.train().stream().map(t -> mapper.createObjectNode().put("text", t))
        .toList());
    writeJsonl(data.resolve("validation.jsonl"), split.validation().stream()
        .map(p -> mapper.createObjectNode().put("text", p.item())).toList());
    writeJsonl(data.resolve("test.jsonl"), split.test().stream().map(p -> mapper.createObjectNode()
        .put("prompt", p.prompt()).put("completion", p.continuation())).toList());
    prepare(data.resolve("train.jsonl"), data.resolve("clean"));
    prepare(data.resolve("validation.jsonl"), data.resolve("validation"));
    ExperimentReport.writeAtomically(marker, made);
  }

  private void writeJsonl(Path file, List<ObjectNode> rows) {
    StringBuilder sb = new StringBuilder();
    rows.forEach(r -> sb.append(r).append('\n'));
    ExperimentReport.writeAtomically(file, sb.toString());
  }

  private void prepare(Path file, Path dir) {
    DataPreparer.builder("byte", s.nPositions()).optValidationFraction(0.0).optSeed(s.splitSeed()).addFile(file)
        .build().prepare(dir);
  }

  /** The default feature model: MLE on the training split with FEATURE_SEED, exported to data/feature-onnx. */
  private Path featureModel(Path data) {
    Path onnx = data.resolve("feature-onnx");
    Path runDir = s.out().resolve("runs").resolve("feature-mle-s" + FEATURE_SEED);
    ObjectNode config = config(TextMethod.MLE, s.lrs().get(0), FEATURE_SEED, runDir, data, null);
    Path finalModel = runDir.resolve("final");
    if (!configMatches(runDir, config) || !Files.isDirectory(onnx)) {
      log.accept("feature model: MLE, seed " + FEATURE_SEED + ", on the training split (MAUVE's embedding)");
      finalModel = train(config, runDir).finalModel();
      OnnxExporter.builder(finalModel, onnx).build().export();
      ExperimentReport.writeAtomically(runDir.resolve("feature.json"), config.toPrettyString() + "\n");
    }
    return onnx;
  }

  private boolean configMatches(Path runDir, ObjectNode config) {
    try {
      Path f = runDir.resolve("feature.json");
      return Files.isRegularFile(f) && mapper.readTree(f.toFile()).equals(config);
    } catch (IOException e) {
      return false;
    }
  }

  private Run runOne(TextMethod m, double lr, long seed, Path data, Map<TextMethod, Double> chosen,
      TextCorpus.Split split, MauveReference testRef, MauveReference valRef) {
    Path runDir = s.out().resolve("runs").resolve(m.wireName() + "-lr" + num(lr) + "-s" + seed);
    Path init = m == TextMethod.EMO ? s.out().resolve("runs").resolve("mle-lr" + num(chosen.get(TextMethod.MLE))
        + "-s" + seed).resolve("final") : null;
    ObjectNode config = config(m, lr, seed, runDir, data, init);
    Path resultFile = runDir.resolve("result.json");
    try {
      if (Files.isRegularFile(resultFile)) {
        JsonNode j = mapper.readTree(resultFile.toFile());
        if (j.path("config").equals(config)) {
          log.accept("  " + m.label() + ", lr " + num(lr) + ", seed " + seed + ": reusing " + resultFile);
          return new Run(m, lr, seed, runDir, metrics(j.path("test")), metrics(j.path("validation")),
              j.path("seconds").asDouble());
        }
      }
    } catch (IOException e) {
      log.accept("  " + resultFile + " unreadable (" + e.getMessage() + "): training again");
    }
    long t0 = System.nanoTime();
    FinishResult finish = train(config, runDir);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> test;
    Map<String, Double> val;
    try (CausalLM model = CausalLM.load(finish.finalModel(), Device.of("cpu"));
        GenerationEngine engine = GenerationEngine.open(model);
        Tokenizer tok = MethodComparison.byteTokenizer()) {
      test = judge(model, engine, tok, split.test(), testRef, seed);
      val = judge(model, engine, tok, split.validation(), valRef, seed);
    }
    Run r = new Run(m, lr, seed, runDir, test, val, seconds);
    ObjectNode j = mapper.createObjectNode();
    j.set("config", config);
    j.put("seconds", seconds);
    j.set("test", json(test));
    j.set("validation", json(val));
    ExperimentReport.writeAtomically(resultFile, j.toPrettyString() + "\n");
    log.accept(String.format(Locale.ROOT, "  %s, lr %s, seed %d: MAUVE %.3f (validation %.3f), seq-rep-4 %.3f, "
        + "perplexity %.3f (%.0f s)", m.label(), num(lr), seed, test.get("mauve"), val.get("mauve"),
        test.get("seq_rep_4"), test.get("perplexity"), seconds));
    return r;
  }

  /** Metrics as JSON, NaN (undefined, e.g. self-BLEU of one row) as null. */
  static ObjectNode json(Map<String, Double> metrics) {
    ObjectNode o = new ObjectMapper().createObjectNode();
    metrics.forEach((k, v) -> {
      if (Double.isNaN(v)) {
        o.putNull(k);
      } else {
        o.put(k, v);
      }
    });
    return o;
  }

  private Map<String, Double> metrics(JsonNode j) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (var e : j.properties()) {
      out.put(e.getKey(), e.getValue().isNumber() ? e.getValue().asDouble() : Double.NaN);
    }
    return out;
  }

  /** Sampled continuations (temperature, seed = the run's) judged by TextEvaluator, plus held-out perplexity. */
  private Map<String, Double> judge(CausalLM model, GenerationEngine engine, Tokenizer tok,
      List<TextCorpus.Prompt> prompts, MauveReference ref, long seed) {
    SamplingOptions options = SamplingOptions.builder().optGreedy(false).optTemperature(s.temperature())
        .optMaxNewTokens(s.continuationChars()).optSeed(seed).build();
    EvalReport r = TextEvaluator.builder(engine, tok).optOptions(options).optUnits(Units.WORDS).optBatchSize(32)
        .optExamples(0).optMauve(ref).build().evaluate(prompts.stream().map(TextCorpus.Prompt::prompt).toList());
    Map<String, Double> out = new LinkedHashMap<>(r.metrics());
    List<long[]> docs = prompts.stream().map(p -> tok.encode(p.item())).toList();
    out.put("perplexity", ModelPerplexity.evaluate(model, docs, PPL_TOKENS).perplexity());
    return out;
  }

  private FinishResult train(ObjectNode json, Path runDir) {
    ExperimentReport.writeAtomically(runDir.resolve("train_config.json"), json.toPrettyString() + "\n");
    TrainConfig config = TrainConfig.parse(json.toString(), "experiment text " + runDir.getFileName());
    TrainingInputs inputs = TrainingInputs.resolve(config, log);
    try (Trainer trainer = Trainer.create(inputs.config())) {
      return TrainingLoop.run(trainer, List.of());
    }
  }

  /** The trainer config of one run (fields: docs/TRAINING.md); init: EMO's starting checkpoint. */
  ObjectNode config(TextMethod m, double lr, long seed, Path runDir, Path data, Path init) {
    ObjectNode c = mapper.createObjectNode();
    ObjectNode model = c.putObject("model");
    if (init != null) {
      model.put("init", init.toString());
    } else {
      model.put("vocab_size", VOCAB).put("n_positions", s.nPositions()).put("n_embd", s.nEmbd())
          .put("n_layer", s.nLayer()).put("n_head", s.nHead()).put("eos_token_id", EOS).put("pad_token_id", PAD)
          .put("bkspc_token_id", BKSPC).putObject("tokenizer").put("type", "byte");
    }
    c.putObject("data").put("train", data.resolve("clean").resolve(DataPreparer.TRAIN).toString())
        .put("validation", data.resolve("validation").resolve(DataPreparer.TRAIN).toString());
    ObjectNode objective = c.putObject("objective");
    int steps = m == TextMethod.EMO ? s.emoSteps() : s.steps();
    switch (m) {
      case MLE, BC -> objective.put("type", "mle");
      case EMO -> objective.put("type", "emo");
      case SEQUENCE_MATCH -> {
        // as MethodComparison: BC warm-up for half the budget, then (1-λ)·BC + λ·SM, rollouts replayed
        objective.put("type", "sequence_match").put("divergence", "chi2-mixture").put("lambda", s.sm().lambda())
            .put("alpha", s.sm().alpha()).put("terminal_value", s.sm().terminalValue())
            .put("warmup_bc_steps", steps / 2);
        c.putObject("replay").put("sample_every", Math.max(1, Math.min(25, steps / 8))).put("rollouts", 16)
            .put("model_rows", 4).put("max_new_tokens", s.continuationChars()).put("buffer_size", 64);
      }
      default -> throw new IllegalStateException("not trainable: " + m);
    }
    if ((m == TextMethod.BC || m == TextMethod.SEQUENCE_MATCH) && s.eta() > 0) {
      c.putObject("noise").put("eta", s.eta()).put("kind", s.noiseKind());
    }
    c.putObject("optim").put("lr", lr).put("min_lr", lr / 10).put("warmup_steps", Math.max(1, Math.min(50,
        steps / 10)));
    c.put("max_steps", steps).put("batch_size", s.batchSize()).put("eval_every", Math.max(1, steps / 4))
        .put("eval_batches", 4).put("checkpoint_every", 0).put("log_every", Math.max(1, steps / 5))
        .put("out_dir", runDir.toString()).put("seed", seed);
    try {
      // as read back from result.json (a long seed is an int node there), so reuse compares like with like
      return (ObjectNode) mapper.readTree(c.toString());
    } catch (IOException e) {
      throw new IllegalStateException("config does not re-parse", e);
    }
  }

  static String num(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x).replaceAll("0+$", "");
  }
}
