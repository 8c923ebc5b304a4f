/*
 * The native seqmatch-generate binary (generation without a JVM, scored by `seqmatch eval --generations`):
 * greedy tokens equal transformers' on the Hugging Face fixture, seeded samples equal the in-JVM Generator's
 * with the same row seeds (seed * 1000003 + prompt index), and bad input exits 2 naming file and line.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -Dtest=GenerateToolTest
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateToolTest {
  private static final Path HF_TINY = GenerateCommandTest.HF_TINY;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private record Run(int code, String err) {}

  private static Run tool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(TrainFixtures.nativeTool("seqmatch-generate", System.getProperty("seqmatch.generate.binary")).toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "seqmatch-generate did not finish");
    return new Run(p.exitValue(), err);
  }

  private List<long[]> fixturePrompts(Path file) throws Exception {
    SafeTensors expected = SafeTensors.open(HF_TINY.resolve("expected.safetensors"));
    long[] flat = expected.longs("prompt_ids");
    int rows = (int) expected.info("prompt_ids").shape()[0];
    int p = (int) expected.info("prompt_ids").shape()[1];
    List<long[]> prompts = new ArrayList<>();
    StringBuilder lines = new StringBuilder();
    for (int r = 0; r < rows; r++) {
      long[] prompt = Arrays.copyOfRange(flat, r * p, (r + 1) * p);
      prompts.add(prompt);
      JsonNode line = JSON.createObjectNode().put("id", "row-" + r).set("prompt_ids", JSON.valueToTree(prompt));
      lines.append(line.toString()).append('\n');
    }
    Files.writeString(file, lines);
    return prompts;
  }

  private static List<JsonNode> lines(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) {
      out.add(JSON.readTree(l));
    }
    return out;
  }

  private static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }

  @Test
  void greedyMatchesTransformers() throws Exception {
    Path prompts = tmp.resolve("prompts.jsonl");
    List<long[]> rows = fixturePrompts(prompts);
    SafeTensors expected = SafeTensors.open(HF_TINY.resolve("expected.safetensors"));
    long[] greedy = expected.longs("greedy_ids");
    int t = (int) expected.info("greedy_ids").shape()[1];
    int p = rows.get(0).length;
    Path out = tmp.resolve("gen.jsonl");
    Run r = tool("--checkpoint", HF_TINY.toString(), "--prompts", prompts.toString(), "--out", out.toString(),
        "--greedy", "--max-new-tokens", String.valueOf(t - p), "--batch", "1");
    assertEquals(0, r.code(), r.err());
    List<JsonNode> gen = lines(out);
    assertEquals(rows.size(), gen.size());
    for (int row = 0; row < rows.size(); row++) {
      JsonNode g = gen.get(row);
      assertEquals("row-" + row, g.path("id").asText());
      assertTrue(g.path("seed").isNull(), g.toString());
      assertArrayEquals(Arrays.copyOfRange(greedy, row * t + p, (row + 1) * t), longs(g.path("tokens")), "row " + row);
      assertEquals("max_new_tokens", g.path("finish_reason").asText());
    }
  }

  @Test
  void seededSamplesEqualTheInJvmGenerator() throws Exception {
    Path prompts = tmp.resolve("prompts.jsonl");
    List<long[]> rows = fixturePrompts(prompts);
    Path out = tmp.resolve("gen.jsonl");
    Run r = tool("--checkpoint", HF_TINY.toString(), "--prompts", prompts.toString(), "--out", out.toString(),
        "--seeds", "3,7", "--temperature", "1", "--max-new-tokens", "10");
    assertEquals(0, r.code(), r.err());
    List<JsonNode> gen = lines(out);
    assertEquals(2 * rows.size(), gen.size());
    try (CausalLM m = CausalLM.load(HF_TINY, Device.cpu()); Generator g = new Generator(m)) {
      int i = 0;
      for (long seed : new long[] {3, 7}) {
        long[] rowSeeds = new long[rows.size()];
        for (int p = 0; p < rows.size(); p++) {
          rowSeeds[p] = seed * 1000003L + p;
        }
        List<GenerationResult> want = g.generate(rows, SamplingOptions.builder().optTemperature(1.0)
            .optMaxNewTokens(10).optRowSeeds(rowSeeds).build());
        for (int p = 0; p < rows.size(); p++, i++) {
          assertEquals(seed, gen.get(i).path("seed").asLong());
          assertArrayEquals(want.get(p).generated(), longs(gen.get(i).path("tokens")), "seed " + seed + " row " + p);
        }
      }
    }
  }

  @Test
  void badInputExitsTwoNamingFileAndLine() throws Exception {
    Path prompts = tmp.resolve("bad.jsonl");
    Files.writeString(prompts, "{\"id\": 0, \"prompt_ids\": [1, 2]}\n{\"id\": 1, \"prompt_ids\": [1, \"x\"]}\n");
    Run r = tool("--checkpoint", HF_TINY.toString(), "--prompts", prompts.toString(), "--out",
        tmp.resolve("o.jsonl").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(prompts + ":2: prompt_ids holds a non-integer value"), r.err());
    assertEquals(1, r.err().strip().split("\n").length, r.err());
    Run missing = tool("--prompts", prompts.toString());
    assertEquals(2, missing.code(), missing.err());
    assertTrue(missing.err().startsWith("seqmatch-generate: --checkpoint, --prompts and --out are required"),
        missing.err());
    assertTrue(!Files.exists(tmp.resolve("o.jsonl")), "nothing written on bad input");
  }
}
