/*
 * What MAUVE embeds texts with: one feature vector per text. The reference (mauve-text) uses gpt2-large's
 * final hidden state at the last token; ours is any exported model through ONNX Runtime (OrtTextFeatures in
 * seqmatch-onnx), so core code (TextEvaluator) needs no ONNX dependency.
 */
package ai.seqmatch.eval.mauve;

import java.util.List;

/** Embeds texts; implementations own a model, hence AutoCloseable. */
public interface TextFeatures extends AutoCloseable {
  /** One feature vector per text, all of {@link #dimension()} values. */
  double[][] features(List<String> texts);

  /** Features per text. */
  int dimension();

  /** Where the features come from, for reports (e.g. the model directory and max length). */
  String describe();

  @Override
  void close();
}
