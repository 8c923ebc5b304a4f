/*
 * RoPE inverse frequencies: plain θ^(-2i/D); "linear" divides all by factor; "llama3" against values
 * from a vectorised NumPy port of transformers' _compute_llama3_parameters (torch.where over bands),
 * for Llama 3.1's own settings (D 128, θ 5e5, factor 8, low 1, high 4, original context 8192).
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RopeScalingTest {
  @Test
  void plainAndLinear() {
    double[] plain = RopeScaling.invFreq(16, 10000, null);
    double[] linear = RopeScaling.invFreq(16, 10000, RopeScaling.linear(4));
    assertEquals(8, plain.length);
    for (int i = 0; i < 8; i++) {
      assertEquals(Math.pow(10000, -2.0 * i / 16), plain[i], 1e-15);
      assertEquals(plain[i] / 4, linear[i], 1e-15);
    }
  }

  @Test
  void llama3MatchesTransformers() {
    double[] f = RopeScaling.invFreq(128, 500000, RopeScaling.llama3(8, 1, 4, 8192));
    // index -> transformers' value (NumPy port, float64)
    double[][] want = {{0, 1.0}, {20, 0.016560440080994446}, {40, 3.428102195952591e-05},
        {45, 1.2297638677963614e-05}, {48, 6.647869871181236e-06}, {50, 4.411534674558404e-06},
        {63, 3.068925988914511e-07}};
    for (double[] w : want) {
      assertEquals(w[1], f[(int) w[0]], w[1] * 1e-12, "inv_freq[" + (int) w[0] + "]");
    }
  }

  @Test
  void problemsNameTheField() {
    assertTrue(RopeScaling.llama3(8, 4, 1, 8192).problems().get(0).contains("low_freq_factor"));
    assertTrue(new RopeScaling("yarn", 2, 0, 0, 0).problems().get(0).contains("rope_type"));
    assertFalse(RopeScaling.linear(2).problems().iterator().hasNext());
  }
}
