/* IEEE 754 binary16 from float32 with round-to-nearest-even (Java 17 has no Float.floatToFloat16). */
package ai.seqmatch.onnx;

final class Half {
  private Half() {}

  /** The binary16 bits nearest to {@code f}; overflow gives ±inf, NaN stays NaN. */
  static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign; // below half the smallest subnormal
      }
      mant |= 0x800000; // implicit bit, then shift into the subnormal range
      int shift = 14 - e;
      int half = mant >>> shift;
      int rest = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rest > mid || (rest == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, which is still the right rounding (up to inf)
    }
    return (short) (sign | half);
  }
}
