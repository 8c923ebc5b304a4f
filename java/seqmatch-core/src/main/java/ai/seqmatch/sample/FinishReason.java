/* Why a generated row stopped; mirrors seqmatch::sample::FinishReason (native/src/sample/decoder.h). */
package ai.seqmatch.sample;

import java.util.Locale;

/** Why a row of a {@link Generator#generate} call finished. */
public enum FinishReason {
  /** The row emitted the model's {@code <eos>} (kept as the last token). */
  EOS,
  /** The row emitted one of {@link SamplingOptions#stopIds()} (kept as the last token). */
  STOP,
  /** The final state holds {@link SamplingOptions#maxNewTokens()} generated tokens. */
  MAX_NEW_TOKENS,
  /** The row took {@link SamplingOptions#maxActions()} actions, {@code <bkspc>} included. */
  MAX_ACTIONS,
  /** The row reached the model's context (n_positions). */
  LENGTH,
  /** A listener (or {@link Generator#close()}) cancelled the row. */
  CANCELLED;

  /** The native / JSON spelling: "eos", "stop", "max_new_tokens", ... */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The reason for a native spelling; an empty or unknown one is a bug in the core. */
  static FinishReason fromWire(String name) {
    for (FinishReason r : values()) {
      if (r.wireName().equals(name)) {
        return r;
      }
    }
    throw new IllegalStateException("generate: unknown finish reason from the native core (got \"" + name
        + "\", expected one of eos, stop, max_new_tokens, max_actions, length, cancelled)");
  }
}
