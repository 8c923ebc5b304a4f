/*
 * `seqmatch bench generate`: tokens/s of the KV-cache sampler (Generator, greedy) against a naive loop
 * that recomputes the full forward over every sequence at each step (CausalLM.forward + argmax), for
 * several batch sizes. Both decode greedily from the same random prompts and must agree token for
 * token (checked, printed). A benchmark, not a test; figures go to docs/PERFORMANCE.md.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (not tests).",
    subcommands = {BenchCommand.Generate.class, BenchOnnxCommand.class, BenchHttpCommand.class})
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** n_layer 4, n_embd 256, 4 heads, GPT-2's padded vocabulary: big enough that the LM head matters. */
  static final ModelConfig SMALL = ModelConfig.builder(50304).optNPositions(512).optNEmbd(256).optNLayer(4)
      .optNHead(4).build();
  static final ModelConfig TINY = ModelConfig.builder(512).optNPositions(256).optNEmbd(64).optNLayer(2)
      .optNHead(4).build();

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = {"Tokens/s of the KV-cache sampler vs a naive full-recompute greedy loop (CPU by default).",
          "Prompts are random ids; models built in (small, tiny) have random weights and no <eos>/<bkspc>, "
              + "so every row generates exactly --new-tokens. The naive loop runs the first --naive-tokens "
              + "steps only (it is O(T^2)); its tokens/s over that shorter, cheaper prefix overstates it."})
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--batch", split = ",", defaultValue = "1,8,64", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Option(names = "--new-tokens", defaultValue = "128", description = "Tokens per row, KV sampler (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--naive-tokens", defaultValue = "32",
        description = "Steps of the naive loop; 0 skips it (default: ${DEFAULT-VALUE}, capped at --new-tokens).")
    int naiveTokens;

    @Option(names = "--prompt-length", defaultValue = "16", description = "Prompt ids per row (default: ${DEFAULT-VALUE}).")
    int promptLength;

    @Option(names = "--model", defaultValue = "small", paramLabel = "small|tiny|DIR",
        description = "Built-in small (4x256, vocab 50304), tiny (2x64, vocab 512), or a checkpoint dir.")
    String modelName;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and prompts.")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object (progress still goes to stderr).")
    boolean json;

    @Override
    public Integer call() throws IOException {
      List<String> problems = new ArrayList<>();
      if (batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1)) {
        problems.add("--batch sizes must be >= 1 (got " + Arrays.toString(batches) + ")");
      }
      if (newTokens < 1) {
        problems.add("--new-tokens must be >= 1 (got " + newTokens + ")");
      }
      if (naiveTokens < 0) {
        problems.add("--naive-tokens must be >= 0 (got " + naiveTokens + ")");
      }
      if (promptLength < 1) {
        problems.add("--prompt-length must be >= 1 (got " + promptLength + ")");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      JsonNode runtime = new ObjectMapper().readTree(SeqmatchNative.runtime_info());
      int naive = Math.min(naiveTokens, newTokens);
      try (CausalLM model = open(); Generator generator = new Generator(model)) {
        ModelConfig c = model.config();
        if (promptLength + newTokens > c.nPositions()) {
          throw new InvalidInputException("--prompt-length + --new-tokens must fit the model (got " + promptLength
              + " + " + newTokens + ", expected <= n_positions " + c.nPositions() + ")");
        }
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("model", modelName);
        report.put("config", c.toString());
        report.put("parameters", model.numParameters());
        report.put("device", model.device().toString());
        report.set("runtime", runtime);
        report.put("prompt_length", promptLength);
        report.put("new_tokens", newTokens);
        report.put("naive_tokens", naive);
        report.put("java_available_processors", Runtime.getRuntime().availableProcessors());
        String threads = runtime.has("threads") ? runtime.get("threads").asText() : "not reported";
        err.printf("bench generate: model %s (%s, %,d params) on %s; at::get_num_threads = %s; prompt %d, "
            + "%d new tokens (naive: first %d)%n", modelName, c, model.numParameters(), model.device(), threads,
            promptLength, newTokens, naive);
        err.flush();
        ArrayNode rows = report.putArray("results");
        if (!json) {
          out.printf("%6s %14s %14s %9s %6s%n", "batch", "kv tok/s", "naive tok/s", "speedup", "match");
          out.flush();
        }
        for (int B : batches) {
          ObjectNode row = measure(model, generator, B, naive, err);
          rows.add(row);
          if (!json) {
            out.printf("%6d %14.1f %14s %9s %6s%n", B, row.get("kv_tokens_per_s").asDouble(),
                naive == 0 ? "-" : String.format("%.1f", row.get("naive_tokens_per_s").asDouble()),
                naive == 0 ? "-" : String.format("%.1fx", row.get("speedup").asDouble()),
                naive == 0 ? "-" : row.get("outputs_match").asText());
            out.flush();
          }
        }
        if (json) {
          out.println(report);
          out.flush();
        }
        boolean allMatch = true;
        for (JsonNode r : rows) {
          allMatch &= !r.has("outputs_match") || r.get("outputs_match").asBoolean();
        }
        if (!allMatch) {
          err.println("bench generate: KV-cache and naive outputs differ (see outputs_match)");
          return CommandLine.ExitCode.SOFTWARE;
        }
      }
      return 0;
    }

    private CausalLM open() {
      Device where = Device.of(device);
      switch (modelName) {
        case "small":
          return CausalLM.create(SMALL, seed, where);
        case "tiny":
          return CausalLM.create(TINY, seed, where);
        default:
          CausalLM m = CausalLM.load(Path.of(modelName), where);
          ModelConfig c = m.config();
          // No <eos>/<bkspc> in memory, so every row runs the full length in both loops.
          m.setSpecialTokens(c.bosTokenId(), ModelConfig.NO_TOKEN, c.padTokenId(), ModelConfig.NO_TOKEN);
          return m;
      }
    }

    private ObjectNode measure(CausalLM model, Generator generator, int B, int naive, PrintWriter err) {
      ModelConfig c = model.config();
      Random random = new Random(seed + B);
      List<long[]> prompts = new ArrayList<>();
      for (int b = 0; b < B; b++) {
        prompts.add(random.longs(promptLength, 0, c.vocabSize()).toArray());
      }
      SamplingOptions opts = SamplingOptions.builder().optGreedy(true).optAllowBackspace(false)
          .optMaxNewTokens(newTokens).build();
      err.printf("  batch %d: warm-up ...%n", B);
      err.flush();
      generator.generate(prompts, opts.toBuilder().optMaxNewTokens(Math.min(8, newTokens)).build());
      if (naive > 0) {
        naiveGreedy(model, prompts, Math.min(2, naive));
      }
      err.printf("  batch %d: KV-cache sampler, %d tokens x %d rows ...%n", B, newTokens, B);
      err.flush();
      long t0 = System.nanoTime();
      List<GenerationResult> kv = generator.generate(prompts, opts);
      double kvSeconds = (System.nanoTime() - t0) / 1e9;
      ObjectNode row = new ObjectMapper().createObjectNode();
      row.put("batch", B);
      row.put("kv_seconds", kvSeconds);
      row.put("kv_tokens_per_s", (double) B * newTokens / kvSeconds);
      if (naive > 0) {
        err.printf("  batch %d: naive full recompute, %d tokens x %d rows ...%n", B, naive, B);
        err.flush();
        long t1 = System.nanoTime();
        long[][] ref = naiveGreedy(model, prompts, naive);
        double naiveSeconds = (System.nanoTime() - t1) / 1e9;
        boolean match = true;
        for (int b = 0; b < B; b++) {
          match &= Arrays.equals(ref[b], Arrays.copyOf(kv.get(b).generated(), naive));
        }
        row.put("naive_seconds", naiveSeconds);
        row.put("naive_tokens_per_s", (double) B * naive / naiveSeconds);
        row.put("speedup", row.get("kv_tokens_per_s").asDouble() / row.get("naive_tokens_per_s").asDouble());
        row.put("outputs_match", match);
      }
      err.printf("  batch %d: done (%s)%n", B, row);
      err.flush();
      return row;
    }

    /** Greedy by full recompute: each step runs the whole (B, T) forward and takes the last argmax. */
    static long[][] naiveGreedy(CausalLM model, List<long[]> prompts, int steps) {
      int B = prompts.size();
      int P = prompts.get(0).length;
      int V = Math.toIntExact(model.config().vocabSize());
      long[][] seqs = new long[B][];
      for (int b = 0; b < B; b++) {
        seqs[b] = Arrays.copyOf(prompts.get(b), P + steps);
      }
      for (int t = 0; t < steps; t++) {
        int T = P + t;
        long[] ids = new long[B * T];
        for (int b = 0; b < B; b++) {
          System.arraycopy(seqs[b], 0, ids, b * T, T);
        }
        float[] logits = model.forward(ids, B, T);
        for (int b = 0; b < B; b++) {
          long base = ((long) b * T + T - 1) * V;
          int best = 0;
          for (int v = 1; v < V; v++) {
            if (logits[(int) (base + v)] > logits[(int) (base + best)]) {
              best = v;
            }
          }
          seqs[b][T] = best;
        }
      }
      long[][] out = new long[B][];
      for (int b = 0; b < B; b++) {
        out[b] = Arrays.copyOfRange(seqs[b], P, P + steps);
      }
      return out;
    }
  }
}
