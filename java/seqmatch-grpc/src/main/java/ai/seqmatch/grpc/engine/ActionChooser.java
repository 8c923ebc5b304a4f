/*
 * Action choice for one row, a port of native/src/sample/sampling.cpp (choose_actions,
 * counter_uniform) so that every StepEngine makes the native sampler's choices: greedy = first argmax;
 * otherwise logits / temperature, top-k (keep values >= the k-th largest), top-p (drop a token once the
 * mass before it reaches top_p), log-softmax, inverse CDF with u = counterUniform(row seed, action index).
 * Greedy is exact; a seeded sample can differ from native only when u lands within float rounding of a
 * CDF step. Tested by StepEngineTest (against the native Generator). Legend: V actions.
 */
package ai.seqmatch.grpc.engine;

import java.util.Arrays;

final class ActionChooser {
  private ActionChooser() {}

  /** Uniform in (0, 1) from (seed, counter): splitmix64, unsigned 64-bit wrap, 53-bit mantissa. */
  static double counterUniform(long seed, long counter) {
    long z = seed * 0x9E3779B97F4A7C15L + counter + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return ((double) (z >>> 11) + 0.5) * (1.0 / 9007199254740992.0);
  }

  /** Chooses from {@code x} (V logits, masked with -inf; modified in place). */
  static int choose(float[] x, RowParams p, double u) {
    int V = x.length;
    if (p.greedy()) {
      int best = 0;
      for (int v = 1; v < V; v++) {
        if (x[v] > x[best]) {
          best = v;
        }
      }
      return best;
    }
    float t = (float) p.temperature();
    for (int v = 0; v < V; v++) {
      x[v] = x[v] / t;
    }
    if (p.topK() > 0 && p.topK() < V) {
      float[] sorted = x.clone();
      Arrays.sort(sorted);
      float kth = sorted[V - (int) p.topK()];
      for (int v = 0; v < V; v++) {
        if (x[v] < kth) {
          x[v] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    if (p.topP() < 1.0) {
      topP(x, p.topP());
    }
    float max = max(x);
    double sum = 0;
    for (float f : x) {
      sum += Math.exp(f - max);
    }
    float lse = (float) (max + Math.log(sum));
    double acc = 0; // torch's CPU cumsum accumulates float in double
    float[] cdf = new float[V];
    for (int v = 0; v < V; v++) {
      acc += (float) Math.exp(x[v] - lse);
      cdf[v] = (float) acc;
    }
    float target = (float) u * cdf[V - 1];
    for (int v = 0; v < V; v++) {
      if (cdf[v] >= target) { // searchsorted, left side: the first cdf >= target
        return v;
      }
    }
    return V - 1;
  }

  /** Nucleus filter in place: sort descending, drop a token when the mass before it is >= topP. */
  private static void topP(float[] x, double topP) {
    int V = x.length;
    Integer[] order = new Integer[V];
    for (int v = 0; v < V; v++) {
      order[v] = v;
    }
    Arrays.sort(order, (i, j) -> Float.compare(x[j], x[i]));
    float max = x[order[0]];
    double sum = 0;
    float[] p = new float[V];
    for (int r = 0; r < V; r++) {
      p[r] = (float) Math.exp(x[order[r]] - max);
      sum += p[r];
    }
    double acc = 0;
    for (int r = 0; r < V; r++) {
      float pr = (float) (p[r] / sum);
      acc += pr;
      if ((float) acc - pr >= topP) {
        x[order[r]] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  private static float max(float[] x) {
    float m = Float.NEGATIVE_INFINITY;
    for (float f : x) {
      m = Math.max(m, f);
    }
    return m;
  }
}
