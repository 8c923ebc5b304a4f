/*
 * A decoder-only causal language model (GPT-2 or Llama family: config().family()) held by the native
 * core (seqmatch::api::Model), DJL-style owner of its KV caches. Inputs are checked here (Inputs) before native code runs; native errors become
 * SeqMatchExceptions (NativeErrors). A read/write lock lets forwards run concurrently while close(),
 * addTokens() and setSpecialTokens() wait for them, so no call ever sees a freed handle.
 * Tested by CausalLMTest, HfParityTest, BadInputTest, LeakTest.
 */
package ai.seqmatch.model;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Device;
import ai.seqmatch.Engine;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.NativeErrors;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.nativ.SeqmatchNative.Model;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/** A causal language model of any supported family; B = batch rows, T = time steps, V = vocab_size. */
public final class CausalLM implements AutoCloseable {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Set<KvCache> caches = ConcurrentHashMap.newKeySet();
  private Model handle; // guarded by lock; null once closed
  private volatile ModelConfig config; // refreshed under the write lock when the native spec changes

  private CausalLM(Model handle) {
    try {
      this.config = readConfig(handle);
    } catch (RuntimeException e) {
      SeqmatchNative.model_free(handle); // nobody else will ever see this handle
      throw e;
    }
    this.handle = handle;
  }

  /** A freshly initialised model (its family's init, seeded by {@code seed}) on {@code device}. */
  public static CausalLM create(ModelConfig config, long seed, Device device) {
    return new CausalLM(Specs.create(config, seed, usable(device)));
  }

  /** Loads a checkpoint directory (config.json + model.safetensors or shards), ours or Hugging Face's. */
  public static CausalLM load(Path dir, Device device) {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("checkpoint " + dir + ": not a directory. Hint: pass a directory holding "
          + "config.json and model.safetensors");
    }
    String path = dir.toAbsolutePath().toString();
    String where = usable(device);
    return new CausalLM(NativeErrors.call(() -> SeqmatchNative.model_load(path, where)));
  }

  /**
   * Loads a base checkpoint plus a LoRA adapter directory (PEFT's adapter_config.json +
   * adapter_model.safetensors, ours or PEFT's), merged into the weights; the adapter's new token rows
   * grow the base's vocabulary and its special tokens (the {@code <bkspc>} id) come with it.
   */
  public static CausalLM load(Path dir, Path adapter, Device device) {
    if (adapter == null) {
      return load(dir, device);
    }
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("checkpoint " + dir + ": not a directory. Hint: pass the base model directory");
    }
    if (!Files.isDirectory(adapter)) {
      throw new CheckpointException("adapter " + adapter + ": not a directory. Hint: pass the directory holding "
          + "adapter_config.json and adapter_model.safetensors");
    }
    String path = dir.toAbsolutePath().toString();
    String adapterPath = adapter.toAbsolutePath().toString();
    String where = usable(device);
    return new CausalLM(NativeErrors.call(() -> SeqmatchNative.model_load_with_adapter(path, adapterPath, where)));
  }

  /**
   * Writes base + LoRA adapter merged (W + (alpha/r)·B·A) as a plain checkpoint directory at {@code out},
   * atomically, with the base's tokenizer files.
   */
  public static void mergeAdapter(Path base, Path adapter, Path out) {
    String b = base.toAbsolutePath().toString();
    String a = adapter.toAbsolutePath().toString();
    String o = out.toAbsolutePath().toString();
    NativeErrors.run(() -> SeqmatchNative.model_merge_adapter(b, a, o));
  }

  /** Writes config.json + model.safetensors into {@code dir} atomically. */
  public void save(Path dir) {
    String path = dir.toAbsolutePath().toString();
    withReadLock(() -> {
      NativeErrors.run(() -> SeqmatchNative.model_save(handle(), path));
      return null;
    });
  }

  public ModelConfig config() {
    withReadLock(this::handle); // a closed model has no config to report
    return config;
  }

  public long numParameters() {
    return withReadLock(() -> NativeErrors.callLong(() -> SeqmatchNative.model_num_parameters(handle())));
  }

  public Device device() {
    return withReadLock(() -> Device.of(NativeErrors.call(() -> SeqmatchNative.model_device(handle()))));
  }

  /** One-line JSON from the native core: spec, parameter count, device, dtype. */
  public String describe() {
    return withReadLock(() -> NativeErrors.call(() -> SeqmatchNative.model_describe(handle())));
  }

  /** Grows the vocabulary by {@code n} rows (mean-embedding init); returns the first new id. */
  public long addTokens(long n) {
    if (n <= 0) {
      throw new InvalidInputException("add tokens: count must be positive (got " + n + ")");
    }
    return withWriteLock(() -> {
      long first = NativeErrors.callLong(() -> SeqmatchNative.model_add_tokens(handle(), n));
      config = readConfig(handle);
      return first;
    });
  }

  /** Sets the special-token ids; each is {@link ModelConfig#NO_TOKEN} or below vocab_size. */
  public void setSpecialTokens(long bos, long eos, long pad, long bkspc) {
    withWriteLock(() -> {
      config.toBuilder().optBosTokenId(bos).optEosTokenId(eos).optPadTokenId(pad).optBkspcTokenId(bkspc)
          .build(); // validates in Java first, naming every bad id
      NativeErrors.run(() -> SeqmatchNative.model_set_special_tokens(handle(), bos, eos, pad, bkspc));
      config = readConfig(handle);
      return null;
    });
  }

  /** Causal forward with positions 0..T-1; ids is [B*T] row-major; returns logits [B*T*V]. */
  public float[] forward(long[] ids, int B, int T) {
    return forward(ids, null, null, B, T);
  }

  /**
   * Full forward. ids, pos: [B*T] row-major (pos null: 0..T-1); mask: [B*T*T], mask[b][i][j] true iff
   * query i may attend key j (null: causal). Returns logits [B*T*V].
   */
  public float[] forward(long[] ids, long[] pos, boolean[] mask, int B, int T) {
    ModelConfig c = config();
    float[] logits = new float[Inputs.logitsLength("forward", B, T, c.vocabSize())];
    long[] p = checkForward(c, ids, pos, mask, B, T);
    byte[] m = Inputs.maskBytes(mask);
    withReadLock(() -> {
      NativeErrors.run(() -> SeqmatchNative.model_forward(handle(), ids, p, m, B, T, logits));
      return null;
    });
    return logits;
  }

  /** Like {@link #forward(long[], long[], boolean[], int, int)}, writing into a direct buffer (no copy). */
  public void forward(long[] ids, long[] pos, boolean[] mask, int B, int T, FloatBuffer logitsOut) {
    ModelConfig c = config();
    Inputs.checkOut("forward", logitsOut, Inputs.logitsLength("forward", B, T, c.vocabSize()));
    long[] p = checkForward(c, ids, pos, mask, B, T);
    byte[] m = Inputs.maskBytes(mask);
    withReadLock(() -> {
      NativeErrors.run(() -> SeqmatchNative.model_forward(handle(), LongBuffer.wrap(ids), LongBuffer.wrap(p),
          m == null ? null : ByteBuffer.wrap(m), B, T, logitsOut));
      return null;
    });
  }

  /** A KV cache for {@code rows} rows of at most {@code capacity} positions, closed with this model. */
  public KvCache newCache(int rows, int capacity) {
    ModelConfig c = config();
    if (rows <= 0 || capacity <= 0 || capacity > c.nPositions()) {
      throw new InvalidInputException("kv cache: bad shape (got rows=" + rows + ", capacity=" + capacity
          + ", expected rows > 0 and 0 < capacity <= n_positions=" + c.nPositions() + ")");
    }
    return withReadLock(() -> {
      KvCache cache = new KvCache(this,
          NativeErrors.call(() -> SeqmatchNative.kv_cache_create(handle(), rows, capacity)), rows, capacity);
      caches.add(cache);
      return cache;
    });
  }

  /**
   * Incremental forward: appends T tokens per row after the row's cached entries. ids, pos: [B*T];
   * nValid: [B] real tokens per row, the rest right padding (null: all T). Returns logits [B*T*V].
   */
  public float[] forwardCached(KvCache cache, long[] ids, long[] pos, long[] nValid, int B, int T) {
    ModelConfig c = config();
    float[] logits = new float[Inputs.logitsLength("forward cached", B, T, c.vocabSize())];
    checkCached(c, cache, ids, pos, nValid, B, T);
    withReadLock(() -> cache.withHandle(h -> {
      checkCapacity(cache, h, nValid, T);
      NativeErrors.run(() -> SeqmatchNative.model_forward_cached(handle(), h, ids, pos, nValid, B, T, logits));
      return null;
    }));
    return logits;
  }

  /** Like {@link #forwardCached(KvCache, long[], long[], long[], int, int)}, into a direct buffer. */
  public void forwardCached(
      KvCache cache, long[] ids, long[] pos, long[] nValid, int B, int T, FloatBuffer logitsOut) {
    ModelConfig c = config();
    Inputs.checkOut("forward cached", logitsOut, Inputs.logitsLength("forward cached", B, T, c.vocabSize()));
    checkCached(c, cache, ids, pos, nValid, B, T);
    withReadLock(() -> cache.withHandle(h -> {
      checkCapacity(cache, h, nValid, T);
      NativeErrors.run(() -> SeqmatchNative.model_forward_cached(handle(), h, LongBuffer.wrap(ids),
          LongBuffer.wrap(pos), nValid == null ? null : LongBuffer.wrap(nValid), B, T, logitsOut));
      return null;
    }));
  }

  /** Frees the model and every cache it made. Idempotent; waits for calls in flight. */
  @Override
  public void close() {
    withWriteLock(() -> {
      if (handle == null) {
        return null;
      }
      List<KvCache> open = new ArrayList<>(caches);
      caches.clear();
      for (KvCache cache : open) {
        cache.freeHandle(); // caches go first: they hold tensors shaped by this model
      }
      Model h = handle;
      handle = null;
      NativeErrors.run(() -> SeqmatchNative.model_free(h));
      return null;
    });
  }

  /**
   * Runs {@code body} with the live native handle while the model cannot be closed (close() waits for
   * it). For SeqMatch's own packages that drive the native core directly (ai.seqmatch.sample); the
   * handle must not escape {@code body}.
   *
   * @throws IllegalStateException if the model is closed
   */
  public <T> T withNativeHandle(Function<Model, T> body) {
    return withReadLock(() -> body.apply(handle()));
  }

  void forget(KvCache cache) {
    caches.remove(cache);
  }

  <T> T withReadLock(Supplier<T> body) {
    lock.readLock().lock();
    try {
      handle(); // fail fast on a closed model
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  private <T> T withWriteLock(Supplier<T> body) {
    lock.writeLock().lock();
    try {
      return body.get();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The live handle; callers hold the lock. */
  private Model handle() {
    Model h = handle;
    if (h == null) {
      throw new IllegalStateException("model is closed");
    }
    return h;
  }

  /** The device's native spelling; asking for CUDA where there is none is the caller's mistake. */
  private static String usable(Device device) {
    if (device.isCuda() && !Engine.cudaAvailable()) {
      throw new InvalidInputException("device " + device + ": CUDA is not available (no GPU, or libseqmatch "
          + "built against a CPU libtorch). Hint: use cpu, or build with -Dseqmatch.cmake.preset=cuda-release");
    }
    return device.toString();
  }

  private static ModelConfig readConfig(Model h) {
    return Specs.read(h);
  }

  private static long[] checkForward(ModelConfig c, long[] ids, long[] pos, boolean[] mask, int B, int T) {
    Inputs.checkBatch("forward", B, T, c);
    Inputs.checkLength("forward", "ids", ids.length, (long) B * T);
    long[] p = pos == null ? Inputs.defaultPositions(B, T) : pos;
    Inputs.checkLength("forward", "pos", p.length, (long) B * T);
    if (mask != null) {
      Inputs.checkLength("forward", "mask", mask.length, (long) B * T * T);
    }
    Inputs.checkIds("forward", ids, c.vocabSize());
    Inputs.checkPositions("forward", p, c.nPositions());
    return p;
  }

  private void checkCached(ModelConfig c, KvCache cache, long[] ids, long[] pos, long[] nValid, int B, int T) {
    if (cache.owner() != this) {
      throw new InvalidInputException("forward cached: the cache belongs to another model. Hint: use "
          + "model.newCache(...) of the model you run");
    }
    Inputs.checkBatch("forward cached", B, T, c);
    if (B != cache.rows()) {
      throw new InvalidInputException(
          "forward cached: batch rows differ from the cache (got B=" + B + ", expected " + cache.rows() + ")");
    }
    Inputs.checkLength("forward cached", "ids", ids.length, (long) B * T);
    Inputs.checkLength("forward cached", "pos", pos.length, (long) B * T);
    Inputs.checkIds("forward cached", ids, c.vocabSize());
    Inputs.checkPositions("forward cached", pos, c.nPositions());
    if (nValid != null) {
      Inputs.checkLength("forward cached", "nValid", nValid.length, B);
      for (int b = 0; b < B; b++) {
        if (nValid[b] < 0 || nValid[b] > T) {
          throw new InvalidInputException("forward cached: nValid out of range for row " + b + " (got "
              + nValid[b] + ", expected 0.." + T + ")");
        }
      }
    }
  }

  /** Every row has room for its new tokens; checked under the cache monitor so lengths are current. */
  private static void checkCapacity(KvCache cache, SeqmatchNative.KVCache h, long[] nValid, int T) {
    long[] lengths = new long[cache.rows()];
    NativeErrors.run(() -> SeqmatchNative.kv_cache_lengths(h, lengths));
    for (int b = 0; b < lengths.length; b++) {
      long adding = nValid == null ? T : nValid[b];
      if (lengths[b] + adding > cache.capacity()) {
        throw new InvalidInputException("forward cached: cache row " + b + " is full (got " + lengths[b]
            + " cached + " + adding + " new, expected <= capacity " + cache.capacity()
            + "). Hint: make a larger cache or truncate the row");
      }
    }
  }
}
