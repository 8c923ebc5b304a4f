/*
 * StepEngine over the native CausalLM without a KV cache: every step re-runs the full forward on each
 * stepped row's current state (ragged rows right-padded, explicit causal mask per row), taking each
 * row's last real position. O(T²) per token: the correctness reference for OrtStepEngine and the
 * development fallback behind `seqmatch serve --checkpoint`. Legend: B rows, T padded length, V actions.
 */
package ai.seqmatch.serving.engine;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Full-recompute decoding on a native model. */
public final class RecomputeStepEngine extends BatchStepEngine {
  /** Cap on B·T·V logits per forward call (64 MiB of floats); larger batches run in chunks. */
  private static final long MAX_LOGITS = 16L << 20;

  private final CausalLM model;
  private final boolean ownsModel;
  private final int V;

  /** An engine over {@code model}, which stays the caller's to close (after this engine). */
  public RecomputeStepEngine(CausalLM model) {
    this(model, false);
  }

  private RecomputeStepEngine(CausalLM model, boolean ownsModel) {
    super(infoOf(model.config()));
    this.model = model;
    this.ownsModel = ownsModel;
    this.V = (int) model.config().vocabSize();
  }

  /** Loads a checkpoint directory on the CPU; the engine owns (and closes) the model. */
  public static RecomputeStepEngine load(Path checkpoint) {
    return load(checkpoint, null);
  }

  /** Loads a base checkpoint plus a LoRA adapter directory (null: none), merged, on the CPU. */
  public static RecomputeStepEngine load(Path checkpoint, Path adapter) {
    CausalLM m = CausalLM.load(checkpoint, adapter, Device.cpu());
    try {
      return new RecomputeStepEngine(m, true);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static EngineInfo infoOf(ModelConfig c) {
    return new EngineInfo("native-recompute", c.vocabSize(), c.nPositions(), c.nLayer(), c.nHead(), c.nEmbd(),
        c.bosTokenId(), c.eosTokenId(), c.bkspcTokenId());
  }

  @Override
  protected void prefill(Row row) {
    forward(List.of(row));
  }

  @Override
  protected void forward(List<Row> rows) {
    List<Row> chunk = new ArrayList<>();
    int longest = 0;
    for (Row r : rows) {
      int T = Math.max(longest, r.length);
      if (!chunk.isEmpty() && (long) (chunk.size() + 1) * T * V > MAX_LOGITS) {
        run(chunk, longest);
        chunk.clear();
        T = r.length;
      }
      chunk.add(r);
      longest = T;
    }
    run(chunk, longest);
  }

  /** One padded forward; padded query rows attend key 0 only, so no softmax row is all masked. */
  private void run(List<Row> rows, int T) {
    int B = rows.size();
    long[] ids = new long[B * T];
    long[] pos = new long[B * T];
    boolean[] mask = new boolean[B * T * T]; // (B, T, T): query i may attend key j
    for (int b = 0; b < B; b++) {
      Row r = rows.get(b);
      for (int i = 0; i < T; i++) {
        boolean real = i < r.length;
        ids[b * T + i] = real ? r.tokens[i] : 0;
        pos[b * T + i] = real ? i : 0;
        for (int j = 0; j <= (real ? i : 0); j++) {
          mask[(b * T + i) * T + j] = true;
        }
      }
    }
    float[] logits = model.forward(ids, pos, mask, B, T); // (B, T, V)
    for (int b = 0; b < B; b++) {
      Row r = rows.get(b);
      if (r.logits == null) {
        r.logits = new float[V];
      }
      System.arraycopy(logits, (b * T + r.length - 1) * V, r.logits, 0, V);
    }
  }

  @Override
  protected void closeModel() {
    if (ownsModel) {
      model.close();
    }
  }
}
