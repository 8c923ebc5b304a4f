/*
 * Streaming callbacks of Generator.generate(prompts, options, listener). Events arrive on the calling
 * thread, in action order per row; rows of one batch interleave step by step. Applying them to a list
 * (append on onToken, remove the last element on onBackspace) reproduces each row's final tokens.
 */
package ai.seqmatch.sample;

/**
 * Receives a generation as it happens. Every method has an empty default. An exception thrown here
 * stops the whole generation, frees its native state and propagates out of {@code generate}.
 */
public interface GenerationListener {

  /** Called once before the first action; keep {@code handle} to cancel rows later (from any thread). */
  default void onStart(GenerationHandle handle) {}

  /** Row {@code row} appended {@code tokenId} (also the final {@code <eos>} or stop id). */
  default void onToken(int row, long tokenId) {}

  /** Row {@code row} took a {@code <bkspc>} action that deleted its last generated token, {@code deletedTokenId}. */
  default void onBackspace(int row, long deletedTokenId) {}

  /** Row {@code row} finished; called exactly once per row, right after its last event (or its cancellation). */
  default void onFinished(int row, GenerationResult result) {}
}
