/*
 * Row-level decoding for continuous (iteration-level) batching: rows join (add) and leave (finish,
 * cancel) between steps, and each step takes one action for every active, unpaused row, with the
 * semantics of the native sampler (DESIGN.md §3 "Generation"; native/src/sample/decoder.cpp).
 * Implementations: OrtStepEngine (ONNX Runtime, per-row KV cache) and RecomputeStepEngine (native
 * full forward each step; slow reference and development fallback). Tested by StepEngineTest.
 */
package ai.seqmatch.serving.engine;

import java.util.List;

/**
 * A batch of generation rows over one model. Not thread-safe: one thread (the server's scheduler)
 * drives it; close() must not overlap other calls.
 */
public interface StepEngine extends AutoCloseable {
  EngineInfo info();

  /**
   * Adds a row and prefills its prompt; it takes part from the next {@link #step()}. The prompt must be
   * non-empty, shorter than n_positions, with ids in the vocabulary (checked by the caller).
   */
  Row add(long[] prompt, RowParams params);

  /**
   * One action for every active row that is not paused. Rows that finish leave the batch. Returns the
   * events in row order (empty when no row could step).
   */
  List<StepEvent> step();

  /** Removes an unfinished row now (no event); a finished or removed row is ignored. */
  void cancel(Row row);

  /** A paused row keeps its state and takes no actions until resumed; outputs do not change. */
  void setPaused(Row row, boolean paused);

  /** Rows added and neither finished nor cancelled, paused ones included. */
  int activeRows();

  /** Active rows that are not paused: those the next step advances. */
  int runnableRows();

  @Override
  void close();
}
