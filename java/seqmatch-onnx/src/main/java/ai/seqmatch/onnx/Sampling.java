/*
 * Action choice for one row, ported from native/src/sample/sampling.cpp so that the ONNX engine makes
 * the native sampler's choices: greedy = first argmax; otherwise logits / temperature, top-k (keep
 * values >= the k-th), top-p (drop a token once the mass before it reaches top_p), log-softmax, and an
 * inverse-CDF pick with u = counterUniform(row seed, action index). Greedy is exact; a seeded sample can
 * differ from native only when u falls within float rounding of a CDF step. Public because the gRPC step
 * engines make the same choices (one port of sampling.cpp on the Java side). Legend: V actions.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.sample.SamplingOptions;
import java.util.Arrays;

public final class Sampling {
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

  /** {@link #choose(float[], SamplingOptions, double)} with the decoding controls spelled out. */
  public static Choice choose(float[] x, boolean greedy, double temperature, long topK, double topP, double u) {
    int V = x.length;
    if (greedy) {
      int best = 0;
      for (int v = 1; v < V; v++) {
        if (x[v] > x[best]) {
          best = v;
        }
      }
      return new Choice(best, logSoftmaxAt(x, best));
    }
    float t = (float) temperature;
    for (int v = 0; v < V; v++) {
      x[v] = x[v] / t;
    }
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
