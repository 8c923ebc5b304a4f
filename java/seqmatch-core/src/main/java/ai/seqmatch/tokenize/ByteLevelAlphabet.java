/*
 * GPT-2's byte-level BPE alphabet (openai/gpt-2 encoder.py bytes_to_unicode): every byte is shown as a
 * printable character so that vocab strings are valid text. We invert it to get each token's raw bytes,
 * which is what makes streaming decode byte-exact (a token may hold half of a UTF-8 character).
 */
package ai.seqmatch.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

final class ByteLevelAlphabet {
  private static final int[] CHAR_TO_BYTE = build();

  private ByteLevelAlphabet() {}

  private static int[] build() {
    int[] charToByte = new int[512];
    Arrays.fill(charToByte, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      // Printable bytes stand for themselves; the rest are shifted to 256.. in byte order.
      charToByte[printable ? b : 256 + n++] = b;
    }
    return charToByte;
  }

  /**
   * Bytes of a token string, as Hugging Face's ByteLevel decoder computes them: mapped through the
   * alphabet when every char belongs to it, else the string's own UTF-8 (added tokens such as "<pad>").
   */
  static byte[] tokenBytes(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
      if (b < 0) {
        return token.getBytes(StandardCharsets.UTF_8);
      }
      out[i] = (byte) b;
    }
    return out;
  }
}
