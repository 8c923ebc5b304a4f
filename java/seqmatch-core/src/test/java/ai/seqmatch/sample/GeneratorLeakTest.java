/*
 * 1,000 generate calls (plain and streaming, batched) on one tiny model must not grow the process:
 * RSS is compared after a warm-up, and JavaCPP's accounting must return exactly to its baseline.
 * Each call allocates a Generation (KV cache of 2 rows x 16 positions, ~8 KB), so leaking it would add
 * >= 8 MB; the bound is 16 MB to leave room for allocator and JVM noise (growth is printed).
 */
package ai.seqmatch.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Engine;
import ai.seqmatch.Fixtures;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

class GeneratorLeakTest {
  private static final int WARMUP = 200;
  private static final int CALLS = 1_000;
  private static final long MAX_GROWTH_BYTES = 16L << 20;

  @Test
  void thousandGenerateCallsDoNotLeak() {
    ModelConfig config = Fixtures.tinyConfig().toBuilder().optEosTokenId(30).optBkspcTokenId(31).build();
    List<long[]> prompts = List.of(new long[] {1, 2, 3}, new long[] {4});
    GenerationListener counting = new GenerationListener() {};
    try (CausalLM model = CausalLM.create(config, 1, Device.cpu()); Generator gen = new Generator(model)) {
      for (int i = 0; i < WARMUP; i++) {
        call(gen, prompts, i, counting);
      }
      System.gc();
      long start = Engine.residentSetBytes();
      long javacppStart = Pointer.totalBytes();
      long t0 = System.nanoTime();
      for (int i = 0; i < CALLS; i++) {
        call(gen, prompts, i, counting);
      }
      System.gc();
      long end = Engine.residentSetBytes();
      System.out.printf("generator leak test: %d calls in %.1f s, RSS %.1f MB -> %.1f MB (growth %.2f MB)%n", CALLS,
          (System.nanoTime() - t0) / 1e9, start / 1e6, end / 1e6, (end - start) / 1e6);
      assertTrue(end - start < MAX_GROWTH_BYTES, "RSS grew by " + (end - start) + " bytes");
      assertEquals(javacppStart, Pointer.totalBytes(), "JavaCPP-tracked native bytes");
    }
  }

  private static void call(Generator gen, List<long[]> prompts, int i, GenerationListener listener) {
    SamplingOptions o = SamplingOptions.builder().optMaxNewTokens(8).optSeed(i).optLogprobs(true).build();
    List<GenerationResult> r = i % 2 == 0 ? gen.generate(prompts, o) : gen.generate(prompts, o, listener);
    if (r.size() != 2) {
      throw new AssertionError("expected 2 results");
    }
  }
}
