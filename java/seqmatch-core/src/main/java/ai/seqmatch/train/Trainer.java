/*
 * The native training run (native/src/train/run.h) behind an AutoCloseable: the same loop policy as the
 * `seqmatch-train` binary, so one config gives the same curve from either front end. Each step() is one
 * optimizer update (+ validation and a checkpoint when due); metrics also go to <out_dir>/metrics.jsonl.
 * Not thread-safe: drive it from one thread (TrainingLoop does). Tested by TrainerTest, TrainCommandTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.NativeErrors;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.score.Scorer;
import ai.seqmatch.tokenize.Tokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Owns one native trainer; try-with-resources frees it (and the model, optimizer and data it holds). */
public final class Trainer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TrainConfig config;
  private SeqmatchNative.Trainer handle;
  private SampleScoring scoring; // objective gdc++ / dpg with Java-side scorers or texts; else null

  private Trainer(TrainConfig config, SeqmatchNative.Trainer handle) {
    this.config = config;
    this.handle = handle;
  }

  /**
   * Validates {@code config} (native parser: unknown keys and wrong types are errors), builds the model and
   * loads the prepared data. The config must name .smtok files (see {@link RawData} for raw inputs).
   *
   * @throws ai.seqmatch.InvalidInputException for a bad config or unusable data ("config ...", "data ...")
   * @throws ai.seqmatch.CheckpointException if model.init cannot be loaded
   */
  public static Trainer create(TrainConfig config) {
    if (config.rawData().isPresent()) {
      throw new IllegalArgumentException("config " + config.origin() + ": data.text/data.jsonl must be prepared "
          + "first. Hint: use TrainingInputs.resolve (what `seqmatch train` does) or `seqmatch prepare`");
    }
    return new Trainer(config,
        NativeErrors.call(() -> SeqmatchNative.trainer_create(config.toJson(), config.origin())));
  }

  /**
   * Continues from a checkpoint: "" (no-op), a checkpoint directory, or "latest" (the newest in
   * <out_dir>/checkpoints). On CPU the continuation is bit-identical to an uninterrupted run; metrics
   * lines the interrupted run wrote after that checkpoint are dropped from metrics.jsonl.
   */
  public void resume(String from) {
    resume(from, List.of());
  }

  /**
   * Like {@link #resume(String)}, letting the named config fields differ from the checkpoint's (only those
   * docs/TRAINING.md "Resuming" lists as changeable: max_steps, optim.lr, ...). Any other difference, or
   * one not named, is an {@link ai.seqmatch.InvalidInputException} listing the differing fields.
   */
  public void resume(String from, List<String> allowConfigChanges) {
    String allowed = String.join(",", allowConfigChanges);
    NativeErrors.run(() -> SeqmatchNative.trainer_resume(handle(), from, allowed));
  }

  public TrainConfig config() {
    return config;
  }

  public boolean finished() {
    return NativeErrors.call(() -> SeqmatchNative.trainer_finished(handle()));
  }

  public long stepsDone() {
    return NativeErrors.callLong(() -> SeqmatchNative.trainer_steps_done(handle()));
  }

  public long maxSteps() {
    return NativeErrors.callLong(() -> SeqmatchNative.trainer_max_steps(handle()));
  }

  /**
   * Distribution matching (objective gdc++ / dpg): scores each step's samples on the Java side. {@code
   * scorers} maps constraint names to scorers and must cover every onnx / external constraint of the config
   * (word and regex are scored natively); {@code tokenizer} decodes the samples (the run's tokenizer: a
   * tokenizer other than the byte one also hands the texts to the native word / regex scorers). The trainer
   * does not close the scorers.
   *
   * @throws ai.seqmatch.InvalidInputException naming a constraint without a scorer, or a scorer without one
   */
  public Trainer setScorers(Tokenizer tokenizer, Map<String, ? extends Scorer> scorers) {
    scoring = SampleScoring.create(handle(), tokenizer, Map.copyOf(scorers));
    return this;
  }

  /**
   * Distribution matching (objective gdc++ / dpg): the config's "gdc.constraints" entries, each with its
   * resolved "name"; an empty array for other objectives.
   */
  public JsonNode constraints() {
    if (!config.objective().equals("gdc++") && !config.objective().equals("dpg")) {
      return JSON.createArrayNode();
    }
    return parse(NativeErrors.call(() -> SeqmatchNative.trainer_gdc_constraints(handle())));
  }

  /** One update, plus validation and a checkpoint when due. */
  public StepResult step() {
    if (scoring != null) {
      scoring.prepare(handle());
    }
    JsonNode j = parse(NativeErrors.call(() -> SeqmatchNative.trainer_step(handle())));
    return new StepResult(StepMetrics.fromJson(j.path("train")),
        j.has("eval") ? Optional.of(EvalMetrics.fromJson(j.get("eval"))) : Optional.empty(),
        j.hasNonNull("checkpoint") ? Optional.of(Path.of(j.get("checkpoint").asText())) : Optional.empty());
  }

  /** Final validation and checkpoint; writes <out_dir>/final (a plain model directory). */
  public FinishResult finish() {
    JsonNode j = parse(NativeErrors.call(() -> SeqmatchNative.trainer_finish(handle())));
    return new FinishResult(EvalMetrics.fromJson(j.path("eval")), Path.of(j.path("checkpoint").asText()),
        Path.of(j.path("final").asText()));
  }

  /**
   * Data parallel (docs/TRAINING.md "Data parallel"): this process's rank, from torchrun's environment
   * (RANK); 0 when alone. Only rank 0 writes out_dir, so only rank 0 should write charts or print.
   */
  public long rank() {
    return NativeErrors.callLong(() -> SeqmatchNative.trainer_rank(handle()));
  }

  /** The number of data-parallel processes (WORLD_SIZE); 1 when alone. */
  public long worldSize() {
    return NativeErrors.callLong(() -> SeqmatchNative.trainer_world_size(handle()));
  }

  /**
   * Runs {@code command} (an executable path, then its arguments) as {@code nproc} local ranks of one
   * data-parallel job with torchrun's environment, and supervises them: a rank that dies is named and
   * the others are stopped (native/src/train/launcher.h). Returns the job's exit code.
   */
  public static int launchLocal(List<String> command, int nproc) {
    String argv;
    try {
      argv = JSON.writeValueAsString(command);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return NativeErrors.call(() -> SeqmatchNative.train_launch_local(argv, nproc));
  }

  /** Mean validation NLL per token now, without logging it (NaN without validation data). */
  public double evaluate() {
    return NativeErrors.call(() -> SeqmatchNative.trainer_evaluate(handle()));
  }

  @Override
  public void close() {
    if (handle != null) {
      SeqmatchNative.trainer_free(handle);
      handle = null;
    }
  }

  private SeqmatchNative.Trainer handle() {
    if (handle == null) {
      throw new IllegalStateException("trainer is closed");
    }
    return handle;
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("trainer: native returned invalid JSON: " + json, e);
    }
  }
}
