/*
 * Text views of generated rows for reports: the completion (final state after the prompt, specials and ids
 * the tokenizer lacks dropped) and the action trace with every <bkspc> shown as "⌫" (U+232B) right after the
 * text it deletes, e.g. "12⌫3" for actions 1 2 <bkspc> 3. Tested by TracesTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.Arrays;

/** Decoding helpers for generated rows. */
public final class Traces {
  public static final String BACKSPACE = "\u232b";

  private Traces() {}

  /** The generated text of the final state. */
  public static String completion(GenerationResult r, Tokenizer tokenizer) {
    return decode(r.generated(), tokenizer);
  }

  /** The action trace: runs of tokens decoded together, each {@code bkspc} action as "⌫" (bkspc -1: none). */
  public static String trace(GenerationResult r, Tokenizer tokenizer, long bkspc) {
    long[] actions = r.actions();
    StringBuilder out = new StringBuilder();
    int start = 0;
    for (int i = 0; i <= actions.length; i++) {
      boolean isBackspace = i < actions.length && bkspc >= 0 && actions[i] == bkspc;
      if (i == actions.length || isBackspace) {
        out.append(decode(Arrays.copyOfRange(actions, start, i), tokenizer));
        if (isBackspace) {
          out.append(BACKSPACE);
        }
        start = i + 1;
      }
    }
    return out.toString();
  }

  /** Text of {@code ids}, specials and ids outside the tokenizer's vocabulary dropped. */
  public static String decode(long[] ids, Tokenizer tokenizer) {
    long[] known = Arrays.stream(ids).filter(id -> id >= 0 && id < tokenizer.vocabSize()).toArray();
    return tokenizer.decode(known, true);
  }
}
