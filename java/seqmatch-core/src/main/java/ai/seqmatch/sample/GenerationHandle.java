/*
 * Control of one streaming generation, given to GenerationListener.onStart. Cancellation requests are
 * queued (thread-safe) and applied by the generating thread before its next step, so a listener may
 * call cancel() from inside a callback and another thread (e.g. a server whose client went away) at
 * any time.
 */
package ai.seqmatch.sample;

import ai.seqmatch.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Cancels rows of a running generation. */
public final class GenerationHandle {
  private final int rows;
  private final ConcurrentLinkedQueue<Integer> pending = new ConcurrentLinkedQueue<>();

  /** A handle over {@code rows} rows; engines other than {@link Generator} (e.g. ONNX Runtime) create one too. */
  public GenerationHandle(int rows) {
    this.rows = rows;
  }

  /** Number of rows (prompts) in this generation. */
  public int rows() {
    return rows;
  }

  /**
   * Finishes row {@code row} with {@link FinishReason#CANCELLED} before its next action; other rows go
   * on. A row that finishes in the meantime keeps its own reason. Cancelling twice is harmless.
   */
  public void cancel(int row) {
    if (row < 0 || row >= rows) {
      throw new InvalidInputException(
          "generate: cancel of unknown row (got " + row + ", expected 0.." + (rows - 1) + ")");
    }
    pending.add(row);
  }

  /** Cancels every row. */
  public void cancelAll() {
    for (int row = 0; row < rows; row++) {
      pending.add(row);
    }
  }

  /** The rows to cancel now, in request order (drained); called by the generating engine between steps. */
  public List<Integer> drain() {
    List<Integer> out = new ArrayList<>();
    for (Integer row = pending.poll(); row != null; row = pending.poll()) {
      out.add(row);
    }
    return out;
  }
}
