/*
 * The outcome of one run of a comparison: where it trained, its losses, its greedy test evaluation (with the
 * per-prompt verdicts), its sampled evaluations at T=1 (one per sample seed) and its greedy validation accuracy
 * (what settings are chosen on; test is never used for a choice). Saved as <run>/result.json so that a grid can
 * be resumed: a run whose result.json was written for the same trainer config is not trained again.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.eval.EvalExample;
import ai.seqmatch.eval.EvalReport;
import ai.seqmatch.eval.Interval;
import ai.seqmatch.eval.TaskScores;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A finished run.
 *
 * @param spec what was trained
 * @param outDir the trainer's out_dir (metrics.jsonl, final/, result.json)
 * @param finalModel the final model directory
 * @param valLoss the last validation loss (NaN without validation)
 * @param trainSeconds wall time of training
 * @param greedy the greedy test evaluation (accuracy, backspace_rate, finish counts, ...) and its verdicts
 * @param sampled test evaluations sampled at temperature 1, one per sample seed
 * @param validationAccuracy greedy accuracy on the validation prompts
 */
public record RunResult(RunSpec spec, Path outDir, Path finalModel, double valLoss, double trainSeconds,
    TaskScores greedy, List<TaskScores> sampled, double validationAccuracy) {
  static final String FILE = "result.json";

  public RunResult {
    sampled = List.copyOf(sampled);
  }

  /** The greedy test report. */
  public EvalReport report() {
    return greedy.report();
  }

  /** Greedy test accuracy. */
  public double accuracy() {
    return report().metric("accuracy");
  }

  /** Sampled (T=1) accuracy over the sample seeds, with a bootstrap interval over prompts. */
  public Interval sampledAccuracy() {
    return TaskScores.meanOverSeeds(sampled, spec.seed());
  }

  /** This run under another spec (BC at η = 0 is the MLE run itself). */
  RunResult as(RunSpec other) {
    return new RunResult(other, outDir, finalModel, valLoss, trainSeconds, greedy, sampled, validationAccuracy);
  }

  /** Writes result.json atomically; {@code config} is the trainer config it was trained with. */
  void save(ObjectNode config) {
    ObjectNode j = JsonNodeFactory.instance.objectNode();
    j.put("id", spec.id());
    j.set("config", config);
    ExperimentJson.number(j, "val_loss", valLoss);
    j.put("train_seconds", trainSeconds);
    j.put("final_model", finalModel.toString());
    ExperimentJson.number(j, "validation_accuracy", validationAccuracy);
    ArrayNode groups = j.putArray("groups");
    greedy.groups().forEach(groups::add);
    j.set("greedy", scores(greedy));
    ArrayNode s = j.putArray("sampled");
    sampled.forEach(x -> s.add(scores(x)));
    ExperimentReport.writeAtomically(outDir.resolve(FILE), j.toPrettyString());
  }

  /**
   * The saved result of {@code spec} in {@code outDir}, if one was written for {@code config}; empty when
   * there is none, it is unreadable, or its config differs (the run is then trained again).
   */
  static Optional<RunResult> load(RunSpec spec, Path outDir, ObjectNode config) {
    Path file = outDir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode j = new ObjectMapper().readTree(file.toFile());
      if (!new ObjectMapper().readTree(config.toString()).equals(j.path("config"))) {
        return Optional.empty();
      }
      List<String> groups = new ArrayList<>();
      j.path("groups").forEach(g -> groups.add(g.asText()));
      List<TaskScores> sampled = new ArrayList<>();
      for (JsonNode s : j.path("sampled")) {
        sampled.add(scores(s, groups));
      }
      return Optional.of(new RunResult(spec, outDir, Path.of(j.path("final_model").asText()),
          number(j.path("val_loss")), j.path("train_seconds").asDouble(), scores(j.path("greedy"), groups),
          sampled, number(j.path("validation_accuracy"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable or from an older version: train again (the file is rewritten)
    }
  }

  private static ObjectNode scores(TaskScores s) {
    ObjectNode j = s.report().toJson();
    StringBuilder bits = new StringBuilder();
    for (boolean c : s.correct()) {
      bits.append(c ? '1' : '0');
    }
    j.put("correct_by_prompt", bits.toString());
    return j;
  }

  private static TaskScores scores(JsonNode j, List<String> groups) {
    String bits = j.path("correct_by_prompt").asText();
    boolean[] correct = new boolean[bits.length()];
    for (int i = 0; i < correct.length; i++) {
      correct[i] = bits.charAt(i) == '1';
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    j.path("metrics").properties().forEach(e -> metrics.put(e.getKey(), number(e.getValue())));
    Map<String, Long> counts = new LinkedHashMap<>();
    j.path("counts").properties().forEach(e -> counts.put(e.getKey(), e.getValue().asLong()));
    List<EvalExample> examples = new ArrayList<>();
    for (JsonNode x : j.path("examples")) {
      examples.add(new EvalExample(x.path("prompt").asText(), x.has("reference") ? x.path("reference").asText()
          : null, x.path("completion").asText(), x.path("trace").asText(), x.path("finish_reason").asText(),
          x.has("correct") ? x.path("correct").asBoolean() : null, x.has("reason") ? x.path("reason").asText()
          : null));
    }
    return new TaskScores(correct, groups, new EvalReport(j.path("kind").asText(), j.path("engine").asText(),
        metrics, counts, examples));
  }

  private static double number(JsonNode n) {
    return n.isNumber() ? n.asDouble() : Double.NaN;
  }
}
