/* Element types of the safetensors format, with their sizes in bytes. */
package ai.seqmatch.io;

/** A safetensors dtype. */
public enum DType {
  BOOL(1), U8(1), I8(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

  /** Bytes per element. */
  public final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** The dtype spelled {@code name} in a header, or null if unknown. */
  static DType parse(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}
