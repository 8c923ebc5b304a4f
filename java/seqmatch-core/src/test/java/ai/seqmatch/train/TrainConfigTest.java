/* TrainConfig: --set semantics (same as native apply_override), typed defaults, the raw-data extension. */
package ai.seqmatch.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.BadLinePolicy;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  @Test
  void overridesParseJsonElseString() {
    TrainConfig c = TrainConfig.parse("{\"optim\": {\"lr\": 1}}", "test")
        .withOverride("optim.lr=1e-3")
        .withOverride("max_steps=200")
        .withOverride("objective.type=mle")
        .withOverride("noise.kind=\"unigram\"")
        .withOverride("objective.noise_as_expert=true")
        .withOverride("model.tokenizer={\"type\":\"byte\"}")
        .withOverride("out_dir=runs/x y")
        .withOverride("data.train=1 2");
    assertEquals(1e-3, c.get("optim.lr").orElseThrow().asDouble());
    assertTrue(c.get("optim.lr").orElseThrow().isDouble());
    assertTrue(c.get("max_steps").orElseThrow().isIntegralNumber());
    assertEquals(200, c.maxSteps());
    assertEquals("mle", c.objective());
    assertEquals("unigram", c.get("noise.kind").orElseThrow().asText());
    assertTrue(c.get("objective.noise_as_expert").orElseThrow().asBoolean());
    assertEquals("byte", c.get("model.tokenizer.type").orElseThrow().asText());
    assertEquals(Path.of("runs/x y"), c.outDir());
    assertEquals("1 2", c.get("data.train").orElseThrow().asText(), "not JSON as a whole: a string");
    assertThrows(InvalidInputException.class, () -> c.withOverride("max_steps"));
    assertThrows(InvalidInputException.class, () -> c.withOverride("max_steps.x=1"));
  }

  @Test
  void defaultsMatchTheNativeConfig() {
    TrainConfig c = TrainConfig.empty("test");
    assertEquals(1000, c.maxSteps());
    assertEquals(10, c.logEvery());
    assertEquals(100, c.evalEvery());
    assertEquals(500, c.checkpointEvery());
    assertEquals("sequence_match", c.objective());
    assertEquals(Path.of("runs/default"), c.outDir());
    assertEquals("scratch", c.modelInit());
  }

  @Test
  void rawDataExtension() throws Exception {
    TrainConfig c = TrainConfig.parse("{\"model\": {\"n_positions\": 64}, \"data\": {\"text\": [\"a.txt\"],"
        + " \"jsonl\": \"b.jsonl\", \"bad_lines\": \"fail\"}, \"out_dir\": \"o\"}", "raw.json");
    RawData raw = c.rawData().orElseThrow();
    assertEquals(java.util.List.of(Path.of("a.txt"), Path.of("b.jsonl")), raw.files());
    assertEquals("byte", raw.tokenizer());
    assertEquals(64, raw.seqLen(), "seq_len defaults to model.n_positions");
    assertEquals(BadLinePolicy.FAIL, raw.badLines());

    var report = new ObjectMapper().readTree("{\"tokenizer\": {\"type\": \"byte\"}, \"vocab_size\": 259,"
        + " \"special_ids\": {\"bos\": -1, \"eos\": 256, \"pad\": 257, \"bkspc\": 258},"
        + " \"validation\": {\"examples\": 0}}");
    TrainConfig resolved = RawData.resolve(c, Path.of("o/data"), report);
    assertEquals("o/data/train.smtok", resolved.get("data.train").orElseThrow().asText());
    assertTrue(resolved.get("data.validation").isEmpty(), "no validation examples: no file named");
    assertTrue(resolved.get("data.text").isEmpty() && resolved.get("data.bad_lines").isEmpty());
    assertEquals(259, resolved.get("model.vocab_size").orElseThrow().asInt());
    assertEquals(258, resolved.get("model.bkspc_token_id").orElseThrow().asInt());
    assertEquals("byte", resolved.get("model.tokenizer.type").orElseThrow().asText());

    InvalidInputException conflict = assertThrows(InvalidInputException.class,
        () -> RawData.resolve(c.withOverride("model.vocab_size=300"), Path.of("o/data"), report));
    assertTrue(conflict.getMessage().startsWith("config raw.json: field 'model.vocab_size' is 300"),
        conflict.getMessage());
    assertThrows(InvalidInputException.class, () -> c.withOverride("data.train=x.smtok").rawData());
    assertThrows(InvalidInputException.class,
        () -> TrainConfig.parse("{\"data\": {\"seq_len\": 8}}", "x").rawData());
  }
}
