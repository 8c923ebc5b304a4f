/* Chunker: exact stream layout, chunk windows with and without BOS, pair truncation and too-long prompts. */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.HfTokenizer;
import ai.seqmatch.tokenize.SpecialTokens;
import ai.seqmatch.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  private static final int EOS = ByteTokenizer.EOS;

  @Test
  void streamJoinsDocumentsWithEosAndChunksExactly() {
    Tokenizer t = new ByteTokenizer();
    Chunker c = new Chunker(t, 4);
    long[] stream = c.stream(List.of(new Row.Text("f", 1, "abc"), new Row.Text("g", 1, "defgh")));
    assertArrayEquals(new long[] {'a', 'b', 'c', EOS, 'd', 'e', 'f', 'g', 'h', EOS}, stream);
    List<Example> chunks = c.chunks(stream);
    assertEquals(List.of(
        new Example(new long[0], new long[] {'a', 'b', 'c', EOS}),
        new Example(new long[0], new long[] {'d', 'e', 'f', 'g'})), chunks); // "h <eos>" tail dropped
  }

  @Test
  void chunksStartWithBosWhenTheTokenizerHasOne() throws Exception {
    Path gpt2 = Path.of(getClass().getResource("/tokenize/gpt2/tokenizer.json").toURI());
    try (Tokenizer t = HfTokenizer.load(gpt2, new SpecialTokens(50256, 50256, -1, -1))) {
      Chunker c = new Chunker(t, 3);
      long[] stream = c.stream(List.of(new Row.Text("f", 1, "Hello world Hello")));
      assertArrayEquals(new long[] {15496, 995, 18435, 50256}, stream);
      assertEquals(List.of(new Example(new long[] {50256}, new long[] {15496, 995}),
          new Example(new long[] {50256}, new long[] {18435, 50256})), c.chunks(stream));
    }
  }

  @Test
  void pairsGetStartTokenEosAndTruncation() {
    Tokenizer t = new ByteTokenizer();
    DataReader r = new DataReader(BadLinePolicy.SKIP);
    Chunker c = new Chunker(t, 6);
    assertEquals(new Example(new long[] {EOS, 'p'}, new long[] {'a', 'b', EOS}),
        c.pair(new Row.Pair("f", 1, "p", "ab"), r));
    assertEquals(new Example(new long[] {EOS}, new long[] {'x', EOS}), c.pair(new Row.Pair("f", 2, "", "x"), r));
    assertEquals(new Example(new long[] {EOS, 'p', 'q'}, new long[] {'a', 'b', 'c'}), // cut: no room for EOS
        c.pair(new Row.Pair("f", 3, "pq", "abcdef"), r));
    assertNull(c.pair(new Row.Pair("f", 4, "pqrst", "a"), r)); // 6 prompt tokens, seqLen 6
    assertEquals(List.of("f:4: prompt too long (got 6 tokens, expected <= 5 to leave room for the completion)."
        + " Hint: raise seqLen or shorten the prompt"), r.skipped());
  }
}
