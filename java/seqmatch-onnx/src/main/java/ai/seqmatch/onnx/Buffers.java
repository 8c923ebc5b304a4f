/* Grow-only direct buffers in native byte order, re-limited to the size a step needs. */
package ai.seqmatch.onnx;

import ai.seqmatch.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

final class Buffers {
  private Buffers() {}

  static FloatBuffer floats(FloatBuffer old, long n) {
    int size = checked(n, 4);
    FloatBuffer b = old != null && old.capacity() >= size ? old
        : ByteBuffer.allocateDirect(grow(old == null ? 0 : old.capacity(), size) * 4).order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    b.clear().limit(size);
    return b;
  }

  static LongBuffer longs(LongBuffer old, long n) {
    int size = checked(n, 8);
    LongBuffer b = old != null && old.capacity() >= size ? old
        : ByteBuffer.allocateDirect(grow(old == null ? 0 : old.capacity(), size) * 8).order(ByteOrder.nativeOrder())
            .asLongBuffer();
    b.clear().limit(size);
    return b;
  }

  static ByteBuffer bytes(ByteBuffer old, long n) {
    int size = checked(n, 1);
    ByteBuffer b = old != null && old.capacity() >= size ? old
        : ByteBuffer.allocateDirect(grow(old == null ? 0 : old.capacity(), size)).order(ByteOrder.nativeOrder());
    b.clear().limit(size);
    return b;
  }

  /** At least 1.5x the old capacity, so a generation that grows step by step reallocates O(log n) times. */
  private static int grow(int old, int needed) {
    long want = Math.max(needed, old + (long) old / 2);
    return (int) Math.min(want, Integer.MAX_VALUE / 8);
  }

  private static int checked(long n, int bytes) {
    if (n < 0 || n * bytes > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException("onnx: buffer too large (got " + n + " elements of " + bytes
          + " bytes). Hint: use smaller batches");
    }
    return (int) n;
  }
}
