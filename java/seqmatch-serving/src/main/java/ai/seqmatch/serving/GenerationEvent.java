/*
 * What a Session tells its front end, in the wire-neutral units of proto/seqmatch/v1 (text edits count
 * Unicode code points): a token appended, tokens deleted by <bkspc>, or the finished result. The gRPC
 * adapter turns these into GenerateEvent / GenerateResponse messages, the HTTP adapter into SSE chunks.
 */
package ai.seqmatch.serving;

import ai.seqmatch.sample.FinishReason;

public sealed interface GenerationEvent {
  /** Delete {@code deleteChars} code points from the end of the text, then append {@code text}. */
  record Token(long id, int deleteChars, String text) implements GenerationEvent {}

  /** {@code count} tokens deleted; delete {@code deleteChars} code points from the end of the text. */
  record Backspace(int count, int deleteChars, long deletedId) implements GenerationEvent {}

  /**
   * The end of a generation.
   *
   * @param text the final text; a stream's edits plus {@code tail} build it up
   * @param tail text held back until the end (an unfinished UTF-8 character as U+FFFD)
   * @param actions every action taken, {@code <bkspc>} as its id
   */
  record Finished(FinishReason reason, Usage usage, String text, String tail, long[] promptIds,
      long[] generatedIds, long[] actions) implements GenerationEvent {}

  /** Counts and timings of one generation; times from arrival at the server, in microseconds. */
  record Usage(int promptTokens, int generatedTokens, int backspaces, int actions, long seed,
      long timeToFirstActionUs, long totalTimeUs) {}
}
