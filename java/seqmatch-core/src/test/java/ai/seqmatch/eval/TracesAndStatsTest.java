/* Backspace rate, actions per token, and the ⌫ trace of hand-made generation results. */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.tokenize.ByteTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class TracesAndStatsTest {
  static final long EOS = ByteTokenizer.EOS;
  static final long BK = ByteTokenizer.BKSPC;

  /** prompt "Q", actions '1' '2' <bk> '3' <eos>: final state "Q13<eos>". */
  static final GenerationResult EDITED = new GenerationResult(new long[] {'Q', '1', '3', EOS}, 1,
      new long[] {'1', '2', BK, '3', EOS}, null, FinishReason.EOS, 1);
  static final GenerationResult PLAIN = new GenerationResult(new long[] {'Q', '7', EOS}, 1,
      new long[] {'7', EOS}, null, FinishReason.EOS, 0);

  @Test
  void actionStats() {
    ActionStats s = ActionStats.of(List.of(EDITED, PLAIN));
    assertEquals(new ActionStats(7, 1, 5), s); // tokens: "13<eos>" + "7<eos>"
    assertEquals(1.0 / 7, s.backspaceRate(), 1e-12);
    assertEquals(7.0 / 5, s.actionsPerToken(), 1e-12);
    assertTrue(Double.isNaN(ActionStats.of(List.of()).backspaceRate()));
  }

  @Test
  void traceShowsBackspaces() {
    ByteTokenizer tok = new ByteTokenizer();
    assertEquals("13", Traces.completion(EDITED, tok));
    assertEquals("12\u232b3", Traces.trace(EDITED, tok, BK));
    assertEquals("7", Traces.trace(PLAIN, tok, BK));
    // ids the tokenizer does not know (a model's padded rows) are dropped, not an error
    assertEquals("7", Traces.decode(new long[] {'7', 300}, tok));
  }

  @Test
  void wordUnitsShareIdsAcrossTheCorpus() {
    ByteTokenizer tok = new ByteTokenizer();
    GenerationResult a = new GenerationResult(tok.encode("Qa b a"), 1, tok.encode("a b a"), null, FinishReason.EOS, 0);
    GenerationResult b = new GenerationResult(tok.encode("Qb  c\n"), 1, tok.encode("b  c\n"), null, FinishReason.EOS, 0);
    List<long[]> words = Units.WORDS.sequences(List.of(a, b), tok);
    assertEquals(List.of(0L, 1L, 0L), java.util.Arrays.stream(words.get(0)).boxed().toList());
    assertEquals(List.of(1L, 2L), java.util.Arrays.stream(words.get(1)).boxed().toList());
    assertEquals(5, Units.TOKENS.sequences(List.of(a), tok).get(0).length);
    assertEquals(2, Units.TOKENS.sequences(List.of(PLAIN), tok).get(0).length + 1); // <eos> removed
  }
}
