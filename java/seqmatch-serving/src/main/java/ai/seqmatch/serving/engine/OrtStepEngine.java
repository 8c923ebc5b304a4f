/*
 * StepEngine on ONNX Runtime (an export of `seqmatch export`; graph contract in
 * ai.seqmatch.onnx.OnnxModelInfo): each row keeps its KV cache in Java, per layer (H, capacity, D) with
 * `cached` live entries. A step feeds every stepped row's last token at position length-1 after its live
 * entries: ragged rows share one past (B, H, Pmax, D), each row's entries first and the attention mask
 * marking them, the new token at slot Pmax. A <bkspc> rolls back by dropping two entries (the deleted
 * token's and the new last token's) and re-feeding the new last token, whose logits are then those of the
 * shortened state — the native decoder's protocol. New rows prefill alone (B = 1) when they join.
 * Legend: B rows, H cache heads (n_kv_heads), D head_dim, P past slots, L layers, V actions. Tested by
 * StepEngineTest.
 */
package ai.seqmatch.serving.engine;

import ai.seqmatch.onnx.ExecutionProvider;
import ai.seqmatch.onnx.OnnxModelInfo;
import ai.seqmatch.onnx.OrtModel;
import java.nio.file.Path;
import java.util.List;

/** KV-cached decoding on an exported ONNX model. */
public final class OrtStepEngine extends BatchStepEngine {
  private final OrtModel model;
  private final boolean ownsModel;
  private final int L;
  private final int H;
  private final int D;
  private final int V;

  /** An engine over {@code model}, which stays the caller's to close (after this engine). */
  public OrtStepEngine(OrtModel model) {
    this(model, false);
  }

  private OrtStepEngine(OrtModel model, boolean ownsModel) {
    super(infoOf(model.info()));
    this.model = model;
    this.ownsModel = ownsModel;
    OnnxModelInfo i = model.info();
    this.L = (int) i.nLayer();
    this.H = (int) i.nKvHeads(); // cache heads: n_kv_heads (GQA), n_head for GPT-2
    this.D = (int) i.headDim();
    this.V = (int) i.vocabSize();
  }

  /** Loads an export directory on the CPU; the engine owns (and closes) the session. */
  public static OrtStepEngine load(Path exportDir, int intraOpThreads) {
    OrtModel m = OrtModel.load(exportDir, ExecutionProvider.CPU, intraOpThreads);
    try {
      return new OrtStepEngine(m, true);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static EngineInfo infoOf(OnnxModelInfo i) {
    return new EngineInfo("onnxruntime", i.vocabSize(), i.nPositions(), i.nLayer(), i.nHead(), i.nEmbd(),
        i.bosTokenId(), i.eosTokenId(), i.bkspcTokenId());
  }

  /** A row's cache: per layer (H, capacity, D) keys and values, {@code cached} live entries. */
  private static final class Kv {
    final float[][] keys;
    final float[][] values;
    final int capacity;
    int cached;

    Kv(int layers, int heads, int capacity, int headDim) {
      this.capacity = capacity;
      keys = new float[layers][heads * capacity * headDim];
      values = new float[layers][heads * capacity * headDim];
    }
  }

  @Override
  protected void prefill(Row row) {
    int T = row.length;
    Kv kv = new Kv(L, H, row.tokens.length, D);
    OrtModel.Step s = model.forward(row.tokens(), null, null, 1, T, 0, null, null);
    for (int l = 0; l < L; l++) {
      append(kv, l, s.presentKey()[l], s.presentValue()[l], 0, T, 0, T);
    }
    kv.cached = T;
    row.cache = kv;
    row.logits = new float[V];
    System.arraycopy(s.logits(), (T - 1) * V, row.logits, 0, V);
  }

  @Override
  protected void forward(List<Row> rows) {
    int B = rows.size();
    int P = 0;
    for (Row r : rows) {
      Kv kv = (Kv) r.cache;
      kv.cached = r.length - 1; // after a token: unchanged; after a <bkspc>: two entries dropped
      P = Math.max(P, kv.cached);
    }
    int S = P + 1;
    long[] ids = new long[B];
    long[] pos = new long[B];
    boolean[] mask = new boolean[B * S]; // (B, 1, P + 1)
    float[][] pastKey = new float[L][B * H * P * D]; // (B, H, P, D) per layer
    float[][] pastValue = new float[L][B * H * P * D];
    for (int b = 0; b < B; b++) {
      Row r = rows.get(b);
      Kv kv = (Kv) r.cache;
      ids[b] = r.last();
      pos[b] = r.length - 1;
      for (int j = 0; j < S; j++) {
        mask[b * S + j] = j < kv.cached || j == P;
      }
      for (int l = 0; l < L; l++) {
        for (int h = 0; h < H; h++) {
          int dst = (b * H + h) * P * D;
          int src = h * kv.capacity * D;
          System.arraycopy(kv.keys[l], src, pastKey[l], dst, kv.cached * D);
          System.arraycopy(kv.values[l], src, pastValue[l], dst, kv.cached * D);
        }
      }
    }
    OrtModel.Step s = model.forward(ids, pos, mask, B, 1, P, P == 0 ? null : pastKey, P == 0 ? null : pastValue);
    for (int b = 0; b < B; b++) {
      Row r = rows.get(b);
      Kv kv = (Kv) r.cache;
      for (int l = 0; l < L; l++) {
        append(kv, l, s.presentKey()[l], s.presentValue()[l], b, S, P, 1);
      }
      kv.cached++;
      System.arraycopy(s.logits(), b * V, r.logits, 0, V);
    }
  }

  /** Copies n entries from present (B, H, S, D), slots from..from+n-1 of batch slot b, after the live ones. */
  private void append(Kv kv, int l, float[] presentKey, float[] presentValue, int b, int S, int from, int n) {
    for (int h = 0; h < H; h++) {
      int src = ((b * H + h) * S + from) * D;
      int dst = (h * kv.capacity + kv.cached) * D;
      System.arraycopy(presentKey, src, kv.keys[l], dst, n * D);
      System.arraycopy(presentValue, src, kv.values[l], dst, n * D);
    }
  }

  @Override
  protected void closeModel() {
    if (ownsModel) {
      model.close();
    }
  }
}
