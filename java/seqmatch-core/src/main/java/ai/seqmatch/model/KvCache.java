/*
 * Per-row key/value cache for incremental decoding, owned by the CausalLM that made it
 * (CausalLM.newCache). Closing the model closes its caches; closing twice is a no-op; any use
 * after close throws IllegalStateException instead of touching freed native memory.
 */
package ai.seqmatch.model;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.NativeErrors;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.nativ.SeqmatchNative.KVCache;
import java.util.function.Function;

/** A KV cache of {@link #rows()} rows, each holding at most {@link #capacity()} positions. */
public final class KvCache implements AutoCloseable {
  private final CausalLM owner;
  private final int rows;
  private final int capacity;
  private KVCache handle; // guarded by this; null once closed

  KvCache(CausalLM owner, KVCache handle, int rows, int capacity) {
    this.owner = owner;
    this.handle = handle;
    this.rows = rows;
    this.capacity = capacity;
  }

  public int rows() {
    return rows;
  }

  public int capacity() {
    return capacity;
  }

  CausalLM owner() {
    return owner;
  }

  /** Current number of cached positions of each row. */
  public long[] lengths() {
    return owner.withReadLock(() -> withHandle(h -> {
      long[] lengths = new long[rows];
      NativeErrors.run(() -> SeqmatchNative.kv_cache_lengths(h, lengths));
      return lengths;
    }));
  }

  /** Rolls row {@code row} back to its first {@code length} entries (used on {@code <bkspc>}). */
  public void truncate(int row, long length) {
    owner.withReadLock(() -> withHandle(h -> {
      if (row < 0 || row >= rows) {
        throw new InvalidInputException(
            "kv cache truncate: row out of range (got " + row + ", expected 0.." + (rows - 1) + ")");
      }
      long[] lengths = new long[rows];
      NativeErrors.run(() -> SeqmatchNative.kv_cache_lengths(h, lengths));
      if (length < 0 || length > lengths[row]) {
        throw new InvalidInputException("kv cache truncate: length out of range for row " + row + " (got "
            + length + ", expected 0.." + lengths[row] + ")");
      }
      NativeErrors.run(() -> SeqmatchNative.kv_cache_truncate(h, row, length));
      return null;
    }));
  }

  /** Runs {@code body} with the live handle while holding this cache's monitor. */
  synchronized <T> T withHandle(Function<KVCache, T> body) {
    if (handle == null) {
      throw new IllegalStateException("kv cache is closed");
    }
    return body.apply(handle);
  }

  @Override
  public void close() {
    if (freeHandle()) {
      owner.forget(this);
    }
  }

  /** Frees the native cache; called by close() and by the owner when it closes first. */
  synchronized boolean freeHandle() {
    if (handle == null) {
      return false;
    }
    KVCache h = handle;
    handle = null;
    NativeErrors.run(() -> SeqmatchNative.kv_cache_free(h));
    return true;
  }
}
