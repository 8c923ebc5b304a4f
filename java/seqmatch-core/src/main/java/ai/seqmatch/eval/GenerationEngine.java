/*
 * What evaluation needs from a generator: batched, backspace-aware generation returning final states and
 * action traces. The native Generator plugs in through of(...) / open(model); another runtime (e.g. ONNX
 * Runtime) implements this interface directly. Tested through TaskEvaluatorTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.model.CausalLM;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import java.util.List;
import java.util.Objects;

/** A batched generator; results are in prompt order. Closing releases what the engine owns. */
public interface GenerationEngine extends AutoCloseable {

  /** A short name for reports, e.g. "native". */
  String name();

  /** The id of {@code <bkspc>} in result actions, or -1 if the model has none. */
  long bkspcTokenId();

  /** One result per prompt (token ids), in prompt order. */
  List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options);

  @Override
  void close();

  /** The native engine over {@code generator}, which stays owned (and closed) by the caller. */
  static GenerationEngine of(Generator generator, long bkspcTokenId) {
    Objects.requireNonNull(generator, "generator");
    return new GenerationEngine() {
      @Override
      public String name() {
        return "native";
      }

      @Override
      public long bkspcTokenId() {
        return bkspcTokenId;
      }

      @Override
      public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options) {
        return generator.generate(prompts, options);
      }

      @Override
      public void close() {}
    };
  }

  /** The native engine over a new Generator of {@code model}; closing it closes the generator, not the model. */
  static GenerationEngine open(CausalLM model) {
    Generator generator = new Generator(model);
    GenerationEngine inner = of(generator, model.config().bkspcTokenId());
    return new GenerationEngine() {
      @Override
      public String name() {
        return inner.name();
      }

      @Override
      public long bkspcTokenId() {
        return inner.bkspcTokenId();
      }

      @Override
      public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options) {
        return inner.generate(prompts, options);
      }

      @Override
      public void close() {
        generator.close();
      }
    };
  }
}
