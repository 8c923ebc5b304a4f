/*
 * StreamingDecoder: applying the streamed edits reproduces decode(ids) at every step, through split UTF-8
 * characters and backspaces. The HF tokenizer variant is in HfTokenizerTest.
 */
package ai.seqmatch.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {

  /** Streams {@code ids} with random backspaces (re-pushing the removed token), checking every step. */
  static void checkStreaming(Tokenizer t, long[] ids, Random rng, boolean skipSpecial) {
    StreamingDecoder d = t.streamingDecoder(skipSpecial);
    StringBuilder client = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      apply(client, d.push(ids[i]));
      if (rng.nextInt(4) == 0) { // backspace over 1..3 tokens, then push them again
        int n = 1 + rng.nextInt(Math.min(3, i + 1));
        for (int k = 0; k < n; k++) {
          apply(client, d.backspace());
        }
        assertConsistent(t, d, client, skipSpecial);
        for (int k = n - 1; k >= 0; k--) {
          apply(client, d.push(ids[i - k]));
        }
      }
      assertConsistent(t, d, client, skipSpecial);
    }
    apply(client, d.finish());
    assertEquals(t.decode(ids, skipSpecial), client.toString());
    assertEquals(client.toString(), d.text());
  }

  private static void assertConsistent(Tokenizer t, StreamingDecoder d, StringBuilder client, boolean skip) {
    assertEquals(d.text(), client.toString());
    long[] ids = d.ids();
    // Streamed text is decode(ids) minus at most a held-back, unfinished character (U+FFFD in full);
    // without a byte-level path, the held-back character's tokens (at most 3) are left out instead.
    int fewest = t.isByteLevel() ? ids.length : Math.max(0, ids.length - 3);
    for (int k = ids.length; k >= fewest; k--) {
      String full = t.decode(java.util.Arrays.copyOf(ids, k), skip);
      if (full.startsWith(client.toString())
          && full.substring(client.length()).chars().allMatch(c -> c == '\uFFFD')) {
        return;
      }
    }
    throw new AssertionError("streamed \"" + client + "\" is not the text of the ids " + java.util.Arrays.toString(ids)
        + " (full: \"" + t.decode(ids, skip) + "\")");
  }

  static void apply(StringBuilder client, StreamingDecoder.Piece p) {
    client.setLength(client.length() - p.deleteChars());
    client.append(p.text());
  }

  @Test
  void byteTokenizerStreamsExactly() {
    try (Tokenizer t = new ByteTokenizer()) {
      Random rng = new Random(11);
      for (int i = 0; i < 300; i++) {
        checkStreaming(t, t.encode(TextSamples.random(rng, 1 + rng.nextInt(12))), rng, i % 2 == 0);
      }
    }
  }

  @Test
  void randomBytesIncludingInvalidUtf8() {
    try (Tokenizer t = new ByteTokenizer()) {
      Random rng = new Random(5);
      for (int i = 0; i < 500; i++) {
        long[] ids = new long[rng.nextInt(12)];
        for (int j = 0; j < ids.length; j++) {
          ids[j] = rng.nextBoolean() ? 0x80 + rng.nextInt(0x78) : rng.nextInt(259);
        }
        checkStreaming(t, ids, rng, rng.nextBoolean());
      }
    }
  }

  @Test
  void splitEmojiIsHeldBackAndBackspaceDeletesIt() {
    try (Tokenizer t = new ByteTokenizer()) {
      StreamingDecoder d = t.streamingDecoder(false);
      long[] ids = t.encode("a😀"); // a F0 9F 98 80
      assertEquals(new StreamingDecoder.Piece(0, "a"), d.push(ids[0]));
      assertEquals(StreamingDecoder.Piece.EMPTY, d.push(ids[1]));
      assertEquals(StreamingDecoder.Piece.EMPTY, d.push(ids[2]));
      assertEquals(StreamingDecoder.Piece.EMPTY, d.push(ids[3]));
      assertEquals(new StreamingDecoder.Piece(0, "😀"), d.push(ids[4]));
      assertEquals(new StreamingDecoder.Piece(2, ""), d.backspace()); // a surrogate pair: 2 Java chars
      assertEquals(StreamingDecoder.Piece.EMPTY, d.backspace());
      assertEquals(new StreamingDecoder.Piece(0, "\uFFFD"), d.finish()); // F0 9F: an unfinished char
      assertThrows(IllegalStateException.class, () -> d.push(1));
    }
  }

  @Test
  void backspaceOnEmptyIsAnError() {
    try (Tokenizer t = new ByteTokenizer()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.streamingDecoder(false).backspace());
      assertEquals("backspace: no token to remove (got 0 tokens, expected >= 1)", e.getMessage());
    }
  }
}
