/*
 * 10,000 create/forward/close cycles must not grow the process. RSS is measured after a warm-up
 * (allocator pools, JIT, libtorch's lazily created thread pools settle in the first hundreds of
 * cycles) and again at the end. The tiny model has ~4,300 float parameters (~17 KB), so leaking one
 * model per cycle would add >= 10,000 * 17 KB = 170 MB, and leaking only its logits (2*4*32 floats,
 * 1 KB) 10 MB; the 16 MB bound catches the first by 10x while leaving room for allocator and JVM
 * heap noise (observed growth is printed). JavaCPP's own accounting (Pointer.totalBytes) must return
 * exactly to its baseline.
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
  private static final int CYCLES = 10_000;
  private static final long MAX_GROWTH_BYTES = 16L << 20;

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

  @Test
  void createForwardCloseDoesNotLeak() {
    ModelConfig config = Fixtures.tinyConfig();
    long[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int i = 0; i < WARMUP; i++) {
      cycle(config, i, ids);
    }
    System.gc();
    long start = Engine.residentSetBytes();
    long javacppStart = Pointer.totalBytes();
    long t0 = System.nanoTime();
    for (int i = 0; i < CYCLES; i++) {
      cycle(config, i, ids);
    }
    System.gc();
    long end = Engine.residentSetBytes();
    System.out.printf("leak test: %d cycles in %.1f s, RSS %.1f MB -> %.1f MB (growth %.2f MB, bound %d MB)%n",
        CYCLES, (System.nanoTime() - t0) / 1e9, start / 1e6, end / 1e6, (end - start) / 1e6,
        MAX_GROWTH_BYTES >> 20);
    assertTrue(end - start < MAX_GROWTH_BYTES, "RSS grew by " + (end - start) + " bytes");
    assertEquals(javacppStart, Pointer.totalBytes(), "JavaCPP-tracked native bytes");
  }
}
