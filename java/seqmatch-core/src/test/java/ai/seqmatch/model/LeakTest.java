/*
 * Create/forward/close cycles must not grow the process. RSS is measured after a warm-up (allocator
 * pools, JIT, libtorch's lazily created thread pools settle in the first hundreds of cycles), then over
 * three windows of 10,000 cycles each, as RSS less the JVM's committed heap (which GC grows and shrinks). A leak grows every window by the same amount; what the JVM and the
 * allocator do (heap expansion under a loaded machine, arena settling) shows up in one window, not in
 * all three (measured here: windows of +3, +97 and −89 MB with no leak). So the smallest window growth
 * must stay under 8 MB: the tiny model has ~4,300 float
 * parameters (~17 KB), so leaking one model per cycle adds >= 170 MB per window and leaking only its
 * logits (2*4*32 floats, 1 KB) 10 MB, which this noise can hide. (One 10,000-cycle window alone grew by 18-91 MB on a loaded
 * 2-core machine with no leak: a 30,000-cycle run grew by 10 MB in all.) JavaCPP's own accounting
 * (Pointer.totalBytes) must return exactly to its baseline.
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Engine;
import ai.seqmatch.Fixtures;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

class LeakTest {
  private static final int WARMUP = 500;
  private static final int WINDOW = 10_000;
  private static final int WINDOWS = 3;
  private static final long MAX_GROWTH_BYTES = 8L << 20;

  private static void cycle(ModelConfig config, long seed, long[] ids) {
    try (CausalLM model = CausalLM.create(config, seed, Device.cpu());
        KvCache cache = model.newCache(1, 4)) {
      float[] logits = model.forward(ids, 2, 4);
      model.forwardCached(cache, new long[] {ids[0]}, new long[] {0}, null, 1, 1);
      if (!Float.isFinite(logits[0])) {
        throw new AssertionError("non-finite logits at seed " + seed);
      }
    }
  }

  /**
   * RSS less the Java heap the JVM holds (GC grows and shrinks it), after malloc_trim (JavaCPP's
   * trimMemory) hands freed native pages back: what is left grows only with live native memory.
   */
  private static long nativeBytes() {
    Pointer.trimMemory();
    return Engine.residentSetBytes() - Runtime.getRuntime().totalMemory();
  }

  @Test
  void createForwardCloseDoesNotLeak() {
    ModelConfig config = Fixtures.tinyConfig();
    long[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int i = 0; i < WARMUP; i++) {
      cycle(config, i, ids);
    }
    System.gc();
    long javacppStart = Pointer.totalBytes();
    long t0 = System.nanoTime();
    long[] growth = new long[WINDOWS];
    long seed = 0;
    for (int w = 0; w < WINDOWS; w++) {
      long before = nativeBytes();
      for (int i = 0; i < WINDOW; i++) {
        cycle(config, seed++, ids);
      }
      System.gc();
      growth[w] = nativeBytes() - before;
    }
    long least = java.util.Arrays.stream(growth).min().getAsLong();
    System.out.printf("leak test: %d x %d cycles in %.1f s, RSS growth per window %s MB (least %.2f MB, bound %d MB)%n",
        WINDOWS, WINDOW, (System.nanoTime() - t0) / 1e9,
        java.util.Arrays.toString(java.util.Arrays.stream(growth).mapToObj(g -> String.format("%.2f", g / 1e6)).toArray()),
        least / 1e6, MAX_GROWTH_BYTES >> 20);
    assertTrue(least < MAX_GROWTH_BYTES, "RSS grew by at least " + least + " bytes in every window of " + WINDOW
        + " cycles: a leak");
    assertEquals(javacppStart, Pointer.totalBytes(), "JavaCPP-tracked native bytes");
  }
}
