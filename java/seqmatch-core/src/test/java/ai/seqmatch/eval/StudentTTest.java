package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StudentTTest {
  @Test
  void threeSeedsUseTWithTwoDegreesOfFreedom() {
    // mean 0.6, s = 0.1, half-width 4.303·0.1/√3 = 0.248434
    Interval i = StudentT.mean(new double[] {0.5, 0.6, 0.7});
    assertEquals(0.6, i.estimate(), 1e-12);
    assertEquals(0.35156618, i.low(), 1e-7);
    assertEquals(0.84843382, i.high(), 1e-7);
    assertEquals(Wilson.Z, StudentT.quantile975(1000), 0.0);
  }

  @Test
  void oneValueHasNoInterval() {
    Interval i = StudentT.mean(new double[] {0.4});
    assertEquals(0.4, i.estimate(), 0.0);
    assertTrue(Double.isNaN(i.low()));
  }

  @Test
  void accuracyIntervalsAreClippedToWhereProportionsLie() {
    // the Dyck grid's BC point: seeds 0.89, 0.91, 0.65 -> t interval [0.457, 1.176] before clipping
    Interval raw = StudentT.mean(new double[] {0.89, 0.91, 0.65});
    assertTrue(raw.high() > 1, raw.format());
    Interval clipped = raw.clippedTo(0, 1);
    assertEquals(raw.estimate(), clipped.estimate(), 0.0);
    assertEquals(raw.low(), clipped.low(), 0.0);
    assertEquals(1.0, clipped.high(), 0.0);
    assertEquals(0.0, StudentT.mean(new double[] {0.0, 0.0, 0.01}).clippedTo(0, 1).low(), 0.0);
  }
}
