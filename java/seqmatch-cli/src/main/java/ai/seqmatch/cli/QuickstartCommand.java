/*
 * `seqmatch quickstart`: the zero-download smoke run. Builds a small GPT-2 from the built-in config
 * (or loads --checkpoint), greedily generates a few tokens from a prompt of ids with the KV cache, and
 * prints them with timing. Later issues grow it into train -> generate -> export -> serve.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.KvCache;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Build a small model (or load one) and greedily generate a few tokens.")
final class QuickstartCommand implements Callable<Integer> {
  /** Built-in model: byte-sized vocabulary, small enough to build in milliseconds on a laptop CPU. */
  static final ModelConfig BUILT_IN = ModelConfig.builder(256)
      .optNPositions(128).optNEmbd(64).optNLayer(2).optNHead(4).build();

  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Load this checkpoint instead of the built-in model.")
  Path checkpoint;

  @Option(names = "--prompt", split = ",", paramLabel = "IDS", defaultValue = "1,2,3,4",
      description = "Prompt token ids, comma separated (default: ${DEFAULT-VALUE}).")
  long[] prompt;

  @Option(names = "--tokens", defaultValue = "8", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int tokens;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the built-in model's weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() {
    if (tokens < 1) {
      throw new InvalidInputException("--tokens must be >= 1 (got " + tokens + ")");
    }
    long start = System.nanoTime();
    try (Gpt2Model model = checkpoint == null
        ? Gpt2Model.create(BUILT_IN, seed, Device.of(device))
        : Gpt2Model.load(checkpoint, Device.of(device))) {
      double loadMs = (System.nanoTime() - start) / 1e6;
      long t0 = System.nanoTime();
      long[] generated = greedy(model, prompt, tokens);
      double genMs = (System.nanoTime() - t0) / 1e6;
      report(model, generated, loadMs, genMs);
    }
    return 0;
  }

  /** Greedy decoding with the KV cache: one prefill of the prompt, then one token per step. */
  static long[] greedy(Gpt2Model model, long[] prompt, int steps) {
    ModelConfig c = model.config();
    long total = (long) prompt.length + steps;
    if (prompt.length == 0 || total > c.nPositions()) {
      throw new InvalidInputException("--prompt plus --tokens must fit the model (got " + prompt.length + " + "
          + steps + ", expected 1.." + c.nPositions() + " positions)");
    }
    long[] out = new long[steps];
    try (KvCache cache = model.newCache(1, (int) total)) {
      long[] pos = new long[prompt.length];
      Arrays.setAll(pos, i -> i);
      float[] logits = model.forwardCached(cache, prompt, pos, null, 1, prompt.length);
      int n = 0;
      long next = argmaxLastRow(logits, c.vocabSize());
      while (true) {
        out[n++] = next;
        if (n == steps || next == c.eosTokenId()) {
          return Arrays.copyOf(out, n);
        }
        logits = model.forwardCached(cache, new long[] {next}, new long[] {prompt.length + n - 1}, null, 1, 1);
        next = argmaxLastRow(logits, c.vocabSize());
      }
    }
  }

  private static long argmaxLastRow(float[] logits, long vocab) {
    int base = (int) (logits.length - vocab);
    int best = 0;
    for (int v = 1; v < vocab; v++) {
      if (logits[base + v] > logits[base + best]) {
        best = v;
      }
    }
    return best;
  }

  private void report(Gpt2Model model, long[] generated, double loadMs, double genMs) {
    PrintWriter out = spec.commandLine().getOut();
    String source = checkpoint == null ? "built-in (seed " + seed + ")" : checkpoint.toString();
    double tokPerS = generated.length / (genMs / 1e3);
    if (json) {
      ObjectNode node = new ObjectMapper().createObjectNode();
      node.put("model", source);
      node.put("parameters", model.numParameters());
      node.put("device", model.device().toString());
      Arrays.stream(prompt).forEach(node.putArray("prompt")::add);
      Arrays.stream(generated).forEach(node.putArray("generated")::add);
      node.put("load_ms", loadMs);
      node.put("generate_ms", genMs);
      node.put("tokens_per_s", tokPerS);
      out.println(node);
    } else {
      out.printf("model: %s, %,d parameters on %s (ready in %.1f ms)%n", source, model.numParameters(),
          model.device(), loadMs);
      out.println("prompt: " + Arrays.toString(prompt));
      out.println("generated: " + Arrays.toString(generated));
      out.printf("time: %.1f ms for %d tokens (%.0f tokens/s)%n", genMs, generated.length, tokPerS);
    }
    out.flush();
  }
}
