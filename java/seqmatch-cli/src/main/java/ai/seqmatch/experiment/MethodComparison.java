/*
 * Trains several methods (MLE, BC, SequenceMatch-χ²; DESIGN.md §3) on one generated task with the same
 * model, budget, data and seed, and evaluates each on held-out test prompts. Used by `seqmatch quickstart`
 * and `seqmatch experiment arithmetic`. Tested by QuickstartTest and ArithmeticExperimentTest (tiny budgets).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.eval.EvalReport;
import ai.seqmatch.eval.GenerationEngine;
import ai.seqmatch.eval.TaskEvaluator;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.tasks.NoiseCandidates;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskDataset;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.train.FinishResult;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingInputs;
import ai.seqmatch.train.TrainingListener;
import ai.seqmatch.train.TrainingLoop;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/** A comparison of methods on one task; {@link #run(List)} trains and evaluates each spec in turn. */
public final class MethodComparison {
  /** Byte tokenizer ids (docs/TRAINING.md): bytes 0..255, then the specials. */
  private static final int VOCAB = 259;
  static final int EOS = 256;
  private static final int PAD = 257;
  private static final int BKSPC = 258;

  private final Task task;
  private final Path outDir;
  private final Settings s;
  private final Consumer<String> log;
  private List<TaskExample> test;
  private Path dataDir;

  /** Model and budget shared by every run. */
  public record Settings(int steps, int batchSize, int nLayer, int nEmbd, int nHead, int nPositions, double lr,
      int trainExamples, int validationExamples, int testExamples, long seed, SequenceMatchSettings sm) {
    public Settings {
      List<String> problems = new ArrayList<>();
      if (steps < 1 || batchSize < 1 || trainExamples < 1 || validationExamples < 1 || testExamples < 1) {
        problems.add("steps, batch size and example counts must be >= 1 (got steps " + steps + ", batch "
            + batchSize + ", train " + trainExamples + ", validation " + validationExamples + ", test "
            + testExamples + ")");
      }
      if (nLayer < 1 || nHead < 1 || nEmbd % Math.max(nHead, 1) != 0 || nPositions < 16) {
        problems.add("model: need n_layer >= 1, n_head dividing n_embd, n_positions >= 16 (got " + nLayer + ", "
            + nHead + ", " + nEmbd + ", " + nPositions + ")");
      }
      if (!(lr > 0)) {
        problems.add("learning rate must be > 0 (got " + lr + ")");
      }
      if (sm == null) {
        problems.add("SequenceMatch settings are required");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
    }

    /** The quickstart scale: 4 layers, width 128, 64 positions, batch 32. */
    public static Settings small(int steps, int testExamples, long seed) {
      return new Settings(steps, 32, 4, 128, 4, 64, 1e-3, 20000, 500, testExamples, seed,
          SequenceMatchSettings.DEFAULT);
    }

    /** The same with other SequenceMatch knobs. */
    public Settings withSequenceMatch(SequenceMatchSettings other) {
      return new Settings(steps, batchSize, nLayer, nEmbd, nHead, nPositions, lr, trainExamples, validationExamples,
          testExamples, seed, other);
    }
  }

  /**
   * @param task the task to learn (its completions must fit n_positions with the prompt)
   * @param outDir where data and runs go (data/, runs/&lt;id&gt;/)
   * @param settings model and budget
   * @param log progress lines
   */
  public MethodComparison(Task task, Path outDir, Settings settings, Consumer<String> log) {
    this.task = task;
    this.outDir = outDir;
    this.s = settings;
    this.log = log;
  }

  /** The held-out test prompts (available after the first run, or {@link #prepareData()}). */
  public List<TaskExample> testExamples() {
    return prepareData();
  }

  /** Generates the splits once (train, validation, test: disjoint prompts) and tokenises the clean data. */
  public synchronized List<TaskExample> prepareData() {
    if (test == null) {
      dataDir = outDir.resolve("data");
      TaskDataset.Splits splits = TaskDataset.writeSplits(task, dataDir, s.trainExamples(), s.validationExamples(),
          s.testExamples(), s.seed());
      prepare(List.of(splits.train(), splits.validation()), dataDir.resolve("clean"));
      NoiseCandidates.write(task.groundTruthNoise().orElseThrow(() -> new InvalidInputException(
          "task " + task.name() + " has no ground-truth noise")).candidates(), byteTokenizer(),
          dataDir.resolve("noise-task.json"));
      test = TaskDataset.sample(task, s.testExamples(), s.seed()); // = test.jsonl (same seed, same draw)
    }
    return test;
  }

  /** Trains and evaluates every spec in order; progress shows the run index and an ETA over all runs. */
  public List<RunResult> run(List<RunSpec> specs) {
    prepareData();
    List<RunResult> results = new ArrayList<>();
    Progress progress = new Progress(log, specs.size(), s.steps());
    for (int i = 0; i < specs.size(); i++) {
      RunSpec spec = specs.get(i);
      progress.begin(i, spec);
      results.add(runOne(spec, progress));
    }
    return results;
  }

  private RunResult runOne(RunSpec spec, Progress progress) {
    Path runDir = outDir.resolve("runs").resolve(spec.id());
    TrainConfig config = TrainConfig.parse(config(spec, runDir).toString(), "experiment " + spec.id());
    TrainingInputs inputs = TrainingInputs.resolve(config, log);
    long t0 = System.nanoTime();
    FinishResult finish;
    try (Trainer trainer = Trainer.create(inputs.config())) {
      finish = TrainingLoop.run(trainer, List.<TrainingListener>of(progress));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    EvalReport report = evaluate(finish.finalModel());
    log.accept(String.format(Locale.ROOT, "  %s: accuracy %.3f, backspace rate %.3f, val loss %.4f (%.0f s)",
        spec.describe(), report.metric("accuracy"), report.metric("backspace_rate"), finish.eval().valLoss(),
        seconds));
    return new RunResult(spec, runDir, finish.finalModel(), finish.eval().valLoss(), seconds, report);
  }

  /**
   * Accuracy etc. of {@code model} on the test prompts, greedy decoding with <bkspc> allowed (prompts are
   * encoded with Tokenizer#encodePrompt, as in training).
   */
  public EvalReport evaluate(Path model) {
    try (Gpt2Model m = Gpt2Model.load(model, Device.of("cpu"));
        GenerationEngine engine = GenerationEngine.open(m);
        Tokenizer tok = byteTokenizer()) {
      return TaskEvaluator.builder(engine, tok, task).optBatchSize(64).optExamples(3).build().evaluate(prepareData());
    }
  }

  /** The trainer config of one run (fields: docs/TRAINING.md). */
  ObjectNode config(RunSpec spec, Path runDir) {
    ObjectNode c = new ObjectMapper().createObjectNode();
    ObjectNode model = c.putObject("model");
    model.put("vocab_size", VOCAB).put("n_positions", s.nPositions()).put("n_embd", s.nEmbd())
        .put("n_layer", s.nLayer()).put("n_head", s.nHead()).put("eos_token_id", EOS).put("pad_token_id", PAD)
        .put("bkspc_token_id", BKSPC).putObject("tokenizer").put("type", "byte");
    boolean noisyMle = spec.method() == Method.MLE && spec.eta() > 0;
    Path data = noisyMle ? noisyData(spec) : dataDir.resolve("clean");
    c.putObject("data").put("train", data.resolve(DataPreparer.TRAIN).toString())
        .put("validation", dataDir.resolve("clean").resolve(DataPreparer.VALIDATION).toString());
    ObjectNode objective = c.putObject("objective");
    objective.put("type", spec.method() == Method.SEQUENCE_MATCH ? "sequence_match" : "mle");
    if (spec.method() == Method.SEQUENCE_MATCH) {
      // BC warm-up for half the budget (SequenceMatch from a random policy only replays garbage), then
      // (1-λ)·BC + λ·SM with the χ²-mixture divergence (paper §5, eq. 9); knobs: SequenceMatchSettings.
      objective.put("divergence", "chi2-mixture").put("lambda", s.sm().lambda()).put("alpha", s.sm().alpha())
          .put("terminal_value", s.sm().terminalValue()).put("warmup_bc_steps", s.steps() / 2);
      int sampleEvery = Math.max(1, Math.min(25, s.steps() / 8));
      c.putObject("replay").put("sample_every", sampleEvery).put("rollouts", 16).put("model_rows", 4)
          .put("max_new_tokens", task.maxCompletionLength() + 4).put("buffer_size", 64);
    }
    ObjectNode noise = c.putObject("noise");
    if (spec.method() != Method.MLE && spec.eta() > 0) {
      noise.put("eta", spec.eta()).put("kind", spec.noise().wireName());
      if (spec.noise() == NoiseKind.TASK) {
        noise.put("candidates", dataDir.resolve("noise-task.json").toString());
      }
    }
    c.putObject("optim").put("lr", s.lr()).put("min_lr", s.lr() / 10)
        .put("warmup_steps", Math.max(1, Math.min(50, s.steps() / 10)));
    c.put("max_steps", s.steps()).put("batch_size", s.batchSize()).put("eval_every", Math.max(1, s.steps() / 8))
        .put("eval_batches", 4).put("checkpoint_every", 0).put("log_every", Math.max(1, s.steps() / 10))
        .put("out_dir", runDir.toString()).put("seed", s.seed());
    return c;
  }

  /** Training data for MLE on noisy data: the noise stays in the completions, with no <bkspc> after it. */
  private Path noisyData(RunSpec spec) {
    Path dir = dataDir.resolve("noisy-" + spec.noise().wireName() + String.format(Locale.ROOT, "-%.2f", spec.eta()));
    if (!Files.isRegularFile(dir.resolve(DataPreparer.TRAIN))) {
      List<TaskExample> clean = readJsonl(dataDir.resolve("train.jsonl"));
      Path jsonl = dir.resolve("train.jsonl");
      TaskDataset.writeJsonl(NoisyCompletions.corrupt(clean, task, spec.noise(), spec.eta(), s.seed()), jsonl);
      prepare(List.of(jsonl), dir);
    }
    return dir;
  }

  private void prepare(List<Path> files, Path dir) {
    DataPreparer.Builder b = DataPreparer.builder("byte", s.nPositions()).optValidationFraction(
        files.size() > 1 ? (double) s.validationExamples() / (s.trainExamples() + s.validationExamples()) : 0.0)
        .optSeed(s.seed());
    files.forEach(b::addFile);
    b.build().prepare(dir);
  }

  private static List<TaskExample> readJsonl(Path file) {
    ObjectMapper mapper = new ObjectMapper();
    List<TaskExample> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        if (!line.isBlank()) {
          var j = mapper.readTree(line);
          out.add(new TaskExample(j.path("prompt").asText(), j.path("completion").asText()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("experiment: cannot read " + file, e);
    }
    return out;
  }

  static Tokenizer byteTokenizer() {
    return DataPreparer.openTokenizer("byte");
  }
}
