/*
 * Sampling.choose is total: masked (-inf) actions are never chosen at any temperature, however large the
 * finite logits; NaN/+inf logits and rows with nothing allowed throw ModelOutputException. Checked against
 * the definition (a masked action has probability 0), not against another run of the sampler.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-onnx -Dtest=SamplingTest
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.ModelOutputException;
import org.junit.jupiter.api.Test;

class SamplingTest {
  private static final float NEG = Float.NEGATIVE_INFINITY;

  @Test
  void extremeTemperaturesNeverChooseAMaskedAction() {
    for (double t : new double[] {1e-45, 1e-38, 1e-7, 1.0, 1e39, Float.MAX_VALUE, Double.MAX_VALUE}) {
      for (int i = 1; i < 200; i++) {
        float[] x = {NEG, 3e38f, -3e38f, NEG, 1.0f, 0.0f, NEG};
        Sampling.Choice c = Sampling.choose(x, false, t, 0, 1.0, i / 200.0);
        assertTrue(c.action() != 0 && c.action() != 3 && c.action() != 6, "T=" + t + " chose " + c.action());
        assertFalse(Float.isNaN(c.logprob()), "T=" + t);
        float[] y = {NEG, 3e38f, -3e38f, NEG, 1.0f, 0.0f, NEG};
        assertTrue(Sampling.choose(y, false, t, 2, 0.9, i / 200.0).action() != 0);
      }
    }
    // At the tiniest temperatures sampling is the argmax.
    float[] x = {NEG, 0.5f, 0.25f, NEG};
    assertEquals(1, Sampling.choose(x, false, 1e-45, 0, 1.0, 0.999).action());
  }

  @Test
  void nonFiniteLogitsAndNoAllowedActionAreErrors() {
    ModelOutputException e = assertThrows(ModelOutputException.class,
        () -> Sampling.choose(new float[] {0, Float.NaN, 1}, false, 1.0, 0, 1.0, 0.5));
    assertEquals("the model's logits are not finite (NaN) at action 1. Hint: check the checkpoint's weights for "
        + "NaN/inf", e.getMessage());
    assertEquals("generate: row 4: " + e.getMessage(), e.atRow(4).getMessage());
    assertEquals(4, e.atRow(4).row());
    assertThrows(ModelOutputException.class,
        () -> Sampling.choose(new float[] {0, Float.POSITIVE_INFINITY}, true, 1.0, 0, 1.0, 0));
    e = assertThrows(ModelOutputException.class, () -> Sampling.choose(new float[] {NEG, NEG}, true, 1.0, 0, 1.0, 0));
    assertTrue(e.getMessage().startsWith("no action is allowed"), e.getMessage());
  }
}
