/*
 * `seqmatch eval` end to end with tiny random byte-level checkpoints: task mode (table with two checkpoints,
 * JSON shape), prompts mode with --data perplexity, generations made elsewhere (--generations), and one-line
 * errors with exit 2.
 */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TasksCommandTest.assertBadInput;
import static ai.seqmatch.cli.TasksCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.cli.TasksCommandTest.Run;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  @TempDir Path tmp;

  /** A random model over the byte tokenizer (eos 256, pad 257, bkspc 258), named in config.json. */
  private Path checkpoint(String name, long seed) throws Exception {
    Path dir = tmp.resolve(name);
    ModelConfig config = ModelConfig.builder(259).optNPositions(96).optNEmbd(32).optNLayer(1).optNHead(2)
        .optEosTokenId(256).optPadTokenId(257).optBkspcTokenId(258).build();
    try (CausalLM model = CausalLM.create(config, seed, Device.cpu())) {
      model.save(dir);
    }
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode c = (ObjectNode) mapper.readTree(dir.resolve("config.json").toFile());
    c.putObject("seqmatch").putObject("tokenizer").put("type", "byte");
    Files.writeString(dir.resolve("config.json"), c.toString());
    return dir;
  }

  @Test
  void taskModeTableWithTwoCheckpointsAndJson() throws Exception {
    String a = checkpoint("a", 1).toString();
    String b = checkpoint("b", 2).toString();
    Run r = run("eval", "--checkpoint", a, "--checkpoint", b, "--task", "add-or-sub-in-base", "--n", "6",
        "--batch-size", "4", "--examples", "2");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertTrue(lines[0].startsWith("task add-or-sub-in-base: bases 2..16"), lines[0]);
    assertTrue(lines[0].contains("greedy, max_new_tokens 16"), lines[0]);
    assertTrue(lines[1].matches("metric\\s+" + java.util.regex.Pattern.quote(a) + "\\s+"
        + java.util.regex.Pattern.quote(b) + "\\s*"), lines[1]);
    assertTrue(lines[2].matches("accuracy\\s+\\S+\\s+\\S+\\s*"), lines[2]);
    assertTrue(r.out().contains("\nrows "), r.out());
    assertTrue(r.out().contains("examples, " + a + ":"), r.out());

    Run j = run("eval", "--checkpoint", a, "--checkpoint", b, "--task", "add-or-sub-in-base", "--n", "6", "--json");
    assertEquals(0, j.code(), j.err());
    JsonNode root = new ObjectMapper().readTree(j.out());
    assertEquals("task", root.get("mode").asText());
    assertEquals("add-or-sub-in-base", root.get("task").asText());
    assertEquals(6, root.get("rows").asInt());
    assertEquals(2, root.get("checkpoints").size());
    JsonNode ra = root.get("checkpoints").get(a);
    double acc = ra.get("metrics").get("accuracy").asDouble();
    assertTrue(acc >= 0 && acc <= 1, ra.toString());
    assertEquals(6, ra.get("counts").get("rows").asInt());
    assertEquals(3, ra.get("examples").size());
    assertTrue(ra.get("examples").get(0).has("reason"), ra.toString());
    assertTrue(ra.get("metrics").has("backspace_rate") && ra.get("metrics").has("actions_per_token"));
  }

  @Test
  void promptsModeWithPerplexity() throws Exception {
    String a = checkpoint("a", 1).toString();
    Path prompts = tmp.resolve("p.txt");
    Files.writeString(prompts, "The cat\nA dog\n\nOnce upon\n");
    Path data = tmp.resolve("ref.txt");
    Files.writeString(data, "the quick brown fox jumps over the lazy dog. ".repeat(5));
    Run r = run("eval", "--checkpoint", a, "--prompts", prompts.toString(), "--data", data.toString(),
        "--temperature", "1.0", "--max-new-tokens", "20", "--units", "words", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode root = new ObjectMapper().readTree(r.out());
    assertEquals("prompts", root.get("mode").asText());
    assertEquals(3, root.get("rows").asInt());
    JsonNode m = root.get("checkpoints").get(a).get("metrics");
    for (String k : new String[] {"distinct_1", "distinct_2", "seq_rep_4", "self_bleu_4", "zipf", "perplexity"}) {
      assertTrue(m.has(k), k + " in " + m);
    }
    assertEquals(225, m.get("ppl_tokens").asInt());
    assertTrue(m.get("perplexity").asDouble() > 1, m.toString());
  }

  @Test
  void badArgumentsExit2WithOneLine() throws Exception {
    String a = checkpoint("a", 1).toString();
    assertBadInput(run("eval", "--checkpoint", a), "eval", "--task", "--prompts");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "sort"), "eval", "unknown --task (got \"sort\"",
        "add-or-sub-in-base, dyck");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "dyck", "--engine", "tpu"), "eval",
        "unknown --engine (got \"tpu\", expected one of native)");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "dyck", "--greedy", "--temperature", "0.5"), "eval",
        "--greedy and --temperature");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "dyck", "--temperature", "0"), "eval", "--temperature");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "dyck", "--n", "0"), "eval", "--n");
    assertBadInput(run("eval", "--checkpoint", a, "--prompts", tmp.resolve("none.txt").toString()), "eval", "none.txt");
    assertBadInput(run("eval", "--checkpoint", a, "--checkpoint", a, "--task", "dyck"), "eval", "twice");
    assertBadInput(run("eval", "--checkpoint", tmp.resolve("missing").toString(), "--task", "dyck"), "eval", "missing");
    assertBadInput(run("eval", "--checkpoint", a, "--task", "dyck", "--units", "bytes"), "eval", "--units");
    assertBadInput(run("eval", "--task", "dyck"), "eval", "--checkpoint");
  }

  @Test
  void generationsMadeElsewhereAreScoredLikeInJvmOnes() throws Exception {
    Path prompts = tmp.resolve("test.jsonl");
    Files.writeString(prompts, "{\"prompt\":\"In base 10, what is 2 + 3?\\n\",\"completion\":\"5\"}\n"
        + "{\"prompt\":\"In base 2, what is 1 + 1?\\n\",\"completion\":\"10\"}\n");
    Path gen = tmp.resolve("gen.jsonl");
    // greedy: right ('5' <eos>), right ('1' '0' <eos>, one typed-then-deleted token); seed 0: right, cut off;
    // seed 1: wrong value, right
    Files.writeString(gen, String.join("\n",
        "{\"id\":0,\"seed\":null,\"tokens\":[53,256],\"finish_reason\":\"eos\",\"backspaces\":0}",
        "{\"id\":1,\"seed\":null,\"tokens\":[49,48,256],\"finish_reason\":\"eos\",\"backspaces\":1}",
        "{\"id\":0,\"seed\":0,\"tokens\":[53,256],\"finish_reason\":\"eos\",\"backspaces\":0}",
        "{\"id\":1,\"seed\":0,\"tokens\":[49,48],\"finish_reason\":\"max_new_tokens\",\"backspaces\":0}",
        "{\"id\":1,\"seed\":1,\"tokens\":[49,48,256],\"finish_reason\":\"eos\",\"backspaces\":0}",
        "{\"id\":0,\"seed\":1,\"tokens\":[54,256],\"finish_reason\":\"eos\",\"backspaces\":0}") + "\n");
    Run r = run("eval", "--task", "add-or-sub-in-base", "--prompts", prompts.toString(), "--generations",
        gen.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    JsonNode greedy = j.path("runs").path("greedy");
    assertEquals(1.0, greedy.path("metrics").path("accuracy").asDouble());
    assertEquals(2, greedy.path("counts").path("finish_eos").asInt());
    assertEquals(1, greedy.path("counts").path("backspaces").asInt());
    assertEquals(1, greedy.path("counts").path("correct[base 2]").asInt());
    // actions: row 0 has 2 ([5, <eos>]); row 1 has 3 final tokens, one deleted token and its <bkspc>: 7
    assertEquals(7, greedy.path("counts").path("actions").asInt());
    assertEquals(0.5, j.path("runs").path("seed 0").path("metrics").path("accuracy").asDouble());
    assertEquals(1, j.path("runs").path("seed 0").path("counts").path("finish_max_new_tokens").asInt());
    assertEquals(0.5, j.path("runs").path("seed 1").path("metrics").path("accuracy").asDouble());
    assertEquals(2, j.path("sampled_accuracy").path("seeds").asInt());
    assertEquals(0.5, j.path("sampled_accuracy").path("mean").asDouble(), 1e-12);

    Files.writeString(gen, "{\"id\":0,\"seed\":null,\"tokens\":[53,256],\"finish_reason\":\"eos\"}\n"
        + "{\"id\":1,\"seed\":null,\"tokens\":[49],\"finish_reason\":\"done\"}\n");
    assertBadInput(run("eval", "--task", "add-or-sub-in-base", "--prompts", prompts.toString(), "--generations",
        gen.toString()), "eval", "gen.jsonl:2", "finish_reason", "done");
    Files.writeString(gen, "{\"id\":0,\"seed\":null,\"tokens\":[53,256],\"finish_reason\":\"eos\"}\n");
    assertBadInput(run("eval", "--task", "add-or-sub-in-base", "--prompts", prompts.toString(), "--generations",
        gen.toString()), "eval", "greedy lacks 1 of 2 prompt ids");
    assertBadInput(run("eval", "--task", "add-or-sub-in-base", "--generations", gen.toString()), "eval",
        "--generations needs --task and --prompts");
  }
}
