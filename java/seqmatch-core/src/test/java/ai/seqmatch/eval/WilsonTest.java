package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WilsonTest {
  @Test
  void matchesHandComputedValues() {
    // 8/10: centre (0.8 + z²/20)/(1 + z²/10), half-width z/(1 + z²/10)·sqrt(0.016 + z²/400), z = 1.95996;
    // the published Wilson interval for 8/10 is [0.4902, 0.9433].
    Interval i = Wilson.of(8, 10);
    assertEquals(0.8, i.estimate(), 1e-12);
    assertEquals(0.49016247, i.low(), 1e-7);
    assertEquals(0.94331785, i.high(), 1e-7);
    Interval big = Wilson.of(124, 200);
    assertEquals(0.55106718, big.low(), 1e-7);
    assertEquals(0.68440994, big.high(), 1e-7);
  }

  @Test
  void zeroSuccessesGiveANonEmptyIntervalFromZero() {
    Interval i = Wilson.of(0, 10);
    assertEquals(0.0, i.low(), 0.0);
    assertEquals(0.27753280, i.high(), 1e-7); // z²/(n + z²)
    assertEquals(1.0, Wilson.of(10, 10).high(), 1e-12);
    assertTrue(Double.isNaN(Wilson.of(0, 0).estimate()));
    assertThrows(IllegalArgumentException.class, () -> Wilson.of(3, 2));
  }
}
