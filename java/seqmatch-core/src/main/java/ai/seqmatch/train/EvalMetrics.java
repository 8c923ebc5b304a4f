/* A validation pass: mean NLL per token on the clean validation set (NaN without one). */
package ai.seqmatch.train;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Metrics of one validation pass.
 *
 * @param step updates done when it ran (0 = before training)
 * @param valLoss mean validation NLL per token, NaN without validation data
 * @param valPpl exp(valLoss)
 */
public record EvalMetrics(long step, double valLoss, double valPpl) {
  /** Parses an "eval" object (native writes NaN as null). */
  public static EvalMetrics fromJson(JsonNode j) {
    return new EvalMetrics(j.path("step").asLong(), StepMetrics.d(j, "val_loss"), StepMetrics.d(j, "val_ppl"));
  }

  /** The metrics.jsonl line for this pass, in the native trainer's shape. */
  public String toJsonLine() {
    return "{\"kind\":\"eval\",\"step\":" + step + ",\"val_loss\":" + num(valLoss) + ",\"val_ppl\":" + num(valPpl)
        + "}";
  }

  private static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "null";
  }
}
