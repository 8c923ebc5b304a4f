/*
 * Rotary position embedding frequencies, as Hugging Face's ROPE_INIT_FUNCTIONS compute them:
 * inv_freq_i = θ^(-2i/D) for i < D/2, then "linear" divides every frequency by factor and "llama3"
 * divides only the low frequencies (wavelength above original_max_position_embeddings / low_freq_factor),
 * blending smoothly up to the high-frequency band, which it keeps. Both leave attention scaling at 1.
 * Used by the ONNX exporter (a constant of the graph); the native core has its own copy in C++.
 * Tested by RopeScalingTest against the formula evaluated independently per frequency.
 */
package ai.seqmatch.model;

import java.util.ArrayList;
import java.util.List;

/**
 * config.json's {@code rope_scaling}.
 *
 * @param type "linear" or "llama3"
 * @param factor context extension factor (> 0)
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only (> lowFreqFactor)
 * @param originalMaxPositionEmbeddings llama3 only: the context the base model was trained on
 */
public record RopeScaling(
    String type, double factor, double lowFreqFactor, double highFreqFactor, long originalMaxPositionEmbeddings) {

  public static RopeScaling linear(double factor) {
    return new RopeScaling("linear", factor, 0, 0, 0);
  }

  public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, long originalMax) {
    return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMax);
  }

  /** Every problem with these values, "rope_scaling.x ..." each; empty when valid. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (!"linear".equals(type) && !"llama3".equals(type)) {
      p.add("rope_scaling.rope_type must be linear or llama3 (got " + type + ")");
    }
    if (!(factor > 0) || Double.isInfinite(factor)) {
      p.add("rope_scaling.factor must be finite and > 0 (got " + factor + ")");
    }
    if ("llama3".equals(type)) {
      if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
        p.add("rope_scaling needs 0 < low_freq_factor < high_freq_factor (got " + lowFreqFactor + ", "
            + highFreqFactor + ")");
      }
      if (originalMaxPositionEmbeddings <= 0) {
        p.add("rope_scaling.original_max_position_embeddings must be > 0 (got " + originalMaxPositionEmbeddings
            + ")");
      }
    }
    return p;
  }

  /** The D/2 inverse frequencies for head size {@code headDim} and base {@code theta}; scaling may be null. */
  public static double[] invFreq(long headDim, double theta, RopeScaling scaling) {
    int half = (int) (headDim / 2);
    double[] f = new double[half];
    for (int i = 0; i < half; i++) {
      f[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
    }
    if (scaling == null) {
      return f;
    }
    if (scaling.type.equals("linear")) {
      for (int i = 0; i < half; i++) {
        f[i] /= scaling.factor;
      }
      return f;
    }
    double lowWavelen = scaling.originalMaxPositionEmbeddings / scaling.lowFreqFactor;
    double highWavelen = scaling.originalMaxPositionEmbeddings / scaling.highFreqFactor;
    for (int i = 0; i < half; i++) {
      double wavelen = 2 * Math.PI / f[i];
      if (wavelen > lowWavelen) {
        f[i] /= scaling.factor; // long wavelengths: interpolate fully
      } else if (wavelen >= highWavelen) {
        // in between: blend the scaled and unscaled frequency by where the wavelength falls
        double smooth = (scaling.originalMaxPositionEmbeddings / wavelen - scaling.lowFreqFactor)
            / (scaling.highFreqFactor - scaling.lowFreqFactor);
        f[i] = (1 - smooth) * f[i] / scaling.factor + smooth * f[i];
      } // short wavelengths are kept as they are
    }
    return f;
  }
}
