/*
 * The text side of one stream: a StreamingDecoder over the generated tokens (prompt excluded, but its
 * last tokens given as context, so a SentencePiece continuation keeps its leading space; specials and ids
 * outside the tokenizer's vocabulary contribute no text), with every edit re-expressed in Unicode
 * code points, the unit of the proto (UTF-16 counts would differ from Python's or Rust's). Without a
 * tokenizer every edit is empty. Not thread-safe: one per stream, used by the scheduler thread.
 */
package ai.seqmatch.serving;

import ai.seqmatch.tokenize.StreamingDecoder;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayDeque;
import java.util.Deque;

public final class TextStream {
  /** Delete {@code deleteChars} code points from the end, then append {@code text}. */
  record Edit(int deleteChars, String text) {
    static final Edit NONE = new Edit(0, "");
  }

  private final Tokenizer tokenizer; // null: no text
  private final StreamingDecoder decoder;
  private final StringBuilder text = new StringBuilder();
  private final Deque<Boolean> pushed = new ArrayDeque<>(); // per token: did it go to the decoder?

  TextStream(Tokenizer tokenizer, long[] prompt) {
    this.tokenizer = tokenizer;
    this.decoder = tokenizer == null ? null : tokenizer.streamingDecoder(true, prompt);
  }

  /** The text so far (all edits applied). */
  String text() {
    return text.toString();
  }

  Edit push(long id) {
    boolean known = decoder != null && id >= 0 && id < tokenizer.vocabSize();
    pushed.push(known);
    return known ? apply(decoder.push(id)) : Edit.NONE;
  }

  /**
   * Deletes the last generated token's text; null (no change) when no generated token is left to delete,
   * which a correct engine never asks for (the prompt is never deleted): the caller fails that row.
   */
  Edit backspace() {
    if (pushed.isEmpty()) {
      return null;
    }
    return pushed.pop() ? apply(decoder.backspace()) : Edit.NONE;
  }

  /** The held-back tail (an unfinished UTF-8 character as U+FFFD); call once, at the end. */
  Edit finish() {
    return decoder == null ? Edit.NONE : apply(decoder.finish());
  }

  private Edit apply(StreamingDecoder.Piece p) {
    if (p.isEmpty()) {
      return Edit.NONE;
    }
    int keep = text.length() - p.deleteChars();
    int deleted = text.codePointCount(keep, text.length());
    text.setLength(keep);
    text.append(p.text());
    return new Edit(deleted, p.text());
  }
}
