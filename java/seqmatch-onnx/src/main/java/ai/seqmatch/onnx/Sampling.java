/*
 * Action choice for one row, ported from native/src/sample/sampling.cpp so that the ONNX engine makes
 * the native sampler's choices: greedy = first argmax; otherwise logits / temperature, top-k (keep
 * values >= the k-th), top-p (drop a token once the mass before it reaches top_p), log-softmax, and an
 * inverse-CDF pick with u = counterUniform(row seed, action index). Greedy is exact; a seeded sample can
 * differ from native only when u falls within float rounding of a CDF step. Public because the gRPC step
 * engines make the same choices (one port of sampling.cpp on the Java side). Total, as natively: a masked
 * (-inf) action is never chosen; NaN/+inf logits or a row with every action masked throw
 * ModelOutputException; the temperature is clamped to [MIN_TEMPERATURE, MAX_TEMPERATURE] and logits that
 * would overflow when divided are shifted by their max first. Legend: V actions.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.ModelOutputException;
import ai.seqmatch.sample.SamplingOptions;
import java.util.Arrays;

public final class Sampling {
  /**
   * Sampling temperatures are clamped to [1e-6, 1e6] (native kMinTemperature/kMaxTemperature): outside it
   * float logits / T overflow or underflow and the probabilities turn NaN. At 1e-6 sampling is argmax up to
   * ties; at 1e6 uniform over the allowed actions to float precision.
   */
  public static final double MIN_TEMPERATURE = 1e-6;

  public static final double MAX_TEMPERATURE = 1e6;

  private Sampling() {}

  /** Uniform in (0, 1) from (seed, counter): splitmix64 with unsigned 64-bit wrap, 53-bit mantissa. */
  public static double counterUniform(long seed, long counter) {
    long z = seed * 0x9E3779B97F4A7C15L + counter + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return ((double) (z >>> 11) + 0.5) * (1.0 / 9007199254740992.0);
  }

  /** The chosen action and log π(action | state) under the distribution sampled. */
  public record Choice(int action, float logprob) {}

  /** Chooses from {@code x} (V logits, already masked with -inf; modified in place). */
  static Choice choose(float[] x, SamplingOptions o, double u) {
    return choose(x, o.greedy(), o.temperature(), o.topK(), o.topP(), u);
  }

  /**
   * {@link #choose(float[], SamplingOptions, double)} with the decoding controls spelled out.
   *
   * @throws ModelOutputException for NaN/+inf logits or no allowed action (callers add the row: {@code atRow})
   */
  public static Choice choose(float[] x, boolean greedy, double temperature, long topK, double topP, double u) {
    int V = x.length;
    check(x);
    if (greedy) {
      int best = 0;
      for (int v = 1; v < V; v++) {
        if (x[v] > x[best]) {
          best = v;
        }
      }
      return new Choice(best, logSoftmaxAt(x, best));
    }
    float t = (float) Math.min(Math.max(temperature, MIN_TEMPERATURE), MAX_TEMPERATURE);
    float[] scaled = new float[V];
    boolean overflow = false;
    for (int v = 0; v < V; v++) {
      scaled[v] = x[v] / t; // the plain division while it cannot overflow (seeded samples stay the same)
      overflow |= scaled[v] == Float.POSITIVE_INFINITY;
    }
    if (overflow) {
      float max = max(x); // finite: check passed; every allowed value becomes <= 0, the max exactly 0
      for (int v = 0; v < V; v++) {
        scaled[v] = (x[v] - max) / t;
      }
    }
    System.arraycopy(scaled, 0, x, 0, V);
    if (topK > 0 && topK < V) {
      float[] sorted = x.clone();
      Arrays.sort(sorted);
      float kth = sorted[V - (int) topK];
      for (int v = 0; v < V; v++) {
        if (x[v] < kth) {
          x[v] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    if (topP < 1.0) {
      topP(x, topP);
    }
    float[] logp = logSoftmax(x);
    float[] cdf = new float[V];
    double acc = 0; // torch's CPU cumsum accumulates float in double
    for (int v = 0; v < V; v++) {
      acc += (float) Math.exp(logp[v]);
      cdf[v] = (float) acc;
    }
    float target = (float) u * cdf[V - 1];
    int a = V - 1;
    for (int v = 0; v < V; v++) {
      if (cdf[v] >= target) { // searchsorted, left side: first cdf >= target
        a = v;
        break;
      }
    }
    return new Choice(a, logp[a]);
  }

  /** Throws for logits no action can be sampled from: a NaN or +inf, or every action masked. */
  private static void check(float[] x) {
    boolean anyAllowed = false;
    for (int v = 0; v < x.length; v++) {
      if (Float.isNaN(x[v]) || x[v] == Float.POSITIVE_INFINITY) {
        throw new ModelOutputException("the model's logits are not finite (" + (Float.isNaN(x[v]) ? "NaN" : "+inf")
            + ") at action " + v + ". Hint: check the checkpoint's weights for NaN/inf");
      }
      anyAllowed |= x[v] > Float.NEGATIVE_INFINITY;
    }
    if (!anyAllowed) {
      throw new ModelOutputException("no action is allowed (every logit is -inf after masking)");
    }
  }

  /** Nucleus filter in place: sort descending, drop a token when the mass before it >= topP. */
  private static void topP(float[] x, double topP) {
    int V = x.length;
    Integer[] order = new Integer[V];
    for (int v = 0; v < V; v++) {
      order[v] = v;
    }
    Arrays.sort(order, (i, j) -> Float.compare(x[j], x[i]));
    float[] values = new float[V];
    for (int r = 0; r < V; r++) {
      values[r] = x[order[r]];
    }
    float[] p = softmax(values);
    double acc = 0;
    for (int r = 0; r < V; r++) {
      acc += p[r];
      float before = (float) acc - p[r];
      if (before >= topP) {
        x[order[r]] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  private static float[] softmax(float[] x) {
    float max = max(x);
    float[] out = new float[x.length];
    double sum = 0;
    for (int v = 0; v < x.length; v++) {
      out[v] = (float) Math.exp(x[v] - max);
      sum += out[v];
    }
    for (int v = 0; v < x.length; v++) {
      out[v] = (float) (out[v] / sum);
    }
    return out;
  }

  private static float[] logSoftmax(float[] x) {
    float max = max(x);
    double sum = 0;
    for (float f : x) {
      sum += Math.exp(f - max);
    }
    float lse = (float) (max + Math.log(sum));
    float[] out = new float[x.length];
    for (int v = 0; v < x.length; v++) {
      out[v] = x[v] - lse;
    }
    return out;
  }

  private static float logSoftmaxAt(float[] x, int a) {
    float max = max(x);
    double sum = 0;
    for (float f : x) {
      sum += Math.exp(f - max);
    }
    return (float) (x[a] - (max + Math.log(sum)));
  }

  private static float max(float[] x) {
    float m = Float.NEGATIVE_INFINITY;
    for (float f : x) {
      m = Math.max(m, f);
    }
    return m;
  }
}
