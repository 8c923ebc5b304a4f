/* Tokenizers.load / fromSpec / withSeqMatchSpecials. Run: mvn -pl java/seqmatch-core test -Dtest=TokenizersTest */
package ai.seqmatch.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {
  @TempDir Path dir;

  @Test
  void byteSpecFromConfig() throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"byte\"}}}");
    try (Tokenizer t = Tokenizers.load(dir).orElseThrow()) {
      assertInstanceOf(ByteTokenizer.class, t);
    }
  }

  @Test
  void hfSpecFromConfigWithIdsFromConfig() throws Exception {
    Files.copy(HfTokenizerTest.GPT2, dir.resolve("tok.json"));
    Files.writeString(dir.resolve("config.json"), "{\"bos_token_id\": 50256, \"eos_token_id\": 50256,"
        + " \"pad_token_id\": 50257, \"seqmatch\": {\"tokenizer\": {\"type\": \"hf\", \"file\": \"tok.json\"}}}");
    try (Tokenizer t = Tokenizers.load(dir).orElseThrow()) {
      // pad 50257 lies past the file's vocabulary: withSeqMatchSpecials re-creates it, at the same id.
      assertEquals(new SpecialTokens(50256, 50256, -1, -1), t.specials());
    }
  }

  @Test
  void plainHfDirectoryUsesTokenizerJson() throws Exception {
    Files.copy(HfTokenizerTest.GPT2, dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
    try (Tokenizer t = Tokenizers.load(dir).orElseThrow()) {
      assertArrayEquals(new long[] {15496, 995}, t.encode("Hello world"));
    }
    try (Tokenizer t = Tokenizers.load(dir.resolve("tokenizer.json")).orElseThrow()) {
      assertEquals(50257, t.vocabSize());
    }
  }

  @Test
  void noTokenizerGivesEmpty() throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
    assertEquals(Optional.empty(), Tokenizers.load(dir));
  }

  @Test
  void badReferencesAreCheckpointErrors() throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"hf\", \"file\": \"x.json\"}}}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> Tokenizers.load(dir));
    assertEquals("tokenizer: cannot load " + dir.resolve("x.json") + ": no such file (named by "
        + dir.resolve("config.json") + "). Hint: copy the tokenizer.json into the checkpoint", e.getMessage());
    Files.writeString(dir.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"wordpiece\"}}}");
    e = assertThrows(CheckpointException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().endsWith("unknown type (got \"wordpiece\", expected \"byte\" or \"hf\")"), e.getMessage());
    e = assertThrows(CheckpointException.class, () -> Tokenizers.load(dir.resolve("missing")));
    assertTrue(e.getMessage().contains("no such file or directory"), e.getMessage());
  }

  @Test
  void seqMatchSpecialsAreAppendedAfterGpt2() {
    try (Tokenizer t = Tokenizers.withSeqMatchSpecials(HfTokenizer.load(HfTokenizerTest.GPT2))) {
      assertEquals(new SpecialTokens(-1, 50256, 50257, 50258), t.specials());
      assertEquals(50259, t.vocabSize());
      assertEquals(50257, t.baseVocabSize());
      long[] fromText = t.encode("<bkspc><pad><eos>"); // text never yields an appended id
      assertTrue(java.util.Arrays.stream(fromText).allMatch(id -> id < 50257), java.util.Arrays.toString(fromText));
      assertEquals("<bkspc><pad><eos>", t.decode(fromText));
      long[] ids = {15496, 50258, 995, 50257};
      assertEquals("Hello<bkspc> world<pad>", t.decode(ids));
      assertEquals("Hello world", t.decode(ids, true));
      assertTrue(t.isSpecial(50258));
      Random rng = new Random(2);
      for (int i = 0; i < 100; i++) {
        long[] r = new long[rng.nextInt(8)];
        for (int j = 0; j < r.length; j++) {
          r[j] = rng.nextBoolean() ? rng.nextInt(256) : 50256 + rng.nextInt(3);
        }
        StreamingDecoderTest.checkStreaming(t, r, rng, rng.nextBoolean());
      }
    }
  }

  @Test
  void aTokenizerFileNamedByConfigStaysInsideTheCheckpoint() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "root:x:0:0:hunter2:/root:/bin/bash\n");
    Path ckpt = Files.createDirectories(dir.resolve("run").resolve("ckpt"));
    for (String file : new String[] {"../../secret.txt", secret.toString(), "sub/../../../secret.txt", "."}) {
      Files.writeString(ckpt.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"hf\", \"file\": "
          + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(file) + "}}}");
      CheckpointException e = assertThrows(CheckpointException.class, () -> Tokenizers.load(ckpt));
      assertTrue(e.getMessage().startsWith("field \"seqmatch.tokenizer.file\" in " + ckpt.resolve("config.json")
          + ": must name a file inside the checkpoint directory"), e.getMessage());
      assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
    }
    // Even a real tokenizer.json outside the directory is refused when config.json names it absolutely...
    Files.writeString(ckpt.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"hf\", \"file\": \""
        + HfTokenizerTest.GPT2.toAbsolutePath() + "\"}}}");
    assertThrows(CheckpointException.class, () -> Tokenizers.load(ckpt));
    // ...while a symbolic link inside it (as the Hugging Face cache lays out snapshots) is followed, and the
    // same file passed directly (a path the user typed) loads.
    Files.createSymbolicLink(ckpt.resolve("tokenizer.json"), HfTokenizerTest.GPT2.toAbsolutePath());
    Files.writeString(ckpt.resolve("config.json"), "{\"seqmatch\": {\"tokenizer\": {\"type\": \"hf\", \"file\": "
        + "\"./tokenizer.json\"}}}");
    try (Tokenizer t = Tokenizers.load(ckpt).orElseThrow(); Tokenizer u = Tokenizers.load(HfTokenizerTest.GPT2).orElseThrow()) {
      assertEquals(u.vocabSize(), t.vocabSize());
    }
  }

  @Test
  void errorsNeverQuoteTheFileTheyCouldNotParse() throws Exception {
    Path notJson = Files.writeString(dir.resolve("tokenizer.json"), "root:x:0:0:hunter2:/root:/bin/bash\n");
    Exception e = assertThrows(ai.seqmatch.InvalidInputException.class, () -> Tokenizers.load(notJson));
    assertTrue(e.getMessage().contains("not valid JSON (line 1, column") && !e.getMessage().contains("root")
        && !e.getMessage().contains("hunter2"), e.getMessage());
    Path config = Files.writeString(dir.resolve("config.json"), "{\"seqmatch\": hunter2}");
    e = assertThrows(CheckpointException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().contains(config + ": not valid JSON") && !e.getMessage().contains("hunter2"),
        e.getMessage());
    Path hugeId = Files.writeString(dir.resolve("huge.json"), "{\"model\": {\"vocab\": {\"a\": 2000000000}}}");
    e = assertThrows(ai.seqmatch.InvalidInputException.class, () -> Tokenizers.load(hugeId));
    assertTrue(e.getMessage().contains("a token id in model.vocab is not an integer in [0, 16777216)"), e.getMessage());
  }
}
