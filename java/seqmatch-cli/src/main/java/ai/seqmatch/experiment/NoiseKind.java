/*
 * Noise used for augmentation (DESIGN.md §3): "task" = the task's ground-truth noise (a plausible wrong
 * digit), "uniform" = uniform over the byte vocabulary (random noise).
 */
package ai.seqmatch.experiment;

import java.util.Locale;

/** A noise kind; {@link #wireName()} is the trainer's noise.kind value. */
public enum NoiseKind {
  TASK("ground-truth"),
  UNIFORM("random");

  private final String label;

  NoiseKind(String label) {
    this.label = label;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The paper's word for it: "ground-truth" or "random". */
  public String label() {
    return label;
  }

  /** Parses "task" or "uniform". */
  public static NoiseKind parse(String s) {
    for (NoiseKind k : values()) {
      if (k.wireName().equals(s)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown noise kind (got \"" + s + "\", expected task or uniform)");
  }
}
