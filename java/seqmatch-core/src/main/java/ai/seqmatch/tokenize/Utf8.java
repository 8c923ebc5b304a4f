/*
 * Lossy UTF-8 decoding with one U+FFFD per "maximal subpart" of an ill-formed sequence (Unicode §3.9,
 * WHATWG), which is what Rust's String::from_utf8_lossy (and so Hugging Face decode) does. The JDK's
 * decoder differs on some inputs (ED B7 AA gives one U+FFFD, not three), which would make streamed text
 * differ from decoded text: every byte-level decode in this package goes through here.
 */
package ai.seqmatch.tokenize;

final class Utf8 {
  private Utf8() {}

  static String decodeLossy(byte[] b) {
    return decodeLossy(b, 0, b.length);
  }

  static String decodeLossy(byte[] b, int off, int len) {
    StringBuilder out = new StringBuilder(len);
    int end = off + len;
    int i = off;
    while (i < end) {
      int b0 = b[i] & 0xFF;
      if (b0 < 0x80) {
        out.append((char) b0);
        i++;
        continue;
      }
      int need;
      int lo = 0x80;
      int hi = 0xBF;
      int cp;
      if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        cp = b0 & 0x1F;
      } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        cp = b0 & 0x0F;
        lo = b0 == 0xE0 ? 0xA0 : 0x80; // no overlongs
        hi = b0 == 0xED ? 0x9F : 0xBF; // no surrogates
      } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        cp = b0 & 0x07;
        lo = b0 == 0xF0 ? 0x90 : 0x80;
        hi = b0 == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
      } else {
        out.append('\uFFFD');
        i++;
        continue;
      }
      int j = i + 1;
      boolean ok = true;
      for (int k = 0; k < need; k++, j++) {
        int c = j < end ? b[j] & 0xFF : -1;
        if (c < lo || c > hi) {
          ok = false; // the bad byte is not consumed: it may start the next character
          break;
        }
        cp = (cp << 6) | (c & 0x3F);
        lo = 0x80;
        hi = 0xBF;
      }
      if (ok) {
        out.appendCodePoint(cp);
      } else {
        out.append('\uFFFD');
      }
      i = j;
    }
    return out.toString();
  }
}
