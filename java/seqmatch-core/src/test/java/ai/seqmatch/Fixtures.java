/* Shared test inputs: the HF fixture directories (copied from shared/data) and tiny configs. */
package ai.seqmatch;

import ai.seqmatch.model.ModelConfig;
import java.net.URISyntaxException;
import java.nio.file.Path;

public final class Fixtures {
  private Fixtures() {}

  /** Hugging Face GPT2LMHeadModel, vocab 300, 2 layers, 64 wide, with expected.safetensors. */
  public static Path hfGpt2Tiny() {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/hf-gpt2-tiny").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fixture directory of test resources: hf-gpt2-tiny, llama-tiny-a, qwen2-tiny. */
  public static Path fixture(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A model small enough that thousands of create/forward/close cycles take seconds. */
  public static ModelConfig tinyConfig() {
    return ModelConfig.builder(32).optNPositions(16).optNEmbd(16).optNLayer(1).optNHead(2).build();
  }
}
