/*
 * Embedding SeqMatch in a Java program: generate a tiny arithmetic dataset, train a small GPT-2 for a few
 * steps with SequenceMatch (noise + <bkspc>, model rollouts), generate with backspace enabled, export to ONNX
 * and generate again with ONNX Runtime. Run (after `mvn -B install -DskipTests`):
 *   java -cp java/seqmatch-cli/target/seqmatch.jar examples/java/EmbedExample.java [WORK_DIR]
 * Compiled and run by the test suite (seqmatch-cli EmbedExampleTest).
 */

import ai.seqmatch.Device;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.eval.Traces;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tasks.AddOrSubInBase;
import ai.seqmatch.tasks.NoiseCandidates;
import ai.seqmatch.tasks.TaskDataset;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.train.FinishResult;
import ai.seqmatch.train.ProgressListener;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingInputs;
import ai.seqmatch.train.TrainingLoop;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public final class EmbedExample {
  public static void main(String[] args) throws Exception {
    Path work = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("seqmatch-embed");
    PrintWriter out = new PrintWriter(System.out, true);

    // 1. Data: 256 arithmetic questions as JSONL, tokenised with the built-in byte tokenizer.
    AddOrSubInBase task = AddOrSubInBase.builder().optBases(2, 5).optDigits(1, 1).build();
    List<TaskExample> examples = TaskDataset.write(task, 256, 0, work.resolve("train.jsonl"));
    DataPreparer.builder("byte", 48).addFile(work.resolve("train.jsonl")).optValidationFraction(0.1).build()
        .prepare(work.resolve("data"));
    try (Tokenizer tok = DataPreparer.openTokenizer("byte")) {
      // Ground-truth noise for the trainer: another digit of the question's base, then <bkspc>.
      NoiseCandidates.write(task, examples, tok, work.resolve("noise.json"));
    }

    // 2. Train: same JSON config as `seqmatch train` / the native seqmatch-train (docs/TRAINING.md).
    String config = """
        {"model": {"vocab_size": 259, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 4,
                   "eos_token_id": 256, "pad_token_id": 257, "bkspc_token_id": 258, "tokenizer": {"type": "byte"}},
         "data": {"train": "%1$s/data/train.smtok", "validation": "%1$s/data/validation.smtok"},
         "objective": {"type": "sequence_match", "divergence": "chi2-mixture", "alpha": 4,
                       "terminal_value": "learned", "warmup_bc_steps": 4},
         "noise": {"eta": 0.1, "kind": "task", "candidates": "%1$s/noise.json"},
         "replay": {"sample_every": 2, "rollouts": 4, "model_rows": 2, "max_new_tokens": 6, "buffer_size": 16},
         "optim": {"lr": 1e-3, "warmup_steps": 2},
         "max_steps": 8, "batch_size": 8, "eval_every": 4, "checkpoint_every": 0, "log_every": 2,
         "out_dir": "%1$s/run", "seed": 0}
        """.formatted(work.toString().replace("\\", "/"));
    TrainingInputs inputs = TrainingInputs.resolve(TrainConfig.parse(config, "EmbedExample"), out::println);
    FinishResult finished;
    try (Trainer trainer = Trainer.create(inputs.config())) {
      finished = TrainingLoop.run(trainer, List.of(new ProgressListener(out, 2)));
    }

    // 3. Generate natively, sampling over tokens and <bkspc> (⌫ in the trace). Prompts start with <eos>,
    //    as in the prepared data (a prompt is "start + prompt", start = <eos> for the byte tokenizer).
    String prompt = "In base 5, what is 3 + 4?\n";
    SamplingOptions sampling = SamplingOptions.builder().optGreedy(false).optTemperature(1.0)
        .optMaxNewTokens(8).optSeed(0).build();
    try (Tokenizer tok = DataPreparer.openTokenizer("byte")) {
      long[] ids = withStart(tok.encode(prompt), 256);
      try (CausalLM model = CausalLM.load(finished.finalModel(), Device.cpu());
          Generator generator = new Generator(model)) {
        GenerationResult r = generator.generate(List.of(ids), sampling).get(0);
        out.println("native: " + Traces.trace(r, tok, model.config().bkspcTokenId()) + " -> "
            + Traces.completion(r, tok) + " (" + r.backspaces() + " backspaces, " + r.finishReason() + ")");
      }

      // 4. Export to ONNX (KV-cache inputs/outputs) and generate with ONNX Runtime.
      Path onnx = work.resolve("onnx");
      OnnxExporter.builder(finished.finalModel(), onnx).build().export();
      try (OrtModel model = OrtModel.load(onnx); OrtGenerator generator = new OrtGenerator(model)) {
        GenerationResult r = generator.generate(ids, sampling);
        out.println("onnx:   " + Traces.trace(r, tok, model.info().bkspcTokenId()) + " -> "
            + Traces.completion(r, tok));
      }
    }
  }

  private static long[] withStart(long[] prompt, long start) {
    long[] ids = new long[prompt.length + 1];
    ids[0] = start;
    System.arraycopy(prompt, 0, ids, 1, prompt.length);
    return ids;
  }
}
