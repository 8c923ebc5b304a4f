/*
 * Trains several methods (MLE, BC, SequenceMatch-χ²; DESIGN.md §3) on one generated task with the same
 * model, budget and data, and evaluates each on held-out test prompts (greedy, and sampled at T=1 over several
 * sample seeds) and on the validation prompts (what settings are chosen on). Data (data/): the task split by
 * distinct problem (TaskDataset.split), train and validation tokenised apart (validation is never re-split
 * from train), the noise alphabets of every method (noise.json, NoiseCandidates), and the test prompts as token
 * ids (test-prompts.jsonl, one {"id": i, "prompt_ids": [...]} per line) for generation on a machine without a
 * JVM; each run's trainer config is runs/<run>/train_config.json. A run with a result.json for the same config
 * is reused, so a long grid can be resumed. Used by `seqmatch quickstart` and `seqmatch experiment arithmetic`.
 * Tested by QuickstartTest and ArithmeticExperimentTest (tiny budgets).
 */
package ai.seqmatch.experiment;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.eval.GenerationEngine;
import ai.seqmatch.eval.TaskEvaluator;
import ai.seqmatch.eval.TaskScores;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.model.CausalLM;
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
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
  /** Written next to the splits: the test prompts as token ids, for generation elsewhere. */
  public static final String TEST_PROMPTS = "test-prompts.jsonl";
  private TaskDataset.Split split;
  /** Written last in data/: the split's description, so an identical split is not written again. */
  static final String DATA_MARKER = "SPLIT";
  private Path dataDir;

  /** Model and budget shared by every run. */
  public record Settings(int steps, int batchSize, int nLayer, int nEmbd, int nHead, int nPositions, double lr,
      int trainExamples, int validationExamples, int testExamples, long seed, SequenceMatchSettings sm,
      int sampleSeeds) {
    public Settings {
      List<String> problems = new ArrayList<>();
      if (sampleSeeds < 0) {
        problems.add("sample seeds must be >= 0 (got " + sampleSeeds + ")");
      }
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

    /**
     * The quickstart scale: 4 layers, width 128, 64 positions, batch 32; 150 validation prompts (with 200 test
     * prompts that is what the quickstart task's 768 distinct problems allow: half of each base stays for
     * training); 5 sample seeds.
     */
    public static Settings small(int steps, int testExamples, long seed) {
      return new Settings(steps, 32, 4, 128, 4, 64, 1e-3, 20000, 150, testExamples, seed,
          SequenceMatchSettings.DEFAULT, 5);
    }

    /** The same with other SequenceMatch knobs. */
    public Settings withSequenceMatch(SequenceMatchSettings other) {
      return new Settings(steps, batchSize, nLayer, nEmbd, nHead, nPositions, lr, trainExamples, validationExamples,
          testExamples, seed, other, sampleSeeds);
    }

    /** The same with another context length (a task with longer prompts or completions). */
    public Settings withPositions(int positions) {
      return new Settings(steps, batchSize, nLayer, nEmbd, nHead, positions, lr, trainExamples, validationExamples,
          testExamples, seed, sm, sampleSeeds);
    }

    /** The same with other example counts and sample seeds. */
    public Settings withData(int train, int validation, int samples) {
      return new Settings(steps, batchSize, nLayer, nEmbd, nHead, nPositions, lr, train, validation,
          testExamples, seed, sm, samples);
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

  /** The held-out test prompts. */
  public List<TaskExample> testExamples() {
    return prepareData().test();
  }

  /** The split once (see the file comment): writes data/ and tokenises train and validation apart. */
  private static final Object DATA_LOCK = new Object();

  private Path lockPath() {
    return outDir.resolve("data.lock");
  }

  /**
   * Runs {@code write} holding data/'s lock. Processes started together (experiment --shard, --plan-only) would
   * race on the temp files: the first writes, the others wait and then find the files written. A FileLock is
   * per process (two channels of one JVM on one file throw), so threads of one JVM queue on DATA_LOCK first.
   */
  @SuppressWarnings("try") // the FileLock is held for the block's duration, never read
  private void underDataLock(Runnable write) {
    synchronized (DATA_LOCK) {
      try {
        Files.createDirectories(outDir);
        try (FileChannel lockFile = FileChannel.open(lockPath(), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE); FileLock held = lockFile.lock()) {
          write.run();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("data " + outDir.resolve("data") + ": cannot lock " + lockPath() + ": "
            + e.getMessage(), e);
      }
    }
  }

  public synchronized TaskDataset.Split prepareData() {
    if (split == null) {
      dataDir = outDir.resolve("data");
      TaskDataset.Split sp = TaskDataset.split(task, s.trainExamples(), s.validationExamples(), s.testExamples(),
          s.seed());
      // The split is deterministic; its files are written once and marked with what made them, so
      // several processes (experiment --shard) share data/ without rewriting it under a running trainer.
      String made = task.describe() + "; train " + s.trainExamples() + ", validation " + s.validationExamples()
          + ", test " + s.testExamples() + ", seed " + s.seed() + "\n";
      Path marker = dataDir.resolve(DATA_MARKER);
      underDataLock(() -> {
        if (!made.equals(readIfPresent(marker))) {
          TaskDataset.Splits files = TaskDataset.writeSplits(sp, dataDir);
          prepare(files.train(), dataDir.resolve("clean"));
          prepare(files.validation(), dataDir.resolve("validation"));
          try (Tokenizer tok = byteTokenizer()) {
            NoiseCandidates.write(task, sp.train(), tok, dataDir.resolve("noise.json"));
            writePrompts(sp.test(), tok, dataDir.resolve(TEST_PROMPTS));
          }
          ExperimentReport.writeAtomically(marker, made);
        }
      });
      split = sp;
    }
    return split;
  }

  /** Trains (or reuses) and evaluates every spec in order; progress shows the run index and an ETA. */
  public List<RunResult> run(List<RunSpec> specs) {
    return run(specs, Shard.ALL);
  }

  /**
   * Like {@link #run(List)}, for this shard's specs only (index % count == shard): several processes or
   * machines share one output directory, each training its part; a final run without a shard reuses them all.
   */
  public List<RunResult> run(List<RunSpec> specs, Shard shard) {
    prepareData();
    List<RunSpec> mine = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      if (shard.owns(i)) {
        mine.add(specs.get(i));
      }
    }
    List<RunResult> results = new ArrayList<>();
    Progress progress = new Progress(log, mine.size(), s.steps());
    for (int i = 0; i < mine.size(); i++) {
      RunSpec spec = mine.get(i);
      progress.begin(i, spec);
      results.add(runOne(spec, progress));
    }
    return results;
  }

  /**
   * Writes data/ and every spec's runs/&lt;id&gt;/train_config.json without training: the inputs of a machine
   * without a JVM (scripts/gpu/run_task_grid.sh). Returns the config files.
   */
  public List<Path> plan(List<RunSpec> specs) {
    prepareData();
    List<Path> configs = new ArrayList<>();
    for (RunSpec spec : specs) {
      Path runDir = outDir.resolve("runs").resolve(spec.id());
      Path file = runDir.resolve("train_config.json");
      writeConfig(config(spec, runDir), file);
      configs.add(file);
    }
    return configs;
  }

  private static String readIfPresent(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private RunResult runOne(RunSpec spec, Progress progress) {
    Path runDir = outDir.resolve("runs").resolve(spec.id());
    ObjectNode json = config(spec, runDir);
    Optional<RunResult> done = RunResult.load(spec, runDir, json);
    if (done.isPresent()) {
      log.accept("  " + spec.describe() + ", seed " + spec.seed() + ": reusing " + runDir.resolve(RunResult.FILE));
      return done.get();
    }
    writeConfig(json, runDir.resolve("train_config.json"));
    TrainConfig config = TrainConfig.parse(json.toString(), "experiment " + spec.id());
    TrainingInputs inputs = TrainingInputs.resolve(config, log);
    long t0 = System.nanoTime();
    FinishResult finish;
    try (Trainer trainer = Trainer.create(inputs.config())) {
      finish = TrainingLoop.run(trainer, List.<TrainingListener>of(progress));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    RunResult r = evaluate(spec, runDir, finish.finalModel(), finish.eval().valLoss(), seconds);
    r.save(json);
    log.accept(String.format(Locale.ROOT, "  %s, seed %d: greedy accuracy %s, sampled (T=1, %d seeds) %s, "
        + "validation accuracy %.3f, backspace rate %.3f, val loss %.4f (%.0f s)", spec.describe(), spec.seed(),
        r.greedy().accuracy().format(), r.sampled().size(), r.sampledAccuracy().format(), r.validationAccuracy(),
        r.report().metric("backspace_rate"), r.valLoss(), seconds));
    return r;
  }

  /**
   * Greedy and sampled (T=1, seeds 0..sampleSeeds-1) test evaluation, and greedy validation accuracy, of one
   * trained model (prompts are encoded with Tokenizer#encodePrompt, as in training).
   */
  private RunResult evaluate(RunSpec spec, Path runDir, Path model, double valLoss, double seconds) {
    TaskDataset.Split sp = prepareData();
    long max = TaskEvaluator.defaultMaxNewTokens(task);
    try (CausalLM m = CausalLM.load(model, Device.of("cpu"));
        GenerationEngine engine = GenerationEngine.open(m);
        Tokenizer tok = byteTokenizer()) {
      TaskScores greedy = evaluator(engine, tok, SamplingOptions.greedy(max)).scores(sp.test());
      List<TaskScores> sampled = new ArrayList<>();
      for (int seed = 0; seed < s.sampleSeeds(); seed++) {
        sampled.add(evaluator(engine, tok, sampled(max, seed)).scores(sp.test()));
      }
      double validation = sp.validation().isEmpty() ? Double.NaN
          : evaluator(engine, tok, SamplingOptions.greedy(max)).scores(sp.validation()).accuracy().estimate();
      return new RunResult(spec, runDir, model, valLoss, seconds, greedy, sampled, validation);
    }
  }

  /** Sampling at temperature 1 with {@code seed}: the policy the method trains, not its mode. */
  static SamplingOptions sampled(long maxNewTokens, long seed) {
    return SamplingOptions.builder().optGreedy(false).optTemperature(1.0).optMaxNewTokens(maxNewTokens)
        .optSeed(seed).build();
  }

  private TaskEvaluator evaluator(GenerationEngine engine, Tokenizer tok, SamplingOptions options) {
    return TaskEvaluator.builder(engine, tok, task).optOptions(options).optBatchSize(64).optExamples(3).build();
  }

  /** The test prompts as {"id": i, "prompt_ids": [...]} lines, atomically. */
  static void writePrompts(List<TaskExample> test, Tokenizer tok, Path out) {
    StringBuilder lines = new StringBuilder();
    ObjectMapper mapper = new ObjectMapper();
    for (int i = 0; i < test.size(); i++) {
      ObjectNode j = mapper.createObjectNode();
      j.put("id", i);
      ArrayNode ids = j.putArray("prompt_ids");
      for (long id : tok.encodePrompt(test.get(i).prompt())) {
        ids.add(id);
      }
      lines.append(j).append('\n');
    }
    ExperimentReport.writeAtomically(out, lines.toString());
  }

  private static void writeConfig(ObjectNode config, Path out) {
    ExperimentReport.writeAtomically(out, config.toPrettyString() + "\n");
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
    // validation.jsonl is tokenised on its own (as that directory's "train" file): held out, never re-split
    c.putObject("data").put("train", data.resolve(DataPreparer.TRAIN).toString())
        .put("validation", dataDir.resolve("validation").resolve(DataPreparer.TRAIN).toString());
    ObjectNode objective = c.putObject("objective");
    objective.put("type", spec.method() == Method.SEQUENCE_MATCH ? "sequence_match" : "mle");
    SequenceMatchSettings sm = spec.variant().apply(s.sm());
    if (spec.method() == Method.SEQUENCE_MATCH) {
      // BC warm-up for half the budget (SequenceMatch from a random policy only replays garbage), then
      // (1-λ)·BC + λ·SM with the χ²-mixture divergence (paper §5, eq. 9); knobs: SequenceMatchSettings.
      objective.put("divergence", "chi2-mixture").put("lambda", sm.lambda()).put("alpha", sm.alpha())
          .put("terminal_value", sm.terminalValue()).put("warmup_bc_steps", s.steps() / 2);
      int sampleEvery = Math.max(1, Math.min(25, s.steps() / 8));
      // replay off (an ablation): no buffer rows in batches, so the SM term sees noise-augmented data only
      c.putObject("replay").put("sample_every", sampleEvery).put("rollouts", 16)
          .put("model_rows", spec.variant().replay() ? 4 : 0)
          .put("max_new_tokens", task.maxCompletionLength() + 4).put("buffer_size", 64);
    }
    ObjectNode noise = c.putObject("noise");
    if (spec.method() != Method.MLE && spec.eta() > 0) {
      // both kinds read noise.json: the example's base digits (task) or the shared random alphabet (uniform)
      noise.put("eta", spec.eta()).put("kind", spec.noise().wireName())
          .put("candidates", dataDir.resolve("noise.json").toString());
    }
    c.putObject("optim").put("lr", s.lr()).put("min_lr", s.lr() / 10)
        .put("warmup_steps", Math.max(1, Math.min(50, s.steps() / 10)));
    c.put("max_steps", s.steps()).put("batch_size", s.batchSize()).put("eval_every", Math.max(1, s.steps() / 8))
        .put("eval_batches", 4).put("checkpoint_every", 0).put("log_every", Math.max(1, s.steps() / 10))
        .put("out_dir", runDir.toString()).put("seed", spec.seed());
    return c;
  }

  /** Training data for MLE on noisy data: the noise stays in the completions, with no <bkspc> after it. */
  private Path noisyData(RunSpec spec) {
    Path dir = dataDir.resolve("noisy-" + spec.noise().wireName() + String.format(Locale.ROOT, "-%.2f", spec.eta())
        + "-s" + spec.seed());
    underDataLock(() -> {
      if (!Files.isRegularFile(dir.resolve(DataPreparer.TRAIN))) {
        Path jsonl = dir.resolve("train.jsonl");
        TaskDataset.writeJsonl(NoisyCompletions.corrupt(split.train(), task, spec.noise(), spec.eta(),
            spec.seed()), jsonl);
        prepare(jsonl, dir);
      }
    });
    return dir;
  }

  /** Tokenises one split file as is (no validation fraction: splits are made by TaskDataset.split). */
  private void prepare(Path file, Path dir) {
    DataPreparer.builder("byte", s.nPositions()).optValidationFraction(0.0).optSeed(s.seed()).addFile(file).build()
        .prepare(dir);
  }

  static Tokenizer byteTokenizer() {
    return DataPreparer.openTokenizer("byte");
  }
}
