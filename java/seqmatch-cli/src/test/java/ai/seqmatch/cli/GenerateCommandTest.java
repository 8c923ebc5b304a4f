/*
 * `seqmatch generate` and `seqmatch bench generate` as users run them: parity with transformers' greedy
 * decoding on the HF fixture, --json shapes, --stream edits that rebuild the final text, one-line
 * errors with exit 2, rows that end at max_actions counted, a NaN checkpoint's one-line error.
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateCommandTest {
  /** The core module's copy of the HF fixture (surefire runs in the module directory). */
  static final Path HF_TINY = Path.of("../seqmatch-core/src/test/resources/fixtures/hf-gpt2-tiny");

  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static JsonNode json(Run r) throws Exception {
    assertEquals(0, r.code(), r.err());
    return new ObjectMapper().readTree(r.out());
  }

  private static long[] longs(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
  }

  private static String ids(long[] ids) {
    return Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(","));
  }

  /** One line naming the problem, then the help hint. */
  private static void assertBadInput(Run r, String... mentions) {
    assertEquals(2, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(2, lines.length, r.err());
    assertTrue(lines[0].startsWith("seqmatch generate: "), lines[0]);
    for (String m : mentions) {
      assertTrue(lines[0].contains(m), "expected '" + m + "' in: " + lines[0]);
    }
    assertEquals("Try 'seqmatch generate --help'", lines[1]);
  }

  @Test
  void greedyMatchesTransformersOnTheHfFixture() throws Exception {
    SafeTensors expected = SafeTensors.open(HF_TINY.resolve("expected.safetensors"));
    long[] prompts = expected.longs("prompt_ids");
    long[] greedy = expected.longs("greedy_ids");
    int rows = (int) expected.info("prompt_ids").shape()[0];
    int p = (int) expected.info("prompt_ids").shape()[1];
    int t = (int) expected.info("greedy_ids").shape()[1];
    for (int row = 0; row < rows; row++) {
      long[] prompt = Arrays.copyOfRange(prompts, row * p, (row + 1) * p);
      long[] want = Arrays.copyOfRange(greedy, row * t, (row + 1) * t);
      JsonNode r = json(run("generate", "--checkpoint", HF_TINY.toString(), "--greedy", "--prompt-ids", ids(prompt),
          "--max-new-tokens", String.valueOf(t - p), "--json"));
      long[] got = longs(r.path("tokens"));
      if (r.path("finish_reason").asText().equals("eos")) { // HF pads with eos (299) after stopping
        assertArrayEquals(Arrays.copyOf(want, got.length), got, "row " + row);
      } else {
        assertArrayEquals(want, got, "row " + row);
        assertEquals("max_new_tokens", r.path("finish_reason").asText());
      }
      assertEquals(p, r.path("prompt_length").asInt());
      assertEquals(got.length - p, r.path("new_tokens").asInt());
      assertTrue(r.path("text").isMissingNode(), "the fixture has no tokenizer");
    }
  }

  @Test
  void severalPromptsGiveOneObjectWithResults() throws Exception {
    JsonNode r = json(run("generate", "--checkpoint", HF_TINY.toString(), "--prompt-ids", "1,2,3",
        "--prompt-ids", "4", "--max-new-tokens", "5", "--seed", "3", "--logprobs", "--json"));
    assertEquals(2, r.path("results").size());
    for (JsonNode row : r.path("results")) {
      assertEquals(row.path("num_actions").asInt(), row.path("actions").size());
      assertEquals(row.path("num_actions").asInt(), row.path("logprobs").size());
    }
    Run text = run("generate", "--checkpoint", HF_TINY.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "3");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().startsWith("[0] "), text.out());
    assertTrue(text.out().contains("ids: 1 2 3"), text.out());
  }

  @Test
  void badInputIsOneLineAndExitTwo() {
    String ckpt = HF_TINY.toString();
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt", "hello"), "tokenizer", "--prompt-ids");
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--top-p", "1.5", "--max-new-tokens", "0"),
        "--top-p", "--max-new-tokens");
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--temperature", "0"),
        "--temperature", "--greedy");
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt-ids", "1,x"), "--prompt-ids");
    assertBadInput(run("generate", "--checkpoint", ckpt), "--prompt");
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--stream", "--json"), "--stream");
    assertBadInput(run("generate", "--checkpoint", ckpt, "--prompt-ids", "1,300"), "token id 300");
    assertBadInput(run("generate", "--checkpoint", tmp.resolve("missing").toString(), "--prompt-ids", "1"), "missing");
    assertBadInput(run("generate", "--prompt-ids", "1"), "--checkpoint");
  }

  @Test
  void rowsEndingAtMaxActionsAreCountedAndNoRetypeIsAccepted() throws Exception {
    String ckpt = randomCheckpoint(false).toString();
    String[] common = {"generate", "--checkpoint", ckpt, "--prompt-ids", "1,2", "--prompt-ids", "3", "--prompt-ids",
        "4,5,6", "--prompt-ids", "7", "--max-new-tokens", "20", "--max-actions", "20", "--seed", "5"};
    for (boolean noRetype : new boolean[] {false, true}) {
      String[] args = noRetype ? concat(common, "--no-retype", "--json") : concat(common, "--json");
      JsonNode r = json(run(args));
      long atCap = 0;
      for (JsonNode row : r.path("results")) {
        atCap += row.path("finish_reason").asText().equals("max_actions") ? 1 : 0;
      }
      assertEquals(atCap, r.path("max_actions_rows").asLong(), r.toString());
      assertEquals(atCap, r.path("finish_reasons").path("max_actions").asLong(0), r.toString());
      long sum = 0;
      for (JsonNode n : r.path("finish_reasons")) {
        sum += n.asLong();
      }
      assertEquals(4, sum, r.toString());
    }
    // A cap of 2 actions below max_new_tokens: every row ends there, and text mode says so on stderr.
    Run text = run("generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--max-new-tokens", "5", "--max-actions",
        "2", "--no-backspace");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.err().contains("note: 1 of 1 rows finished by max_actions"), text.err());
  }

  @Test
  void aNanCheckpointIsAOneLineError() throws Exception {
    Path dir = randomCheckpoint(false);
    Path weights = dir.resolve("model.safetensors");
    SafeTensors st = SafeTensors.open(weights);
    String bias = st.names().stream().filter(n -> n.endsWith("ln_f.bias")).findFirst().orElseThrow();
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(weights,
        java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer len = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long at = 8 + len.flip().getLong() + st.info(bias).begin();
      ch.write(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).flip(), at);
    }
    for (String mode : new String[] {"--greedy", "--no-backspace"}) {
      Run r = run("generate", "--checkpoint", dir.toString(), "--prompt-ids", "1,2", mode);
      assertEquals(1, r.code(), r.err());
      String first = r.err().strip().split("\n")[0];
      assertTrue(first.startsWith("seqmatch generate: generate: row 0: the model's logits are not finite (NaN)"),
          r.err());
    }
  }

  /** A random model with <bkspc>; with a byte tokenizer named in config.json when {@code withText}. */
  private Path randomCheckpoint(boolean withText) throws Exception {
    Path dir = tmp.resolve(withText ? "bytes" : "ids");
    // Byte tokenizer ids (eos 256, pad 257, bkspc 258); without text a 16-id vocabulary (bkspc 15), where a
    // near-uniform random model picks <bkspc> often.
    long v = withText ? 259 : 16;
    ModelConfig config = ModelConfig.builder(v).optNPositions(64).optNEmbd(32).optNLayer(1).optNHead(2)
        .optEosTokenId(v - 3).optPadTokenId(v - 2).optBkspcTokenId(v - 1).build();
    try (CausalLM model = CausalLM.create(config, 11, Device.cpu())) {
      model.save(dir);
    }
    if (withText) {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode c = (ObjectNode) mapper.readTree(dir.resolve("config.json").toFile());
      c.putObject("seqmatch").putObject("tokenizer").put("type", "byte");
      Files.writeString(dir.resolve("config.json"), c.toString());
    }
    return dir;
  }

  /** Applies a marker-style stream: each ⌫ deletes the char before it. */
  private static String applyMarkers(String stream) {
    StringBuilder sb = new StringBuilder();
    for (char c : stream.toCharArray()) {
      if (c == '\u232b') {
        sb.setLength(sb.length() - 1);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String streamedPart(Run r) {
    assertEquals(0, r.code(), r.err());
    int end = r.out().lastIndexOf("\n-- [0] ");
    assertTrue(end >= 0, r.out());
    return r.out().substring(0, end);
  }

  @Test
  void streamOfIdsRebuildsTheFinalTokens() throws Exception {
    String ckpt = randomCheckpoint(false).toString();
    int backspaces = 0;
    for (int seed = 0; seed < 4; seed++) {
      String[] common = {"generate", "--checkpoint", ckpt, "--prompt-ids", "1,2,3", "--max-new-tokens", "20",
          "--temperature", "3", "--seed", String.valueOf(seed)};
      JsonNode want = json(run(concat(common, "--json")));
      Run s = run(concat(common, "--stream", "--backspace-style", "marker"));
      assertEquals(Arrays.stream(longs(want.path("tokens"))).mapToObj(Long::toString).collect(Collectors.joining(" ")),
          applyMarkers(streamedPart(s)));
      assertTrue(s.out().contains("-- [0] " + want.path("finish_reason").asText() + ", "), s.out());
      backspaces += want.path("backspaces").asInt();
    }
    assertTrue(backspaces > 0, "temperature 3 over 16 actions should produce a <bkspc> in 4 runs");
  }

  @Test
  void streamOfTextRebuildsTheFinalText() throws Exception {
    String ckpt = randomCheckpoint(true).toString();
    for (int seed = 0; seed < 4; seed++) {
      String[] common = {"generate", "--checkpoint", ckpt, "--prompt", "Hi there", "--max-new-tokens", "20",
          "--temperature", "3", "--seed", String.valueOf(seed)};
      JsonNode want = json(run(concat(common, "--json")));
      assertTrue(want.path("text").asText().startsWith("Hi there"), want.toString());
      Run s = run(concat(common, "--stream", "--backspace-style", "marker"));
      assertEquals(want.path("text").asText(), applyMarkers(streamedPart(s)));
    }
    Run batch = run("generate", "--checkpoint", ckpt, "--prompt", "a", "--prompt", "b", "--max-new-tokens", "4",
        "--stream", "--backspace-style", "marker");
    assertEquals(0, batch.code(), batch.err());
    assertTrue(batch.out().startsWith("[0] a\n[1] b\n"), batch.out());
    assertTrue(batch.out().contains("-- [1] "), batch.out());
  }

  @Test
  void benchGenerateSmoke() throws Exception {
    Run r = run("bench", "generate", "--model", "tiny", "--batch", "1,3", "--new-tokens", "6", "--naive-tokens", "6",
        "--json");
    JsonNode report = json(r);
    assertEquals(2, report.path("results").size());
    for (JsonNode row : report.path("results")) {
      assertTrue(row.path("outputs_match").asBoolean(), row.toString());
      assertTrue(row.path("kv_tokens_per_s").asDouble() > 0, row.toString());
    }
    assertTrue(r.err().contains("batch 3: done"), r.err());
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
