/*
 * Argument checks for CausalLM's forward calls, done in Java so that a wrong length or id fails
 * with InvalidInputException before any native code reads past an array.
 */
package ai.seqmatch.model;

import ai.seqmatch.InvalidInputException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

final class Inputs {
  private Inputs() {}

  /** B and T are positive and T fits the model's position table. */
  static void checkBatch(String op, int B, int T, ModelConfig config) {
    if (B <= 0 || T <= 0) {
      throw new InvalidInputException(
          op + ": batch shape must be positive (got B=" + B + ", T=" + T + ")");
    }
    if (T > config.nPositions()) {
      throw new InvalidInputException(op + ": sequence too long (got T=" + T + ", expected <= n_positions="
          + config.nPositions() + "). Hint: truncate the input");
    }
  }

  static void checkLength(String op, String name, int actual, long expected) {
    if (actual != expected) {
      throw new InvalidInputException(
          op + ": " + name + " has the wrong length (got " + actual + ", expected " + expected + ")");
    }
  }

  /** Every id indexes a row of wte. */
  static void checkIds(String op, long[] ids, long vocabSize) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw new InvalidInputException(op + ": token id out of range at index " + i + " (got " + ids[i]
            + ", expected 0.." + (vocabSize - 1) + ")");
      }
    }
  }

  /** Every position indexes a row of wpe. */
  static void checkPositions(String op, long[] pos, long nPositions) {
    for (int i = 0; i < pos.length; i++) {
      if (pos[i] < 0 || pos[i] >= nPositions) {
        throw new InvalidInputException(op + ": position out of range at index " + i + " (got " + pos[i]
            + ", expected 0.." + (nPositions - 1) + ")");
      }
    }
  }

  /** Number of logits B*T*V, which must fit a Java array. */
  static int logitsLength(String op, int B, int T, long vocabSize) {
    long n = (long) B * T * vocabSize;
    if (n > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(op + ": logits do not fit a Java array (got B*T*V=" + n
          + "). Hint: use smaller batches");
    }
    return (int) n;
  }

  /** The output buffer is direct, in native order, with room for all logits from its position. */
  static void checkOut(String op, FloatBuffer out, int needed) {
    if (!out.isDirect() || out.order() != ByteOrder.nativeOrder()) {
      throw new InvalidInputException(op + ": logits buffer must be direct and in native byte order. Hint: "
          + "ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer()");
    }
    if (out.remaining() < needed) {
      throw new InvalidInputException(op + ": logits buffer too small (got " + out.remaining()
          + " floats remaining, expected >= " + needed + ")");
    }
  }

  /** Causal positions 0..T-1 for each of B rows. */
  static long[] defaultPositions(int B, int T) {
    long[] pos = new long[B * T];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = i % T;
    }
    return pos;
  }

  static byte[] maskBytes(boolean[] mask) {
    if (mask == null) {
      return null;
    }
    byte[] bytes = new byte[mask.length];
    for (int i = 0; i < mask.length; i++) {
      bytes[i] = mask[i] ? (byte) 1 : (byte) 0;
    }
    return bytes;
  }
}
