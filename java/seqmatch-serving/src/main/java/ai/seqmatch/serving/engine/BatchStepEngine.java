/*
 * The model-independent half of a StepEngine: row bookkeeping, <bkspc> masking, the no-retype rule
 * (ai.seqmatch.sample.RetypeBans, shared with the ONNX Runtime generator), action choice
 * (ai.seqmatch.onnx.Sampling, the one Java port of sampling.cpp) and finish rules (Row.apply).
 * Subclasses supply the logits: prefill() for a new row's prompt, forward() for the rows whose state
 * changed in the last step.
 */
package ai.seqmatch.serving.engine;

import ai.seqmatch.ModelOutputException;
import ai.seqmatch.onnx.Sampling;
import java.util.ArrayList;
import java.util.List;

abstract class BatchStepEngine implements StepEngine {
  protected final EngineInfo info;
  private final List<Row> active = new ArrayList<>();
  private long nextId;
  private boolean closed;

  BatchStepEngine(EngineInfo info) {
    this.info = info;
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  /** Computes {@code row.logits} for its prompt (and any per-row cache). */
  protected abstract void prefill(Row row);

  /** Computes the logits of each row's current state, whose last token is new (or re-fed after a <bkspc>). */
  protected abstract void forward(List<Row> rows);

  /** Frees a row's per-row state. */
  protected void release(Row row) {
    row.cache = null;
  }

  /** Tokens the row can hold: its prompt plus max_new_tokens, within the model's context. */
  protected int capacity(long[] prompt, RowParams p) {
    return (int) Math.min(info.nPositions(), prompt.length + Math.min(p.maxNewTokens(), info.nPositions()));
  }

  @Override
  public Row add(long[] prompt, RowParams params) {
    checkOpen();
    Row row = new Row(nextId++, prompt, params, capacity(prompt, params));
    prefill(row);
    active.add(row);
    return row;
  }

  /**
   * One action per runnable row. Actions are chosen for every row before any is applied, so a row whose
   * logits cannot be sampled (NaN/+inf, nothing allowed) fails alone: it is removed and its
   * ModelOutputException (row() = the row's id) propagates while the other rows are left untouched, to be
   * stepped by the next call.
   */
  @Override
  public List<StepEvent> step() {
    checkOpen();
    List<Row> runnable = new ArrayList<>();
    for (Row r : active) {
      if (!r.paused) {
        runnable.add(r);
      }
    }
    long[] chosen = new long[runnable.size()];
    for (int i = 0; i < chosen.length; i++) {
      Row r = runnable.get(i);
      try {
        chosen[i] = choose(r);
      } catch (ModelOutputException e) {
        cancel(r);
        throw e.atRow(r.id());
      }
    }
    List<StepEvent> events = new ArrayList<>();
    List<Row> stepped = new ArrayList<>();
    for (int i = 0; i < chosen.length; i++) {
      Row r = runnable.get(i);
      StepEvent e = r.apply(chosen[i], info);
      events.add(e);
      if (e.finish() == null) {
        stepped.add(r);
      }
    }
    active.removeIf(r -> {
      if (r.finish != null) {
        r.removed = true;
        release(r);
        return true;
      }
      return false;
    });
    if (!stepped.isEmpty()) {
      forward(stepped);
    }
    return events;
  }

  /** The row's next action: <bkspc> masked at the prompt, the no-retype rule where it applies. */
  private long choose(Row r) {
    float[] x = r.logits.clone();
    int bk = (int) info.bkspcTokenId();
    if (bk >= 0 && r.backspaceBlocked()) {
      x[bk] = Float.NEGATIVE_INFINITY; // never delete the prompt
    }
    RowParams p = r.params();
    if (p.retypeBanned()) {
      r.bans.mask(x, r.generatedTokens());
    }
    double u = p.greedy() ? 0 : Sampling.counterUniform(p.seed(), r.numActions);
    return Sampling.choose(x, p.greedy(), p.temperature(), p.topK(), p.topP(), u).action();
  }

  @Override
  public void cancel(Row row) {
    if (!row.removed && active.remove(row)) {
      row.removed = true;
      release(row);
    }
  }

  @Override
  public void setPaused(Row row, boolean paused) {
    row.paused = paused;
  }

  @Override
  public int activeRows() {
    return active.size();
  }

  @Override
  public int runnableRows() {
    int n = 0;
    for (Row r : active) {
      n += r.paused ? 0 : 1;
    }
    return n;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Row r : active) {
      r.removed = true;
      release(r);
    }
    active.clear();
    closeModel();
  }

  /** Closes whatever the engine owns. */
  protected abstract void closeModel();

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("step engine is closed");
    }
  }
}
