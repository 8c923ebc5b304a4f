/*
 * HfTokenizer on GPT-2's tokenizer.json (test resource): known ids, round trips, byte-path decode equal to
 * DJL's Rust decode on random ids, streaming equal to decode, clear errors. Needs no network: DJL's JNI
 * library comes from its jar. Run: mvn -pl java/seqmatch-core test -Dtest=HfTokenizerTest
 */
package ai.seqmatch.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.seqmatch.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
  static final Path GPT2 = gpt2Path();
  private static HfTokenizer gpt2;

  static Path gpt2Path() {
    try {
      return Path.of(HfTokenizerTest.class.getResource("/tokenize/gpt2/tokenizer.json").toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeAll
  static void load() {
    gpt2 = HfTokenizer.load(GPT2);
  }

  @AfterAll
  static void close() {
    gpt2.close();
  }

  @Test
  void helloWorldHasTheKnownIds() {
    assertArrayEquals(new long[] {15496, 995}, gpt2.encode("Hello world"));
    assertEquals("Hello world", gpt2.decode(new long[] {15496, 995}));
    assertEquals("Ġworld", gpt2.tokenString(995));
  }

  @Test
  void vocabularyAndSpecials() {
    assertEquals(50257, gpt2.vocabSize());
    assertEquals(new SpecialTokens(-1, 50256, -1, -1), gpt2.specials());
    assertTrue(gpt2.isByteLevel());
    assertEquals("<|endoftext|>Hi", gpt2.decode(new long[] {50256, 17250}));
    assertEquals("Hi", gpt2.decode(new long[] {50256, 17250}, true));
  }

  @Test
  void roundTrips() {
    for (String s : TextSamples.FIXED) {
      assertEquals(s, gpt2.decode(gpt2.encode(s)), s);
    }
    Random rng = new Random(3);
    for (int i = 0; i < 100; i++) {
      String s = TextSamples.random(rng, rng.nextInt(30));
      assertEquals(s, gpt2.decode(gpt2.encode(s)));
    }
    assertEquals(0, gpt2.encode("").length);
  }

  @Test
  void longTextIsNotTruncated() {
    String s = "word" + " word".repeat(4999); // "word", then 4999 x "Ġword"
    assertEquals(5000, gpt2.encode(s).length); // DJL's default would cut at 512
  }

  @Test
  void javaDecodeEqualsRustDecodeOnRandomIds() throws Exception {
    try (HuggingFaceTokenizer rust = HuggingFaceTokenizer.newInstance(GPT2, Map.of("addSpecialTokens", "false"))) {
      Random rng = new Random(1);
      for (int i = 0; i < 3000; i++) {
        long[] ids = new long[1 + rng.nextInt(8)];
        for (int j = 0; j < ids.length; j++) { // many single-byte tokens (ids < 256) to split characters
          ids[j] = rng.nextInt(3) == 0 ? rng.nextInt(50257) : rng.nextInt(256);
        }
        boolean skip = rng.nextBoolean();
        assertEquals(rust.decode(ids, skip), gpt2.decode(ids, skip), () -> java.util.Arrays.toString(ids));
      }
    }
  }

  @Test
  void streamingEqualsDecodeWithBackspaces() {
    Random rng = new Random(9);
    for (int i = 0; i < 200; i++) {
      long[] ids = gpt2.encode(TextSamples.random(rng, 1 + rng.nextInt(15)));
      StreamingDecoderTest.checkStreaming(gpt2, ids, rng, false);
    }
    for (int i = 0; i < 300; i++) { // random ids: split and invalid UTF-8 across tokens
      long[] ids = new long[rng.nextInt(10)];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = rng.nextBoolean() ? rng.nextInt(256) : rng.nextInt(50257);
      }
      StreamingDecoderTest.checkStreaming(gpt2, ids, rng, rng.nextBoolean());
    }
  }

  @Test
  void missingFileIsAOneLineError(@TempDir Path dir) {
    Path missing = dir.resolve("nope/tokenizer.json");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> HfTokenizer.load(missing));
    assertEquals("tokenizer: cannot load " + missing + ": no such file (expected a path to tokenizer.json). "
        + "Hint: pass a Hugging Face tokenizer.json or a checkpoint directory holding one", e.getMessage());
  }

  @Test
  void malformedFileIsAOneLineError(@TempDir Path dir) throws Exception {
    Path bad = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> HfTokenizer.load(bad));
    assertTrue(e.getMessage().startsWith("tokenizer: cannot parse " + bad + ": "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    Path noVocab = Files.writeString(dir.resolve("t2.json"), "{\"model\": {}}");
    e = assertThrows(InvalidInputException.class, () -> HfTokenizer.load(noVocab));
    assertTrue(e.getMessage().contains("no model.vocab object or array"), e.getMessage());
  }
}
