/*
 * `seqmatch train`: the Java front end of the native trainer (ai.seqmatch.train). Same config format,
 * same loop and same metrics as the native `seqmatch-train` binary; adds raw-data preparation
 * (data.text / data.jsonl, or --data-text), the tokenizer copied into checkpoints, a progress line and
 * <out_dir>/loss.png. Bad config or data -> exit 2 with the native one-line message.
 * --nproc N prepares the data once, then runs this same command as N local data-parallel ranks through the
 * native launcher (docs/TRAINING.md "Data parallel"); under torchrun each process is one rank. Only rank 0
 * prints, draws the chart and copies files into checkpoints. Tested by TrainCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.train.CheckpointFilesListener;
import ai.seqmatch.train.EvalMetrics;
import ai.seqmatch.train.FinishResult;
import ai.seqmatch.train.LossChartListener;
import ai.seqmatch.train.ProgressListener;
import ai.seqmatch.train.StepMetrics;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingInputs;
import ai.seqmatch.train.TrainingListener;
import ai.seqmatch.train.TrainingLoop;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train a model (MLE, SequenceMatch or EMO) from a JSON config (fields: docs/TRAINING.md).",
        "The config's data section names .smtok files (seqmatch prepare), or raw inputs (\"text\": [...], "
            + "\"jsonl\": [...], \"tokenizer\", \"seq_len\") that are prepared into <out_dir>/data first.",
        "Writes <out_dir>/metrics.jsonl, checkpoints/step-N (resumable), final/ (a model directory for "
            + "seqmatch generate) and loss.png. Same config, same curve as the native seqmatch-train binary.",
        "With a \"lora\" block, the base (model.init) stays frozen and final/ is a PEFT LoRA adapter: use it with "
            + "--adapter on the base, or seqmatch merge."})
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "Training config (JSON).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a field, e.g. --set optim.lr=1e-3 --set max_steps=200 (value: JSON, else a string).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", paramLabel = "DIR|latest",
      description = "Continue from a checkpoint directory, or 'latest' in out_dir.")
  String resume;

  @Option(names = "--allow-config-change", split = ",", paramLabel = "FIELD",
      description = "With --resume: config fields that may differ from the checkpoint's (max_steps, optim.lr, "
          + "optim.min_lr, optim.warmup_steps, optim.weight_decay, optim.grad_clip, data.validation, device, amp). "
          + "Any other difference is an error.")
  List<String> allowConfigChanges = new ArrayList<>();

  @Option(names = "--data-text", arity = "1..*", paramLabel = "FILE",
      description = "Train on these text/JSONL files instead of the config's data (sets data.text).")
  List<Path> dataText = new ArrayList<>();

  @Option(names = "--tokenizer", paramLabel = "byte|PATH", description = "With --data-text: byte or a tokenizer.json.")
  String tokenizer;

  @Option(names = "--seq-len", paramLabel = "N", description = "With --data-text: tokens per example.")
  Integer seqLen;

  @Option(names = "--initial-eval",
      description = "Measure the validation loss before the first step (logged as step 0).")
  boolean initialEval;

  @Option(names = "--no-chart", description = "Do not write <out_dir>/loss.png.")
  boolean noChart;

  @Option(names = "--quiet", description = "No progress lines.")
  boolean quiet;

  @Option(names = "--nproc", paramLabel = "N",
      description = "Data parallel: run N local processes (batch_size is the global batch and must be divisible "
          + "by N). Multi-node: start each process with torchrun instead (docs/TRAINING.md \"Data parallel\").")
  Integer nproc;

  @Option(names = "--json", description = "Print the final summary as one JSON object (progress goes to stderr).")
  boolean json;

  @Override
  public Integer call() {
    TrainConfig c = configure();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter progress = json ? spec.commandLine().getErr() : out;
    // A data-parallel rank other than 0 prints nothing (its launcher or torchrun shows rank 0's lines).
    boolean follower = !System.getenv().getOrDefault("RANK", "0").equals("0");
    TrainingInputs inputs = TrainingInputs.resolve(c, line -> {
      if (!quiet && !follower) {
        progress.println(line);
        progress.flush();
      }
    });
    if (nproc != null && nproc > 1) {
      return launchRanks(inputs.config());
    }
    try (Trainer trainer = Trainer.create(inputs.config());
        ConstraintScorers scorers = ConstraintScorers.register(trainer, inputs)) {
      boolean writer = trainer.rank() == 0;
      Summary summary = new Summary();
      List<TrainingListener> listeners = new ArrayList<>();
      listeners.add(summary);
      if (writer && !inputs.checkpointFiles().isEmpty()) {
        listeners.add(new CheckpointFilesListener(inputs.checkpointFiles()));
      }
      if (writer && !noChart) {
        listeners.add(new LossChartListener(inputs.config().outDir().resolve("loss.png")));
      }
      if (writer && !quiet) {
        listeners.add(new ProgressListener(progress, inputs.config().logEvery()));
        scorers.describe().ifPresent(progress::println);
      }
      if (resume != null) {
        trainer.resume(resume, allowConfigChanges);
      }
      FinishResult result = TrainingLoop.run(trainer, listeners, initialEval);
      if (json && writer) {
        out.println(summary.toJson(trainer, result, noChart));
        out.flush();
      }
    }
    return 0;
  }

  /**
   * --nproc N: this JVM has prepared the data; the ranks run this same command line (without --nproc) in N
   * fresh JVMs, started and supervised by the native launcher. Returns the job's exit code.
   */
  private int launchRanks(TrainConfig prepared) {
    long batch = prepared.get("batch_size").map(j -> j.asLong()).orElse(8L);
    if (batch % nproc != 0) {
      throw new InvalidInputException("config " + prepared.origin() + ": field 'batch_size' (" + batch
          + ") must be divisible by --nproc " + nproc + ": batch_size is the global batch, split evenly across "
          + "the ranks");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(SeqMatchCli.class.getName());
    List<String> args = spec.root().commandLine().getParseResult().originalArgs();
    for (int i = 0; i < args.size(); ++i) {
      if (args.get(i).equals("--nproc")) {
        ++i;  // and its value
      } else if (!args.get(i).startsWith("--nproc=")) {
        command.add(args.get(i));
      }
    }
    return Trainer.launchLocal(command, nproc);
  }

  /** The config file with --data-text and --set applied, options checked together. */
  private TrainConfig configure() {
    List<String> problems = new ArrayList<>();
    if (dataText.isEmpty() && (tokenizer != null || seqLen != null)) {
      problems.add("--tokenizer and --seq-len need --data-text");
    }
    if (seqLen != null && seqLen < 2) {
      problems.add("--seq-len must be >= 2 (got " + seqLen + ")");
    }
    if (!allowConfigChanges.isEmpty() && resume == null) {
      problems.add("--allow-config-change needs --resume");
    }
    if (resume != null && resume.isBlank()) {
      problems.add("--resume needs a checkpoint directory or 'latest'");
    }
    if (nproc != null && nproc < 1) {
      problems.add("--nproc must be >= 1 (got " + nproc + ")");
    }
    if (nproc != null && nproc > 1 && System.getenv("WORLD_SIZE") != null) {
      problems.add("--nproc starts the ranks itself, but WORLD_SIZE is already set (torchrun?): drop one of the two");
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    TrainConfig c = TrainConfig.load(config);
    if (!dataText.isEmpty()) {
      ArrayNode files = new ObjectMapper().createArrayNode();
      dataText.forEach(p -> files.add(p.toString()));
      c = c.without("data.train").without("data.validation").without("data.jsonl").with("data.text", files);
      if (tokenizer != null) {
        c = c.with("data.tokenizer", TextNode.valueOf(tokenizer));
      }
      if (seqLen != null) {
        c = c.with("data.seq_len", IntNode.valueOf(seqLen));
      }
    }
    for (String o : overrides) {
      c = c.withOverride(o);
    }
    return c;
  }

  /** Collects what --json reports. */
  private static final class Summary implements TrainingListener {
    private final long startNanos = System.nanoTime();
    private long firstStep;
    private StepMetrics last;
    private EvalMetrics initial;
    private long tokens;
    private double fwd;
    private double bwd;
    private double optim;
    private double roll;
    private double total;

    @Override
    public void onStart(Trainer trainer) {
      firstStep = trainer.stepsDone();
    }

    @Override
    public void onStep(StepMetrics m) {
      last = m;
      tokens += m.tokens();
      fwd += m.tForward();
      bwd += m.tBackward();
      optim += m.tOptim();
      roll += m.tRollout();
      total += m.tTotal();
    }

    @Override
    public void onEval(EvalMetrics e) {
      if (e.step() == 0 && initial == null) {
        initial = e;
      }
    }

    ObjectNode toJson(Trainer trainer, FinishResult r, boolean noChart) {
      ObjectNode j = new ObjectMapper().createObjectNode();
      Path outDir = trainer.config().outDir();
      j.put("out_dir", outDir.toString());
      j.put("objective", trainer.config().objective());
      j.put("steps", trainer.stepsDone());
      j.put("resumed_at", firstStep);
      j.put("final_model", r.finalModel().toString());
      j.put("checkpoint", r.checkpoint().toString());
      if (initial != null) {
        putNumber(j, "initial_val_loss", initial.valLoss());
      }
      putNumber(j, "val_loss", r.eval().valLoss());
      putNumber(j, "val_ppl", r.eval().valPpl());
      if (last != null) {
        j.put("last_train_loss", last.loss());
      }
      j.put("tokens", tokens);
      j.put("tokens_per_s", total > 0 ? tokens / total : 0);
      ObjectNode t = j.putObject("seconds");
      t.put("forward", fwd).put("backward", bwd).put("optim", optim).put("rollout", roll).put("steps", total)
          .put("wall", (System.nanoTime() - startNanos) / 1e9);
      j.put("metrics", outDir.resolve("metrics.jsonl").toString());
      if (!noChart) {
        j.put("chart", outDir.resolve("loss.png").toString());
      }
      return j;
    }

    private static void putNumber(ObjectNode j, String field, double v) {
      if (Double.isFinite(v)) {
        j.put(field, v);
      } else {
        j.putNull(field);
      }
    }
  }
}
