/* Random multilingual texts for tokenizer tests: ASCII, accents, CJK, emoji (surrogate pairs), whitespace. */
package ai.seqmatch.tokenize;

import java.util.List;
import java.util.Random;

final class TextSamples {
  static final List<String> FIXED =
      List.of("", "Hello world", "naïve café", "日本語のテキスト", "😀👍🏽 emoji", "a\n\tb  c", "<eos><bkspc>");
  private static final String[] PARTS = {
    "the ", "cat", " sat", "é", "ß", "日本", "語", "😀", "👍🏽", "\n", "  ", "\t", "!", "1234", "Ωμέγα", "ü", "🇫🇷", "<pad>"
  };

  private TextSamples() {}

  static String random(Random rng, int parts) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < parts; i++) {
      sb.append(PARTS[rng.nextInt(PARTS.length)]);
    }
    return sb.toString();
  }
}
