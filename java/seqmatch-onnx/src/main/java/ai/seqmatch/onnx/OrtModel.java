/*
 * An exported GPT-2 (model.onnx + seqmatch-onnx.json) in one ONNX Runtime session, shared by every
 * request: OrtSession.run is thread-safe, and per-call buffers come from a pool of Scratch arenas, so
 * forward() and OrtGenerator.generate() may run concurrently; close() waits for calls in flight.
 * Inputs are direct buffers; outputs are pinned into direct buffers (no copy out of ORT); every
 * OnnxTensor and Result is closed by try-with-resources. Tested by OrtParityTest.
 */
package ai.seqmatch.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.seqmatch.CheckpointException;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.SeqMatchException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** B batch, T new positions, P past positions, H heads, D head_dim, V vocab. */
public final class OrtModel implements AutoCloseable {
  /** The graph output of the final hidden state, [B, T, n_embd] (Gpt2OnnxGraph). */
  public static final String HIDDEN_OUTPUT = "last_hidden_state";
  private static final System.Logger LOG = System.getLogger(OrtModel.class.getName());

  private final OrtEnvironment env;
  private final OnnxModelInfo info;
  private final ExecutionProvider provider;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final ConcurrentLinkedQueue<Scratch> pool = new ConcurrentLinkedQueue<>();
  private OrtSession session; // null once closed; guarded by lock

  private OrtModel(OrtEnvironment env, OrtSession session, OnnxModelInfo info, ExecutionProvider provider) {
    this.env = env;
    this.session = session;
    this.info = info;
    this.provider = provider;
  }

  /** Loads an export directory on the CPU with ONNX Runtime's default threading. */
  public static OrtModel load(Path dir) {
    return load(dir, ExecutionProvider.CPU, 0);
  }

  /**
   * Loads an export directory. A CUDA request where the CUDA EP cannot start (CPU-only onnxruntime jar,
   * no GPU, missing CUDA libraries) logs one WARN line and runs on the CPU: see {@link #executionProvider()}.
   *
   * @param intraOpThreads ONNX Runtime intra-op threads; 0 = its default (one per core)
   */
  public static OrtModel load(Path dir, ExecutionProvider ep, int intraOpThreads) {
    OnnxModelInfo info = OnnxModelInfo.read(dir);
    if (intraOpThreads < 0) {
      throw new InvalidInputException("onnx model: intra-op threads must be >= 0 (got " + intraOpThreads + ")");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    String file = dir.resolve(info.modelFile()).toAbsolutePath().toString();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
      }
      ExecutionProvider used = ExecutionProvider.CPU;
      if (ep == ExecutionProvider.CUDA) {
        try {
          options.addCUDA(0);
          used = ExecutionProvider.CUDA;
        } catch (OrtException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "WARN onnx: CUDA execution provider requested but unavailable ("
              + firstLine(e.getMessage()) + "); FALLING BACK TO CPU. Hint: build with -Pgpu (onnxruntime_gpu) "
              + "on a machine with CUDA 12 and cuDNN 9");
        }
      }
      OrtSession session = env.createSession(file, options);
      return new OrtModel(env, session, info, used);
    } catch (OrtException e) {
      throw new CheckpointException("onnx model " + file + ": ONNX Runtime cannot load it ("
          + firstLine(e.getMessage()) + "). Hint: re-export it with 'seqmatch export'", e);
    }
  }

  public OnnxModelInfo info() {
    return info;
  }

  /** The provider actually in use (CPU after a CUDA fallback). */
  public ExecutionProvider executionProvider() {
    return provider;
  }

  /**
   * Forward without a cache. ids, pos: [B*T] (pos null: 0..T-1); mask: [B*T*T], true where query i may
   * attend key j (null: causal). Returns logits [B*T*V].
   */
  public float[] forward(long[] ids, long[] pos, boolean[] mask, int B, int T) {
    return forward(ids, pos, mask, B, T, 0, null, null).logits();
  }

  /** Logits and the presents (per layer [B*Hkv*(P+T)*D], Hkv = n_kv_heads) of one cached forward. */
  public record Step(float[] logits, float[][] presentKey, float[][] presentValue) {}

  /**
   * Forward after P cached positions. mask: [B*T*(P+T)] (null: all past visible, causal among the new);
   * pastKey/pastValue: per layer [B*Hkv*P*D] (null when P = 0).
   */
  public Step forward(long[] ids, long[] pos, boolean[] mask, int B, int T, int P, float[][] pastKey,
      float[][] pastValue) {
    int L = (int) info.nLayer();
    int S = P + T;
    checkShape(ids, pos, mask, B, T, P, pastKey, pastValue);
    return withSession(s -> {
      Scratch sc = borrow();
      try {
        sc.prepare(this, B, T, P);
        for (int i = 0; i < B * T; i++) {
          sc.ids.put(i, ids[i]);
          sc.pos.put(i, pos == null ? P + i % T : pos[i]);
        }
        for (int b = 0; b < B; b++) {
          for (int t = 0; t < T; t++) {
            for (int j = 0; j < S; j++) {
              int at = (b * T + t) * S + j;
              sc.mask.put(at, (byte) ((mask == null ? j <= P + t : mask[at]) ? 1 : 0));
            }
          }
        }
        for (int l = 0; l < L; l++) {
          if (P > 0) {
            sc.pastKey[l].put(0, pastKey[l]);
            sc.pastValue[l].put(0, pastValue[l]);
          }
        }
        run(s, sc, B, T, P);
        float[] logits = new float[B * T * (int) info.vocabSize()];
        sc.logits.get(0, logits);
        float[][] pk = new float[L][];
        float[][] pv = new float[L][];
        for (int l = 0; l < L; l++) {
          pk[l] = new float[sc.presentKey[l].limit()];
          pv[l] = new float[sc.presentValue[l].limit()];
          sc.presentKey[l].get(0, pk[l]);
          sc.presentValue[l].get(0, pv[l]);
        }
        return new Step(logits, pk, pv);
      } finally {
        release(sc);
      }
    });
  }

  /** Runs the graph on a prepared Scratch (inputs filled); outputs land in its pinned buffers. */
  void run(OrtSession s, Scratch sc, int B, int T, int P) {
    int L = (int) info.nLayer();
    long H = info.nKvHeads(); // the cache's heads (GQA: fewer than the query heads)
    long D = info.headDim();
    List<OnnxTensor> tensors = new ArrayList<>();
    try {
      Map<String, OnnxTensor> inputs = inputs(sc, B, T, P, tensors);
      Map<String, OnnxTensor> outputs = new HashMap<>();
      outputs.put("logits", track(tensors, OnnxTensor.createTensor(env, sc.logits, new long[] {B, T, info.vocabSize()})));
      long[] present = {B, H, P + T, D};
      for (int l = 0; l < L; l++) {
        outputs.put("present_key_" + l, track(tensors, OnnxTensor.createTensor(env, sc.presentKey[l], present)));
        outputs.put("present_value_" + l, track(tensors, OnnxTensor.createTensor(env, sc.presentValue[l], present)));
      }
      // Every output is pinned (ORT wrote into our buffers): the Result is empty but still closed.
      s.run(inputs, outputs).close();
    } catch (OrtException e) {
      throw new SeqMatchException("onnx forward: ONNX Runtime failed (" + firstLine(e.getMessage())
          + ") for B=" + B + ", T=" + T + ", P=" + P, e);
    } finally {
      for (OnnxTensor t : tensors) {
        t.close();
      }
    }
  }

  /** The graph inputs of a prepared Scratch, each tracked for closing. */
  private Map<String, OnnxTensor> inputs(Scratch sc, int B, int T, int P, List<OnnxTensor> tensors)
      throws OrtException {
    Map<String, OnnxTensor> inputs = new HashMap<>();
    inputs.put("input_ids", track(tensors, OnnxTensor.createTensor(env, sc.ids, new long[] {B, T})));
    inputs.put("position_ids", track(tensors, OnnxTensor.createTensor(env, sc.pos, new long[] {B, T})));
    inputs.put("attention_mask", track(tensors,
        OnnxTensor.createTensor(env, sc.mask, new long[] {B, T, P + T}, OnnxJavaType.BOOL)));
    long[] past = {B, info.nKvHeads(), P, info.headDim()};
    for (int l = 0; l < info.nLayer(); l++) {
      inputs.put("past_key_" + l, track(tensors, OnnxTensor.createTensor(env, sc.pastKey[l], past)));
      inputs.put("past_value_" + l, track(tensors, OnnxTensor.createTensor(env, sc.pastValue[l], past)));
    }
    return inputs;
  }

  /** Whether the export has {@link #HIDDEN_OUTPUT} (exports made before it was added do not). */
  public boolean hasHiddenStates() {
    return withSession(s -> s.getOutputNames().contains(HIDDEN_OUTPUT));
  }

  /**
   * The final hidden state (after the final layer norm) at each row's last token, for text features (MAUVE).
   * Rows (1..n_positions token ids each) are right-padded into one batch under a causal mask, so the padding,
   * which comes after every row's last token, changes nothing. Returns [rows][n_embd].
   */
  public float[][] lastHiddenStates(List<long[]> rows) {
    int B = rows.size();
    int T = rows.stream().mapToInt(r -> r.length).max().orElse(0);
    for (long[] r : rows) {
      if (r.length == 0) {
        throw new InvalidInputException("onnx hidden states: a row has no tokens");
      }
    }
    long[] ids = new long[B * T];
    for (int b = 0; b < B; b++) {
      System.arraycopy(rows.get(b), 0, ids, b * T, rows.get(b).length); // padding: id 0, never attended
    }
    checkShape(ids, null, null, B, T, 0, null, null);
    int C = (int) info.nEmbd();
    return withSession(s -> {
      if (!s.getOutputNames().contains(HIDDEN_OUTPUT)) {
        throw new CheckpointException("onnx model has no " + HIDDEN_OUTPUT + " output. Hint: re-export it with "
            + "'seqmatch export' (exports made before hidden-state outputs lack it)");
      }
      Scratch sc = borrow();
      List<OnnxTensor> tensors = new ArrayList<>();
      try {
        sc.prepare(this, B, T, 0);
        for (int i = 0; i < B * T; i++) {
          sc.ids.put(i, ids[i]);
          sc.pos.put(i, i % T);
        }
        for (int t = 0; t < T; t++) {
          for (int j = 0; j < T; j++) {
            for (int b = 0; b < B; b++) {
              sc.mask.put((b * T + t) * T + j, (byte) (j <= t ? 1 : 0));
            }
          }
        }
        try (OrtSession.Result r = s.run(inputs(sc, B, T, 0, tensors), java.util.Set.of(HIDDEN_OUTPUT))) {
          FloatBuffer h = ((OnnxTensor) r.get(HIDDEN_OUTPUT).orElseThrow()).getFloatBuffer(); // (B, T, C)
          float[][] out = new float[B][C];
          for (int b = 0; b < B; b++) {
            h.get((b * T + rows.get(b).length - 1) * C, out[b]);
          }
          return out;
        }
      } catch (OrtException e) {
        throw new SeqMatchException("onnx hidden states: ONNX Runtime failed (" + firstLine(e.getMessage())
            + ") for B=" + B + ", T=" + T, e);
      } finally {
        for (OnnxTensor t : tensors) {
          t.close();
        }
        release(sc);
      }
    });
  }

  private static OnnxTensor track(List<OnnxTensor> tensors, OnnxTensor t) {
    tensors.add(t);
    return t;
  }

  Scratch borrow() {
    Scratch s = pool.poll();
    return s != null ? s : new Scratch((int) info.nLayer());
  }

  void release(Scratch s) {
    pool.add(s);
  }

  /** Runs {@code body} with the live session; close() waits for it. */
  <R> R withSession(java.util.function.Function<OrtSession, R> body) {
    lock.readLock().lock();
    try {
      if (session == null) {
        throw new IllegalStateException("onnx model is closed");
      }
      return body.apply(session);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Closes the session and drops the buffer pool. Idempotent; waits for calls in flight. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (session == null) {
        return;
      }
      OrtSession s = session;
      session = null;
      pool.clear();
      s.close();
    } catch (OrtException e) {
      throw new SeqMatchException("onnx model: closing the session failed (" + firstLine(e.getMessage()) + ")", e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void checkShape(long[] ids, long[] pos, boolean[] mask, int B, int T, int P, float[][] pastKey,
      float[][] pastValue) {
    if (B <= 0 || T <= 0 || P < 0 || P + T > info.nPositions()) {
      throw new InvalidInputException("onnx forward: bad shape (got B=" + B + ", T=" + T + ", P=" + P
          + ", expected B, T > 0 and P + T <= n_positions " + info.nPositions() + ")");
    }
    long n = (long) B * T;
    if (ids.length != n || (pos != null && pos.length != n) || (mask != null && mask.length != n * (P + T))) {
      throw new InvalidInputException("onnx forward: ids/pos/mask have the wrong length (got " + ids.length + "/"
          + (pos == null ? "-" : pos.length) + "/" + (mask == null ? "-" : mask.length) + ", expected " + n + "/"
          + n + "/" + n * (P + T) + ")");
    }
    for (long id : ids) {
      if (id < 0 || id >= info.vocabSize()) {
        throw new InvalidInputException("onnx forward: token id out of range (got " + id + ", expected 0.."
            + (info.vocabSize() - 1) + ")");
      }
    }
    long per = (long) B * info.nKvHeads() * P * info.headDim();
    if (P > 0) {
      boolean ok = pastKey != null && pastValue != null && pastKey.length == info.nLayer()
          && pastValue.length == info.nLayer();
      for (int l = 0; ok && l < pastKey.length; l++) {
        ok = pastKey[l].length == per && pastValue[l].length == per;
      }
      if (!ok) {
        throw new InvalidInputException("onnx forward: past must be n_layer=" + info.nLayer() + " arrays of B*Hkv*P*D="
            + per + " floats for keys and for values");
      }
    }
  }

  static String firstLine(String m) {
    if (m == null) {
      return "no message";
    }
    String s = m.strip();
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Grow-only direct buffers for one call at a time; views are re-limited to each step's shapes. */
  static final class Scratch {
    final int layers;
    java.nio.LongBuffer ids;
    java.nio.LongBuffer pos;
    java.nio.ByteBuffer mask;
    FloatBuffer logits;
    final FloatBuffer[] pastKey;
    final FloatBuffer[] pastValue;
    final FloatBuffer[] presentKey;
    final FloatBuffer[] presentValue;

    Scratch(int layers) {
      this.layers = layers;
      pastKey = new FloatBuffer[layers];
      pastValue = new FloatBuffer[layers];
      presentKey = new FloatBuffer[layers];
      presentValue = new FloatBuffer[layers];
    }

    /** Sizes every buffer for (B, T, P): position 0, limit = element count. */
    void prepare(OrtModel m, int B, int T, int P) {
      long hd = m.info.nKvHeads() * m.info.headDim();
      ids = Buffers.longs(ids, (long) B * T);
      pos = Buffers.longs(pos, (long) B * T);
      mask = Buffers.bytes(mask, (long) B * T * (P + T));
      logits = Buffers.floats(logits, (long) B * T * m.info.vocabSize());
      for (int l = 0; l < layers; l++) {
        pastKey[l] = Buffers.floats(pastKey[l], B * hd * P);
        pastValue[l] = Buffers.floats(pastValue[l], B * hd * P);
        presentKey[l] = Buffers.floats(presentKey[l], B * hd * (P + T));
        presentValue[l] = Buffers.floats(presentValue[l], B * hd * (P + T));
      }
    }
  }
}
