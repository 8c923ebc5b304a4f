/* One safetensors header entry: name, dtype, shape and byte range within the data section. */
package ai.seqmatch.io;

import java.util.Arrays;

/** A tensor's header entry; begin/end are byte offsets relative to the start of the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements (product of the shape; 1 for a scalar). */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
        && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + ": " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
