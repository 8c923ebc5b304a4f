/*
 * Llama-style (SentencePiece BPE, Metaspace "▁", byte fallback) and Qwen-style (byte-level BPE)
 * tokenizer.json files through DJL (test resources tokenizers/, made by make_tokenizers.py in the HF
 * format): encode/decode round trips; characters outside the vocabulary become the byte-fallback tokens
 * <0xNN> (id 3 + byte, computed here from the UTF-8 bytes); bos/eos/pad come from tokenizer_config.json;
 * streaming with <bkspc> stays equal to decode(ids) when a multi-byte character is split across
 * byte tokens and when a backspace deletes a token inside one.
 */
package ai.seqmatch.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaQwenTokenizerTest {
  private static final List<String> TEXTS = List.of("Hello world", "The cat sat on the mat.", "café €5 😀!",
      "naïve 你好 world", "ωμέγα", "€", "a😀b😀");

  @TempDir Path tmp;

  static Path dir(String name) {
    try {
      return Path.of(LlamaQwenTokenizerTest.class.getResource("/tokenizers/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void llamaRoundTripsAndFallsBackToBytes() {
    try (HfTokenizer t = HfTokenizer.load(dir("llama-spbpe").resolve("tokenizer.json"))) {
      assertTrue(!t.isByteLevel(), "SentencePiece BPE decodes through DJL, not the byte-level path");
      for (String s : TEXTS) {
        assertEquals(s, t.decode(t.encode(s), false), s);
      }
      long[] ids = t.encode("Hello world");
      assertEquals("▁Hello", t.tokenString(ids[0]), "Metaspace prepends ▁ to the first word");
      assertEquals("▁world", t.tokenString(ids[1]));
      assertEquals(2, ids.length);
      byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // not in the vocabulary: three byte tokens
      long[] want = new long[euro.length];
      for (int i = 0; i < euro.length; i++) {
        want[i] = 3 + (euro[i] & 0xFF);
      }
      long[] got = t.encode("€");
      assertArrayEquals(want, java.util.Arrays.copyOfRange(got, got.length - euro.length, got.length));
      assertEquals("<0xE2>", t.tokenString(want[0]));
    }
  }

  @Test
  void qwenIsByteLevelAndRoundTrips() {
    try (HfTokenizer t = HfTokenizer.load(dir("qwen-bytelevel").resolve("tokenizer.json"))) {
      assertTrue(t.isByteLevel());
      for (String s : TEXTS) {
        assertEquals(s, t.decode(t.encode(s), false), s);
      }
      long[] ids = t.encode("Hello world");
      assertEquals(2, ids.length, "merged to 'Hello' and 'Ġworld'");
      assertEquals("Ġworld", t.tokenString(ids[1]));
    }
  }

  @Test
  void specialsComeFromTokenizerConfig() {
    try (HfTokenizer llama = HfTokenizer.load(dir("llama-spbpe").resolve("tokenizer.json"));
        HfTokenizer qwen = HfTokenizer.load(dir("qwen-bytelevel").resolve("tokenizer.json"))) {
      assertEquals(1, llama.specials().bos());
      assertEquals(2, llama.specials().eos());
      assertEquals(SpecialTokens.NONE, llama.specials().pad());
      // tokenizer_config.json: eos <|im_end|> (a name guess alone would pick <|endoftext|>), pad <|endoftext|>
      assertEquals("<|im_end|>", qwen.tokenString(qwen.specials().eos()));
      assertEquals("<|endoftext|>", qwen.tokenString(qwen.specials().pad()));
      assertEquals(SpecialTokens.NONE, qwen.specials().bos());
    }
  }

  @Test
  void tokenizerConfigNamingAnUnknownTokenIsAnError() throws IOException {
    Files.copy(dir("llama-spbpe").resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
    Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"<|nope|>\"}}");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> HfTokenizer.load(tmp.resolve("tokenizer.json")));
    assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("eos_token"),
        e.getMessage());
  }

  /** Every character of "€😀" split over byte tokens, with random backspaces: streamed == decode(ids). */
  @Test
  void streamingSplitCharactersWithBackspaces() {
    for (String name : List.of("llama-spbpe", "qwen-bytelevel")) {
      try (HfTokenizer t = HfTokenizer.load(dir(name).resolve("tokenizer.json"))) {
        Random rng = new Random(7);
        for (String s : TEXTS) {
          for (int rep = 0; rep < 20; rep++) {
            StreamingDecoderTest.checkStreaming(t, t.encode(s), rng, rep % 2 == 0);
          }
        }
      }
    }
  }

  /**
   * Byte fallback groups a run of byte tokens: "你" + the first byte of "好" decodes to four U+FFFD. The
   * stream must still only ever append ("你" stays on screen), and end with exactly decode(ids).
   */
  @Test
  void byteFallbackRunsStreamWithoutDeleting() {
    try (HfTokenizer t = HfTokenizer.load(dir("llama-spbpe").resolve("tokenizer.json"))) {
      for (String s : List.of("你好世界", "😀😀", "a€€b", "ωμέγα")) {
        long[] ids = t.encode(s);
        assertTrue(ids.length > s.codePointCount(0, s.length()), s + " goes through byte tokens");
        StreamingDecoder d = t.streamingDecoder(false);
        StringBuilder client = new StringBuilder();
        for (long id : ids) {
          StreamingDecoder.Piece p = d.push(id);
          assertEquals(0, p.deleteChars(), s + ": a push deleted streamed text");
          StreamingDecoderTest.apply(client, p);
          assertTrue(s.startsWith(client.toString()), s + " vs streamed " + client);
        }
        StreamingDecoderTest.apply(client, d.finish());
        assertEquals(s, client.toString());
      }
    }
  }

  /**
   * "a€" as a, <0xE2>, <0x82>, <0xAC> (Llama: ▁, a, then the bytes): nothing of € shows until its last byte; a backspace deleting the
   * middle byte token leaves "a"; re-pushing completes "a€"; a wrong continuation byte shows U+FFFD
   * only once the stream finishes.
   */
  @Test
  void backspaceInsideAMultiByteCharacter() {
    for (String name : List.of("llama-spbpe", "qwen-bytelevel")) {
      try (HfTokenizer t = HfTokenizer.load(dir(name).resolve("tokenizer.json"))) {
        long[] ids = t.encode("a€");
        int k = ids.length - 3; // "a" (Llama: "▁", "a"), then the three byte tokens of €
        assertEquals(0xAC, t.isByteLevel() ? t.tokenBytes(ids[k + 2])[0] & 0xFF : ids[k + 2] - 3, name);
        StreamingDecoder d = t.streamingDecoder(false);
        StringBuilder client = new StringBuilder();
        for (int i = 0; i < k; i++) {
          StreamingDecoderTest.apply(client, d.push(ids[i]));
        }
        assertEquals("a", client.toString());
        StreamingDecoderTest.apply(client, d.push(ids[k]));
        StreamingDecoderTest.apply(client, d.push(ids[k + 1]));
        assertEquals("a", client.toString(), name + ": € is held back until complete");
        StreamingDecoderTest.apply(client, d.backspace()); // deletes <0x82>, inside €
        assertEquals("a", client.toString());
        StreamingDecoderTest.apply(client, d.push(ids[k + 1]));
        StreamingDecoderTest.apply(client, d.push(ids[k + 2]));
        assertEquals("a€", client.toString());
        StreamingDecoderTest.apply(client, d.backspace()); // deletes <0xAC>: € is incomplete again
        assertEquals("a", client.toString(), name + ": deleting the last byte removes the streamed €");
        StreamingDecoderTest.apply(client, d.finish()); // E2 82 never completed
        assertEquals(t.decode(d.ids(), false), client.toString());
        assertTrue(client.toString().startsWith("a\uFFFD"), client.toString());
      }
    }
  }

  /** After a prompt, SentencePiece's "▁world" adds " world" (decoded alone it would be "world"). */
  @Test
  void continuationKeepsTheLeadingSpace() {
    try (HfTokenizer t = HfTokenizer.load(dir("llama-spbpe").resolve("tokenizer.json"))) {
      long[] prompt = t.encode("Hello");
      long[] ids = t.encode("Hello world the cat");
      long[] generated = java.util.Arrays.copyOfRange(ids, prompt.length, ids.length);
      assertEquals("world the cat", t.decode(generated, false));
      assertEquals(" world the cat", t.decodeContinuation(prompt, generated, false));
      StreamingDecoder d = t.streamingDecoder(false, prompt);
      StringBuilder client = new StringBuilder();
      for (long id : generated) {
        StreamingDecoderTest.apply(client, d.push(id));
      }
      assertEquals(" world the", client.substring(0, 10));
      StreamingDecoderTest.apply(client, d.backspace());
      StreamingDecoderTest.apply(client, d.backspace());
      StreamingDecoderTest.apply(client, d.finish());
      assertEquals(t.decodeContinuation(prompt, d.ids(), false), client.toString());
      assertEquals(" world", client.toString());
    }
  }
}
