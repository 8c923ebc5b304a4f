/*
 * The model families SeqMatch runs, named by Hugging Face's config.json "model_type". GPT-2 is
 * LayerNorm + learned positions + GELU; the Llama family (llama, qwen2) is RMSNorm + RoPE from explicit
 * position ids + SwiGLU + grouped-query attention, qwen2 adding q/k/v biases.
 */
package ai.seqmatch.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A decoder-LM family; {@link #modelType()} is its config.json spelling. */
public enum Family {
  GPT2("gpt2"),
  LLAMA("llama"),
  QWEN2("qwen2");

  private final String modelType;

  Family(String modelType) {
    this.modelType = modelType;
  }

  public String modelType() {
    return modelType;
  }

  /** RMSNorm, RoPE, SwiGLU, GQA: everything but GPT-2. */
  public boolean isLlamaLike() {
    return this != GPT2;
  }

  /** The family of a config.json "model_type"; null when SeqMatch does not run it. */
  public static Family of(String modelType) {
    for (Family f : values()) {
      if (f.modelType.equals(modelType)) {
        return f;
      }
    }
    return null;
  }

  /** "gpt2, llama, qwen2", for error messages. */
  public static String supported() {
    return Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", "));
  }
}
