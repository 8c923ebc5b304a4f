/*
 * The result of one evaluation (TaskEvaluator or TextEvaluator): named metrics in a fixed order, counts, and a
 * few sample rows. toJson() writes snake_case keys, and NaN (an undefined metric) as null.
 */
package ai.seqmatch.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An evaluation report.
 *
 * @param kind "task" or "text"
 * @param engine the engine's name
 * @param metrics metric name → value (NaN when undefined), in report order
 * @param counts integer facts (rows, correct, finish reasons as "finish_eos", ...), in report order
 * @param examples a few rows
 */
public record EvalReport(String kind, String engine, Map<String, Double> metrics, Map<String, Long> counts,
    List<EvalExample> examples) {

  public EvalReport {
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    examples = List.copyOf(examples);
  }

  /** This report with one more metric (replacing one of the same name). */
  public EvalReport withMetric(String name, double value) {
    Map<String, Double> m = new LinkedHashMap<>(metrics);
    m.put(name, value);
    return new EvalReport(kind, engine, m, counts, examples);
  }

  /** A metric's value, NaN if the report lacks it. */
  public double metric(String name) {
    return metrics.getOrDefault(name, Double.NaN);
  }

  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("kind", kind);
    node.put("engine", engine);
    ObjectNode m = node.putObject("metrics");
    metrics.forEach((k, v) -> {
      if (Double.isFinite(v)) {
        m.put(k, v);
      } else {
        m.putNull(k);
      }
    });
    ObjectNode c = node.putObject("counts");
    counts.forEach(c::put);
    ArrayNode rows = node.putArray("examples");
    examples.forEach(e -> rows.add(e.toJson()));
    return node;
  }
}
