/*
 * `seqmatch train` with objective gdc++ / dpg: the Java-side scorers of the run's constraints (onnx
 * classifiers) and the tokenizer that decodes the samples for them, registered on the Trainer
 * (Trainer.setScorers). Word and regex constraints are scored natively; "external" ones need the Java API.
 * Tested by TrainCommandGdcTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.onnx.OnnxClassifierScorer;
import ai.seqmatch.score.Scorer;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingInputs;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Owns the scorers and the tokenizer it registers; close after the trainer's last step. */
final class ConstraintScorers implements AutoCloseable {
  private final Map<String, Scorer> scorers = new LinkedHashMap<>();
  private Tokenizer tokenizer;

  private ConstraintScorers() {}

  /** Builds and registers what {@code trainer}'s constraints need (nothing for other objectives). */
  static ConstraintScorers register(Trainer trainer, TrainingInputs inputs) {
    ConstraintScorers s = new ConstraintScorers();
    try {
      JsonNode constraints = trainer.constraints();
      for (JsonNode c : constraints) {
        String kind = c.path("scorer").asText();
        if (kind.equals("onnx")) {
          // Paths in the config are relative to the working directory, as data.train is.
          s.scorers.put(c.path("name").asText(), OnnxClassifierScorer.fromSpec(c, Path.of("")));
        } else if (kind.equals("external")) {
          throw new InvalidInputException("config " + trainer.config().origin() + ": constraint '"
              + c.path("name").asText() + "' has scorer external, which only the Java API provides "
              + "(Trainer.setScorers); seqmatch train scores word, regex and onnx constraints");
        }
      }
      Optional<JsonNode> spec = trainer.config().get("model.tokenizer");
      boolean byteText = spec.isEmpty() || spec.get().path("type").asText().equals("byte");
      if (constraints.isEmpty() || (s.scorers.isEmpty() && byteText)) {
        return s; // the native core decodes byte text and scores word / regex itself
      }
      s.tokenizer = byteText ? new ByteTokenizer() : tokenizer(spec.get(), inputs);
      trainer.setScorers(s.tokenizer, s.scorers);
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static Tokenizer tokenizer(JsonNode spec, TrainingInputs inputs) {
    String file = spec.path("file").asText("");
    Path source = inputs.checkpointFiles().get(file);
    if (source == null) {
      throw new InvalidInputException("gdc: cannot decode samples: model.tokenizer names " + file
          + ", which was not found. Hint: give model.tokenizer a tokenizer.json path");
    }
    return Tokenizers.load(source).orElseThrow();
  }

  /** A progress line naming the constraints scored on the Java side, if any. */
  Optional<String> describe() {
    return scorers.isEmpty() ? Optional.empty()
        : Optional.of("gdc: scoring " + String.join(", ", scorers.keySet()) + " on the Java side");
  }

  @Override
  public void close() {
    scorers.values().forEach(Scorer::close);
    if (tokenizer != null) {
      tokenizer.close();
    }
  }
}
