/*
 * Incremental detokenizer for streaming generation with <bkspc>: every push/backspace returns the edit
 * (delete N chars, then append text) that keeps the client's text equal to what has been decoded so far.
 * Applying all edits, then finish(), yields exactly tokenizer.decode(ids, skipSpecial); with a context
 * (the prompt), the text the ids add after it: decode(context + ids) minus decode(context).
 * Tested by StreamingDecoderTest and HfTokenizerTest.
 */
package ai.seqmatch.tokenize;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Turns ids into text one token at a time. Byte-level tokenizers take O(1) per token: bytes of a UTF-8
 * character split across tokens are held back until the character is complete. Other tokenizers fall
 * back to re-decoding all ids per step (O(n) per token) and diffing, since their text is not a
 * concatenation of per-token strings (e.g. SentencePiece's leading-space rule), holding back the
 * tokens of an unfinished character (byte fallback). Not thread-safe.
 */
public final class StreamingDecoder {

  /** An edit of the streamed text: delete the last {@code deleteChars} UTF-16 chars, then append {@code text}. */
  public record Piece(int deleteChars, String text) {
    public static final Piece EMPTY = new Piece(0, "");

    public boolean isEmpty() {
      return deleteChars == 0 && text.isEmpty();
    }
  }

  /** What to restore on backspace: the text length and the held-back bytes before the token came. */
  private record Step(int textLength, byte[] pendingBefore) {}

  /** Prompt tokens kept as context: enough to make the first generated token a non-initial one. */
  static final int CONTEXT_TOKENS = 4;

  private final Tokenizer tokenizer;
  private final boolean skipSpecial;
  private final long[] context; // the last CONTEXT_TOKENS prompt ids (re-decoding path only)
  private final boolean byteLevel;
  private final StringBuilder text = new StringBuilder();
  private final Deque<Step> steps = new ArrayDeque<>();
  private long[] ids = new long[16];
  private byte[] pending = new byte[0]; // start of a UTF-8 character still waiting for its other bytes
  private boolean finished;

  StreamingDecoder(Tokenizer tokenizer, boolean skipSpecial, long[] context) {
    this.tokenizer = tokenizer;
    this.skipSpecial = skipSpecial;
    this.byteLevel = tokenizer.isByteLevel();
    // Byte-level text is a concatenation, so context changes nothing there. Ids the tokenizer does not
    // know (e.g. a <bkspc> appended to the model only) carry no text and are left out.
    this.context = byteLevel ? new long[0] : Arrays.stream(context)
        .skip(Math.max(0, context.length - CONTEXT_TOKENS)).filter(id -> id >= 0 && id < tokenizer.vocabSize())
        .toArray();
  }

  /** Adds one token; returns the edit to apply (often just an append, possibly nothing yet). */
  public Piece push(long id) {
    checkOpen();
    TokenIds.checkRange(id, steps.size(), tokenizer.vocabSize());
    if (steps.size() == ids.length) {
      ids = Arrays.copyOf(ids, ids.length * 2);
    }
    ids[steps.size()] = id;
    steps.push(new Step(text.length(), pending));
    if (!byteLevel) {
      return resync(false);
    }
    byte[] bytes = skipSpecial && tokenizer.isSpecial(id) ? new byte[0] : tokenizer.tokenBytes(id);
    byte[] buf = concat(pending, bytes);
    int stable = stablePrefix(buf);
    pending = Arrays.copyOfRange(buf, stable, buf.length);
    String added = Utf8.decodeLossy(buf, 0, stable);
    text.append(added);
    return added.isEmpty() ? Piece.EMPTY : new Piece(0, added);
  }

  /**
   * Removes the last token (a {@code <bkspc>} action). Returns the edit: how many already-streamed chars
   * to delete (0 when the token's bytes were still held back).
   *
   * @throws IllegalStateException if there is no token to remove
   */
  public Piece backspace() {
    checkOpen();
    if (steps.isEmpty()) {
      throw new IllegalStateException("backspace: no token to remove (got 0 tokens, expected >= 1)");
    }
    Step last = steps.pop();
    if (!byteLevel) {
      return resync(false);
    }
    int deleted = text.length() - last.textLength();
    text.setLength(last.textLength());
    pending = last.pendingBefore();
    return deleted == 0 ? Piece.EMPTY : new Piece(deleted, "");
  }

  /** Ends the stream: bytes still held back (an unfinished character) come out as U+FFFD. */
  public Piece finish() {
    checkOpen();
    finished = true;
    if (!byteLevel) {
      return resync(true);
    }
    String tail = Utf8.decodeLossy(pending);
    pending = new byte[0];
    text.append(tail);
    return tail.isEmpty() ? Piece.EMPTY : new Piece(0, tail);
  }

  /** The text streamed so far (all edits applied). */
  public String text() {
    return text.toString();
  }

  /** The ids pushed and not backspaced. */
  public long[] ids() {
    return Arrays.copyOf(ids, steps.size());
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("streaming decoder: already finished. Hint: use a new decoder per stream");
    }
  }

  /**
   * Fallback mode: decode everything and diff. Until the stream ends, the tokens of an unfinished
   * character are held back: when the text ends in U+FFFD, the longest prefix of the ids (dropping at
   * most 3 tokens, the most a UTF-8 character spans) whose text does not is streamed instead. Byte
   * fallback needs the prefix, not just a trimmed tail: Hugging Face's ByteFallback decoder turns a whole
   * run of byte tokens into U+FFFDs when its last character is incomplete ("你" + the first byte of "好"
   * decodes to four U+FFFD), so trimming would delete "你" and retype it one token later.
   */
  private Piece resync(boolean last) {
    long[] all = ids();
    String full = decodeAfterContext(all);
    int end = full.length();
    if (!last && end > 0 && full.charAt(end - 1) == '\uFFFD') {
      String held = null;
      for (int k = all.length - 1; k >= Math.max(0, all.length - 3) && held == null; k--) {
        String prefix = decodeAfterContext(Arrays.copyOf(all, k));
        if (prefix.isEmpty() || prefix.charAt(prefix.length() - 1) != '\uFFFD') {
          held = prefix;
        }
      }
      if (held != null) {
        full = held;
        end = full.length();
      }
      while (end > 0 && full.charAt(end - 1) == '\uFFFD') {
        end--;
      }
    }
    int common = 0;
    int max = Math.min(end, text.length());
    while (common < max && full.charAt(common) == text.charAt(common)) {
      common++;
    }
    Piece piece = new Piece(text.length() - common, full.substring(common, end));
    text.setLength(common);
    text.append(piece.text());
    return piece.isEmpty() ? Piece.EMPTY : piece;
  }

  private String decodeAfterContext(long[] ids) {
    return tokenizer.decodeContinuation(context, ids, skipSpecial);
  }

  /**
   * Length of the prefix of {@code buf} that can be decoded now: everything except a trailing, still
   * valid, incomplete UTF-8 sequence. Splitting there gives the same text as decoding all at once,
   * because a lead byte can never continue an earlier (complete or malformed) sequence.
   */
  static int stablePrefix(byte[] buf) {
    for (int back = 1; back <= Math.min(3, buf.length); back++) {
      int p = buf.length - back;
      int b = buf[p] & 0xFF;
      if (b < 0x80 || b >= 0xC0) { // found the last non-continuation byte
        int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
        return back < need && validContinuation(buf, p, b) ? p : buf.length;
      }
    }
    return buf.length;
  }

  /** True if the bytes after lead {@code b} at {@code p} are a valid start of its sequence (RFC 3629 table). */
  private static boolean validContinuation(byte[] buf, int p, int b) {
    for (int i = p + 1; i < buf.length; i++) {
      int c = buf[i] & 0xFF;
      int lo = 0x80;
      int hi = 0xBF;
      if (i == p + 1) { // the second byte's range excludes overlongs and surrogates
        lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
      }
      if (c < lo || c > hi) {
        return false;
      }
    }
    return true;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }
}
