package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BootstrapTest {
  @Test
  void constantDifferenceHasAPointInterval() {
    double[] a = {1, 0, 1, 1, 0};
    double[] b = {0, -1, 0, 0, -1}; // a - b = 1 on every prompt
    Interval d = Bootstrap.pairedDifference(a, b, 1000, 3);
    assertEquals(1.0, d.estimate(), 0.0);
    assertEquals(1.0, d.low(), 0.0);
    assertEquals(1.0, d.high(), 0.0);
  }

  @Test
  void twoValuesMatchTheExactResamplingDistribution() {
    // Resampling {0, 1} twice: mean 0 w.p. 1/4, 0.5 w.p. 1/2, 1 w.p. 1/4, so the 2.5% and 97.5% quantiles
    // are 0 and 1; the median of the resampled means is 0.5.
    Interval i = Bootstrap.mean(new double[] {0, 1}, 10_000, 7);
    assertEquals(0.5, i.estimate(), 0.0);
    assertEquals(0.0, i.low(), 0.0);
    assertEquals(1.0, i.high(), 0.0);
  }

  @Test
  void pairedDifferenceFollowsTheBinomialOfTheExtraPrompts() {
    // Method a is right exactly where b is, plus 2 more prompts of 40: the paired difference is 0.05 and its
    // interval stays in [0, 0.125] (at most 5 of the 40 resampled prompts are the 2 extra ones, w.p. ~0.99).
    double[] a = new double[40];
    double[] b = new double[40];
    for (int i = 0; i < 40; i++) {
      b[i] = i % 2;
      a[i] = b[i];
    }
    a[0] = 1;
    a[2] = 1;
    Interval d = Bootstrap.pairedDifference(a, b, Bootstrap.RESAMPLES, 11);
    assertEquals(0.05, d.estimate(), 1e-12);
    assertEquals(0.0, d.low(), 1e-12);
    assertEquals(0.125, d.high(), 0.0251);
    assertEquals(d, Bootstrap.pairedDifference(a, b, Bootstrap.RESAMPLES, 11)); // seeded
  }

  @Test
  void mismatchedPromptsAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> Bootstrap.pairedDifference(new double[2], new double[3], 10, 0));
  }
}
