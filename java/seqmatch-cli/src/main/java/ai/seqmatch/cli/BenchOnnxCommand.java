/*
 * `seqmatch bench onnx`: greedy generation speed of the ONNX Runtime engine (OrtGenerator over an export)
 * against the native engine (Generator) on the same random model and prompts, per batch size: ms per
 * decode step (one token per row) and tokens/s. Both must produce the same tokens (checked, printed).
 * A benchmark, not a test; figures go to docs/PERFORMANCE.md.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.ExecutionProvider;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "onnx", mixinStandardHelpOptions = true,
    description = {"Greedy decoding speed: ONNX Runtime engine vs native engine on the CPU, same model and prompts.",
        "The model is a built-in random one (small: 4x256, vocab 50304; tiny: 2x64, vocab 512) saved and exported "
            + "to a temporary directory, with no <eos>/<bkspc>, so every row generates exactly --new-tokens."})
final class BenchOnnxCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--batch", split = ",", defaultValue = "1,8", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
  int[] batches;

  @Option(names = "--new-tokens", defaultValue = "64", description = "Tokens per row (default: ${DEFAULT-VALUE}).")
  int newTokens;

  @Option(names = "--prompt-length", defaultValue = "16", description = "Prompt ids per row (default: ${DEFAULT-VALUE}).")
  int promptLength;

  @Option(names = "--model", defaultValue = "small", paramLabel = "small|tiny", description = "Built-in model.")
  String modelName;

  @Option(names = "--repeats", defaultValue = "3", description = "Timed runs per engine and batch; the best is kept.")
  int repeats;

  @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads; 0 = its default.")
  int threads;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and prompts.")
  long seed;

  @Option(names = "--json", description = "Print one JSON object (progress still goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    ModelConfig config = switch (modelName) {
      case "small" -> BenchCommand.SMALL;
      case "tiny" -> BenchCommand.TINY;
      default -> throw new InvalidInputException("--model must be small or tiny (got \"" + modelName + "\")");
    };
    if (batches.length == 0 || newTokens < 1 || promptLength < 1 || repeats < 1
        || promptLength + newTokens > config.nPositions()) {
      throw new InvalidInputException("--batch >= 1, --new-tokens >= 1, --prompt-length >= 1, --repeats >= 1 and "
          + "prompt + new tokens <= n_positions " + config.nPositions() + " are required");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path tmp = Files.createTempDirectory("seqmatch-bench-onnx");
    boolean allMatch = true;
    try (CausalLM model = CausalLM.create(config, seed, Device.cpu())) {
      model.save(tmp.resolve("ckpt"));
      err.println("bench onnx: exporting " + modelName + " (" + model.numParameters() + " params) ...");
      err.flush();
      OnnxExporter.builder(tmp.resolve("ckpt"), tmp.resolve("onnx")).build().export();
      ObjectNode report = new ObjectMapper().createObjectNode();
      report.put("model", modelName);
      report.put("config", config.toString());
      report.put("parameters", model.numParameters());
      report.put("prompt_length", promptLength);
      report.put("new_tokens", newTokens);
      report.put("ort_intra_op_threads", threads);
      report.put("java_available_processors", Runtime.getRuntime().availableProcessors());
      ArrayNode rows = report.putArray("results");
      try (Generator nat = new Generator(model); OrtModel om = OrtModel.load(tmp.resolve("onnx"),
          ExecutionProvider.CPU, threads); OrtGenerator ort = new OrtGenerator(om)) {
        if (!json) {
          out.printf("%6s %16s %16s %14s %14s %8s %6s%n", "batch", "native ms/step", "onnx ms/step", "native tok/s",
              "onnx tok/s", "onnx/nat", "match");
          out.flush();
        }
        for (int B : batches) {
          Random r = new Random(seed + B);
          List<long[]> prompts = new ArrayList<>();
          for (int b = 0; b < B; b++) {
            prompts.add(r.longs(promptLength, 0, config.vocabSize()).toArray());
          }
          SamplingOptions o = SamplingOptions.builder().optGreedy(true).optAllowBackspace(false)
              .optMaxNewTokens(newTokens).build();
          err.printf("  batch %d: warm-up, then %d timed runs per engine ...%n", B, repeats);
          err.flush();
          Timed n = time(() -> nat.generate(prompts, o));
          Timed x = time(() -> ort.generate(prompts, o));
          boolean match = n.results.equals(x.results.stream().map(BenchOnnxCommand::noLogprobs).toList());
          allMatch &= match;
          ObjectNode row = rows.addObject();
          row.put("batch", B);
          row.put("native_ms_per_step", n.seconds * 1e3 / newTokens);
          row.put("onnx_ms_per_step", x.seconds * 1e3 / newTokens);
          row.put("native_tokens_per_s", (double) B * newTokens / n.seconds);
          row.put("onnx_tokens_per_s", (double) B * newTokens / x.seconds);
          row.put("outputs_match", match);
          if (!json) {
            out.printf("%6d %16.2f %16.2f %14.1f %14.1f %7.2fx %6s%n", B, row.get("native_ms_per_step").asDouble(),
                row.get("onnx_ms_per_step").asDouble(), row.get("native_tokens_per_s").asDouble(),
                row.get("onnx_tokens_per_s").asDouble(), n.seconds / x.seconds, match);
            out.flush();
          }
        }
      }
      if (json) {
        out.println(report);
        out.flush();
      }
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    if (!allMatch) {
      err.println("bench onnx: ONNX Runtime and native outputs differ (see outputs_match)");
      return CommandLine.ExitCode.SOFTWARE;
    }
    return 0;
  }

  private record Timed(double seconds, List<GenerationResult> results) {}

  /** One warm-up run, then the best of --repeats. */
  private Timed time(Supplier<List<GenerationResult>> run) {
    List<GenerationResult> results = run.get();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      results = run.get();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return new Timed(best, results);
  }

  private static GenerationResult noLogprobs(GenerationResult r) {
    return new GenerationResult(r.tokens(), r.promptLength(), r.actions(), null, r.finishReason(), r.backspaces());
  }
}
